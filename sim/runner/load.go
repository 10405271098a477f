package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/sessionlab/sessionlab/scenarios"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// BuiltinPrefix marks a built-in scenario name ("builtin:default").
const BuiltinPrefix = "builtin:"

// Load loads the scenario a command line names: a file path, or a built-in
// scenario as "builtin:NAME" or plain NAME when no file of that name
// exists. Built-ins read their data files from the binary.
func Load(arg string, opt scenario.Options) (*scenario.Scenario, error) {
	name, builtin := strings.CutPrefix(arg, BuiltinPrefix)
	if !builtin {
		_, err := os.Stat(arg)
		switch {
		case err == nil:
			return scenario.Load(arg, opt)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
		if _, ok := scenarios.Read(arg); !ok {
			return nil, fmt.Errorf("%s: no such file, and no built-in scenario of that name (built-ins: %s)", arg, strings.Join(scenarios.Names(), ", "))
		}
	}
	b, ok := scenarios.Read(name)
	if !ok {
		return nil, fmt.Errorf("%s: no built-in scenario %q (built-ins: %s)", arg, name, strings.Join(scenarios.Names(), ", "))
	}
	opt.Files = scenarios.FS()
	return scenario.Parse(BuiltinPrefix+name, b, opt)
}
