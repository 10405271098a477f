package session

// NopTransport is a Transport whose calls do nothing and succeed (with
// index 0). It never notifies the layer, so the layer can be measured on
// its own: the benchmarks and the simulator's cost calibration drive the
// notifications themselves.
type NopTransport struct{}

// Listen returns listener 0.
func (NopTransport) Listen(Handle, Endpoint) (uint32, Error) { return 0, ErrNone }

// Unlisten does nothing.
func (NopTransport) Unlisten(uint32) {}

// Connect returns half-open 0.
func (NopTransport) Connect(Handle, Connection) (uint32, Error) { return 0, ErrNone }

// Close does nothing.
func (NopTransport) Close(uint32, uint32) {}

// Reset does nothing.
func (NopTransport) Reset(uint32, uint32) {}

// HalfClose does nothing.
func (NopTransport) HalfClose(uint32, uint32) {}

// Send does nothing.
func (NopTransport) Send(uint32, uint32) {}

// Cleanup does nothing.
func (NopTransport) Cleanup(uint32, uint32) {}

// Unlink does nothing.
func (NopTransport) Unlink(uint32, uint32) {}

// HalfOpenCleanup does nothing.
func (NopTransport) HalfOpenCleanup(uint32) {}
