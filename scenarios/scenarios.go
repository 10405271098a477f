// Package scenarios holds sessionlab's built-in scenarios: YAML files
// embedded in the binary together with the data they replay, and the JSON
// Schema of scenario files (schema.json, generated from sim/scenario's
// types). README.md describes each scenario.
//
// The package only embeds files; sim/scenario decodes and validates them,
// and the runner resolves a command-line SCENARIO argument that is not a
// file ("default", "builtin:default") to one of these.
package scenarios

//go:generate go run ./internal/gencapture -o data/default.pcap

import (
	"embed"
	"io/fs"
	"slices"
	"strings"
)

// files holds the scenarios, the data they name and the schema.
//
//go:embed *.yaml data schema.json
var files embed.FS

// FS returns the embedded files: "<name>.yaml" per scenario, "data/..."
// for the captures they replay (scenario file paths are relative to the
// root of this file system), and "schema.json".
func FS() fs.FS { return files }

// Names lists the built-in scenarios, sorted.
func Names() []string {
	ents, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// Read returns the YAML text of the built-in scenario name.
func Read(name string) ([]byte, bool) {
	if strings.ContainsAny(name, "/\\") {
		return nil, false
	}
	b, err := fs.ReadFile(files, name+".yaml")
	return b, err == nil
}

// Schema returns the JSON Schema of scenario files.
func Schema() []byte {
	b, _ := fs.ReadFile(files, "schema.json")
	return b
}
