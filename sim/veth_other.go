//go:build !linux

package sim

import (
	"fmt"

	"github.com/sessionlab/sessionlab/sim/scenario"
)

// vethStream: veth sources need Linux.
func (m *model) vethStream(i int, vs *scenario.VethSource) (stream, error) {
	return nil, m.s.Errorf(fmt.Sprintf("traffic[%d].veth", i), "veth sources need Linux")
}
