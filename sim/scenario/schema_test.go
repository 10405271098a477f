package scenario

import (
	"bytes"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite scenarios/schema.json, the field table of docs/scenarios.md and golden files")

const (
	schemaPath = "../../scenarios/schema.json"
	docsPath   = "../../docs/scenarios.md"
	beginMark  = "<!-- BEGIN FIELD REFERENCE (generated: go test ./sim/scenario -run TestSchema -update) -->\n"
	endMark    = "<!-- END FIELD REFERENCE -->\n"
)

// foreignDocs are the packages whose types a scenario embeds, and docs for
// the fields their sources leave without a comment of their own.
var foreignDocs = map[string]Docs{
	"../../traffic/synth": {
		"Options.Servers":  "Servers is the server address pool (the session layer's side).",
		"Pool.Prefix4":     "Prefix4 holds the pool's IPv4 addresses (default clients 10.0.0.0/16, servers 10.1.0.0/16).",
		"Pool.Prefix6":     "Prefix6 holds the pool's IPv6 addresses (default clients fd00:0:0:1::/64, servers fd00:0:0:2::/64).",
		"Flood.Duration":   "Duration bounds the flood in time (0: as long as flows keep starting).",
		"Arrival.Off":      "Off is the mean off period (onoff). Default 10ms.",
		"Options.PortScan": "PortScan adds a SYN port scan of the most popular server (rules studies).",
		"Options.SYNFlood": "SYNFlood adds a SYN flood from spoofed sources (rules studies).",
		"Scan.LastPort":    "LastPort ends the scanned range (default 1024).",
	},
	"../../traffic/pcap": {
		"Timing.Mode":       "Mode is the timing mode: original (the capture's gaps), multiplier, pps, mbps or topspeed.",
		"Timing.Multiplier": "Multiplier divides the capture's gaps (multiplier mode; 2 = twice as fast).",
		"Timing.PPS":        "PPS is the packet rate of pps mode.",
		"Timing.Mbps":       "Mbps is the bit rate of mbps mode (10^6 bits per second).",
	},
}

// sourceDocs reads the doc comments of the package's types and fields from
// its Go source, and those of the other packages' types it embeds.
func sourceDocs(t *testing.T) Docs {
	t.Helper()
	docs := Docs{}
	readDocs(t, ".", "", docs)
	for dir, extra := range foreignDocs {
		pkg := filepath.Base(dir) + "."
		readDocs(t, dir, pkg, docs)
		for k, v := range extra {
			docs[pkg+k] = v
		}
	}
	return docs
}

// readDocs adds the type and field docs of the Go files in dir, keys
// prefixed with prefix.
func readDocs(t *testing.T, dir, prefix string, docs Docs) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				if doc != nil {
					docs[prefix+ts.Name.Name] = doc.Text()
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fld := range st.Fields.List {
					doc := fld.Doc
					if doc == nil {
						doc = fld.Comment
					}
					if doc == nil {
						continue
					}
					for _, n := range fld.Names {
						docs[prefix+ts.Name.Name+"."+n.Name] = doc.Text()
					}
				}
			}
		}
	}
}

// TestSchema fails when scenarios/schema.json or the field reference of
// docs/scenarios.md is stale; -update rewrites both.
func TestSchema(t *testing.T) {
	docs := sourceDocs(t)
	schema, err := Schema(docs)
	if err != nil {
		t.Fatal(err)
	}
	table := FieldTable(FieldReference(docs))
	md, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(md, []byte(beginMark)), bytes.Index(md, []byte(endMark))
	if i < 0 || j < i {
		t.Fatalf("%s: markers %q ... %q not found", docsPath, beginMark, endMark)
	}
	newMD := append(append(append([]byte{}, md[:i+len(beginMark)]...), "\n"+table+"\n"...), md[j:]...)
	if *update {
		if err := os.WriteFile(schemaPath, schema, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(docsPath, newMD, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old, schema) {
		t.Errorf("%s is stale: run go test ./sim/scenario -run TestSchema -update", schemaPath)
	}
	if !bytes.Equal(md, newMD) {
		t.Errorf("the field reference in %s is stale: run go test ./sim/scenario -run TestSchema -update", docsPath)
	}
}

// TestEveryFieldDocumented fails when a field of the model has no doc
// comment (the schema and the reference would describe it as nothing).
func TestEveryFieldDocumented(t *testing.T) {
	for _, r := range FieldReference(sourceDocs(t)) {
		if r.Doc == "" {
			t.Errorf("%s.%s has no doc comment", r.Type, r.Key)
		}
	}
}

// TestDecodableTypes walks every type reachable from Scenario and checks
// the decoder supports it, so no field can reach the decoder's "cannot
// decode" branch.
func TestDecodableTypes(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if seen[ty] {
			return
		}
		seen[ty] = true
		if isScalarType(ty) {
			return
		}
		switch ty.Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Int32,
			reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float64:
			return
		case reflect.Struct:
			for i := range ty.NumField() {
				f := ty.Field(i)
				if yamlName(f) == "" {
					if f.IsExported() {
						t.Errorf("%s.%s: exported field without a yaml tag", path, f.Name)
					}
					continue
				}
				walk(f.Type, path+"."+yamlName(f))
			}
			return
		}
		t.Errorf("%s: type %s is not decodable", path, ty)
	}
	walk(reflect.TypeFor[Scenario](), "scenario")
}
