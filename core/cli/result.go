package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sessionlab/sessionlab/core/session"
)

// Result is what one command did: its text output (VPP's format for VPP's
// commands), its structured result (the JSON contract of docs/cli.md),
// the application events and transport calls that happened while the model
// settled, warnings, and the error if it failed.
type Result struct {
	// Cmd is the command line without its comment.
	Cmd string
	// Path is the command's path in the command table ("session rule"),
	// "" when the first words match no command.
	Path string
	// Err is nil on success.
	Err *Error
	// Data is the JSON result object (a struct documented in docs/cli.md),
	// nil when the command returns nothing.
	Data any
	// Warnings are things the user should know that did not fail the
	// command.
	Warnings []string

	text  strings.Builder
	notes []note
	empty bool // blank or comment-only line
}

// OK reports whether the command succeeded.
func (r *Result) OK() bool { return r.Err == nil }

// Empty reports whether the line held no command (blank or comment).
func (r *Result) Empty() bool { return r.empty }

// Text returns the command's own output (without events and notes).
func (r *Result) Text() string { return r.text.String() }

// Events returns the application events delivered while the command ran.
func (r *Result) Events() []Event {
	var out []Event
	for _, n := range r.notes {
		if n.event != nil {
			out = append(out, *n.event)
		}
	}
	return out
}

// TransportCalls returns the calls the session layer made to a manual
// transport while the command ran.
func (r *Result) TransportCalls() []TransportCall {
	var out []TransportCall
	for _, n := range r.notes {
		if n.call != nil {
			out = append(out, *n.call)
		}
	}
	return out
}

func (r *Result) printf(format string, args ...any) { fmt.Fprintf(&r.text, format, args...) }
func (r *Result) println(s string) {
	r.text.WriteString(s)
	r.text.WriteByte('\n')
}

// note is one thing that happened while a command ran, in order.
type note struct {
	event *Event
	call  *TransportCall
}

// Event is an application event as the CLI reports it (JSON object of
// docs/cli.md, "events").
type Event struct {
	// App is the application's name.
	App string
	// Type is VPP's event name (ACCEPTED, CONNECTED, DISCONNECTED, RESET,
	// TRANSPORT_CLOSED, CLEANUP, HALF_CLEANUP, APP_ADD_SEGMENT, ...).
	Type string
	// Handle is the session the event is about.
	Handle session.Handle
	// State is the session's state after the event was delivered ("" when
	// the session is gone).
	State string
	// Listener is the listener of an ACCEPTED event.
	Listener session.Handle
	// Context is the connect context of a CONNECTED event.
	Context uint64
	// Error is the SESSION_E_* name of a failed CONNECTED event.
	Error string
	// Cleanup is "transport" or "session" for a CLEANUP event.
	Cleanup string
	// Segment is the segment handle of APP_ADD_SEGMENT / APP_DEL_SEGMENT.
	Segment uint64
}

// MarshalJSON encodes the event as docs/cli.md documents it: handles as
// hex strings, members that do not apply to the event type left out.
func (e Event) MarshalJSON() ([]byte, error) {
	type ev struct {
		App      string     `json:"app"`
		Type     string     `json:"type"`
		Handle   hexHandle  `json:"handle"`
		State    string     `json:"state,omitempty"`
		Listener *hexHandle `json:"listener,omitempty"`
		Context  *uint64    `json:"context,omitempty"`
		Error    string     `json:"error,omitempty"`
		Cleanup  string     `json:"cleanup,omitempty"`
		Segment  *hexU64    `json:"segment,omitempty"`
	}
	j := ev{App: e.App, Type: e.Type, Handle: hexHandle(e.Handle), State: e.State, Error: e.Error, Cleanup: e.Cleanup}
	switch e.Type {
	case "ACCEPTED":
		l := hexHandle(e.Listener)
		j.Listener = &l
	case "CONNECTED":
		c := e.Context
		j.Context = &c
	case "APP_ADD_SEGMENT", "APP_DEL_SEGMENT":
		s := hexU64(e.Segment)
		j.Segment = &s
	}
	return json.Marshal(j)
}

// hexHandle encodes a session handle as the CLI prints it ("0x100000002",
// "invalid", "drop"): JSON numbers cannot hold every 64-bit handle.
type hexHandle session.Handle

func (h hexHandle) MarshalText() ([]byte, error) { return []byte(session.Handle(h).String()), nil }

// hexU64 encodes a 64-bit value as a hex string.
type hexU64 uint64

func (v hexU64) MarshalText() ([]byte, error) { return []byte(fmt.Sprintf("%#x", uint64(v))), nil }

// String formats the event as the text output prints it.
func (e Event) String() string {
	var b strings.Builder
	if e.Type == "APP_ADD_SEGMENT" || e.Type == "APP_DEL_SEGMENT" {
		return fmt.Sprintf("%s: %s segment %#x", e.App, e.Type, e.Segment)
	}
	fmt.Fprintf(&b, "%s: %s %s", e.App, e.Type, e.Handle)
	switch e.Type {
	case "ACCEPTED":
		fmt.Fprintf(&b, " listener %s", e.Listener)
	case "CONNECTED":
		if e.Error != "" {
			fmt.Fprintf(&b, " error %s", e.Error)
		}
		if e.Context != 0 {
			fmt.Fprintf(&b, " context %d", e.Context)
		}
	case "CLEANUP":
		fmt.Fprintf(&b, " %s", e.Cleanup)
	}
	if e.State != "" {
		fmt.Fprintf(&b, " (%s)", e.State)
	}
	return b.String()
}

// TransportCall is a call the session layer made to the manual transport
// (JSON object of docs/cli.md, "transport"): the user answers it with the
// `transport ...` commands.
type TransportCall struct {
	// Proto is "tcp" or "udp".
	Proto string
	// Op is the call: listen, unlisten, connect, close, reset, half-close,
	// send, cleanup, unlink, half-open-cleanup.
	Op string
	// Handle is the session (or half-open, or listener) concerned.
	Handle session.Handle
}

// MarshalJSON encodes the call with its handle as a hex string.
func (c TransportCall) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Proto  string    `json:"proto"`
		Op     string    `json:"op"`
		Handle hexHandle `json:"handle"`
	}{c.Proto, c.Op, hexHandle(c.Handle)})
}

// String formats the call as the text output prints it.
func (c TransportCall) String() string {
	return fmt.Sprintf("%s transport: %s %s", c.Proto, c.Op, c.Handle)
}

// WriteText writes the result as the interactive CLI and scripts print it:
// warnings, the command's output, then the transport calls and application
// events in the order they happened. Errors are not written (the caller
// prefixes them with the file and line).
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, m := range r.Warnings {
		b.WriteString("warning: ")
		b.WriteString(m)
		b.WriteByte('\n')
	}
	b.WriteString(r.text.String())
	for _, n := range r.notes {
		switch {
		case n.event != nil:
			b.WriteString(n.event.String())
		case n.call != nil:
			b.WriteString(n.call.String())
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonError is the "error" member of a JSON line.
type jsonError struct {
	Code    int32  `json:"code"`
	Name    string `json:"name"`
	Message string `json:"message"`
	Token   string `json:"token,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// jsonLine is one command's JSON object (docs/cli.md).
type jsonLine struct {
	Line      int             `json:"line"`
	Cmd       string          `json:"cmd"`
	OK        bool            `json:"ok"`
	Error     *jsonError      `json:"error,omitempty"`
	Result    any             `json:"result,omitempty"`
	Events    []Event         `json:"events,omitempty"`
	Transport []TransportCall `json:"transport,omitempty"`
	Warnings  []string        `json:"warnings,omitempty"`
}

// empty is the result object of a successful command that returns
// nothing.
type emptyResult struct{}

// WriteJSON writes the result as one JSON object on its own line; line is
// the command's line number in its script (or its position in an -e list).
func (r *Result) WriteJSON(w io.Writer, line int) error {
	j := jsonLine{Line: line, Cmd: r.Cmd, OK: r.Err == nil, Events: r.Events(), Transport: r.TransportCalls(),
		Warnings: r.Warnings}
	if r.Err != nil {
		j.Error = &jsonError{Code: r.Err.Code.Code(), Name: r.Err.Name, Message: r.Err.Msg, Token: r.Err.Token}
		if r.Err.Token != "" && r.Err.Col >= 0 {
			j.Error.Column = r.Err.Col + 1
		}
	} else if r.Data != nil {
		j.Result = r.Data
	} else {
		j.Result = emptyResult{}
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}
