package scenario

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"net/netip"
	"path"
	"reflect"
	"strings"
)

// The JSON Schema and the field reference of docs/scenarios.md are
// generated from the Go types by reflection: the decoder and the schema
// read the same struct tags, so they cannot disagree about which fields
// exist or what type each has. Descriptions come from the types' doc
// comments, which the generating test reads from the package's source
// (go/ast) and passes in as Docs.

// Docs maps "Type" and "Type.Field" (Go names) to doc comment text; types
// of other packages are qualified with their package name
// ("synth.Options.Flows").
type Docs map[string]string

// defName names a type in the schema's $defs and the reference: its Go
// name, qualified by its package's name when it is not this package's.
func defName(t reflect.Type) string {
	if t.PkgPath() == reflect.TypeFor[Scenario]().PkgPath() {
		return t.Name()
	}
	return path.Base(t.PkgPath()) + "." + t.Name()
}

// SchemaID is the $id of the scenario schema.
const SchemaID = "https://github.com/sessionlab/sessionlab/scenarios/schema.json"

// Schema returns the JSON Schema (draft 2020-12) of scenario files,
// indented, with descriptions from docs.
func Schema(docs Docs) ([]byte, error) {
	g := &schemaGen{docs: docs, defs: map[string]any{}}
	root := g.typeSchema(reflect.TypeFor[Scenario]())
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaID,
		"title":       "sessionlab scenario",
		"description": "A sessionlab scenario: configuration, traffic, sweep and plots (docs/scenarios.md).",
		"$ref":        root["$ref"],
		"$defs":       g.defs,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type schemaGen struct {
	docs Docs
	defs map[string]any
}

// enumType is implemented by string types with a fixed set of values.
type enumType interface{ enumValues() []string }

// scalarSchemaType is implemented by the scalar types.
type scalarSchemaType interface{ scalarSchema() map[string]any }

func (g *schemaGen) typeSchema(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		return g.typeSchema(t.Elem())
	}
	if s, ok := reflect.New(t).Elem().Interface().(scalarSchemaType); ok {
		return s.scalarSchema()
	}
	if e, ok := reflect.New(t).Elem().Interface().(enumType); ok {
		vals := []any{}
		for _, v := range e.enumValues() {
			vals = append(vals, v)
		}
		return map[string]any{"type": "string", "enum": vals}
	}
	switch t {
	case reflect.TypeFor[netip.Prefix]():
		return map[string]any{"type": "string", "pattern": `^[0-9A-Fa-f:.]+/[0-9]+$`}
	case reflect.TypeFor[netip.Addr]():
		return map[string]any{"type": "string", "pattern": `^[0-9A-Fa-f:.]+$`}
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		// Another package's text type (traffic/pcap's modes, traffic/synth's
		// durations): a string, described by its field's doc.
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		s := map[string]any{"type": "integer", "minimum": 0}
		if t.Bits() < 64 {
			s["maximum"] = uint64(1)<<t.Bits() - 1
		}
		return s
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.typeSchema(t.Elem())}
	case reflect.Struct:
		name := defName(t)
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // break cycles
			g.defs[name] = g.structSchema(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	panic(fmt.Sprintf("scenario schema: unsupported type %s", t))
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		p := g.typeSchema(f.Type)
		if d := g.fieldDoc(t, f); d != "" {
			// A $ref with siblings is fine in 2020-12; copy to keep the
			// shared definition untouched.
			q := map[string]any{}
			for k, v := range p {
				q[k] = v
			}
			q["description"] = d
			p = q
		}
		props[name] = p
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if d := g.docs[defName(t)]; d != "" {
		s["description"] = oneLine(d)
	}
	switch t {
	case reflect.TypeFor[Scenario]():
		s["required"] = []any{"name"}
	case reflect.TypeFor[Source]():
		s["oneOf"] = []any{
			map[string]any{"required": []any{"pcap"}},
			map[string]any{"required": []any{"synth"}},
			map[string]any{"required": []any{"veth"}},
		}
	case reflect.TypeFor[VethFrames]():
		s["maxProperties"] = 1
	}
	return s
}

// fieldDoc returns a field's doc comment with the Go field name replaced by
// its YAML key ("RxFifo is ..." → "rx_fifo is ...").
func (g *schemaGen) fieldDoc(t reflect.Type, f reflect.StructField) string {
	d := oneLine(g.docs[defName(t)+"."+f.Name])
	if rest, ok := strings.CutPrefix(d, f.Name); ok && (rest == "" || rest[0] == ' ' || rest[0] == ':') {
		d = yamlName(f) + rest
	}
	return d
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// FieldRef is one row of the field reference.
type FieldRef struct {
	// Type is the Go type name that holds the field ("Scenario", "App").
	Type string
	// Key is the YAML key.
	Key string
	// Kind describes the value ("string", "duration", "list of App", "one
	// of: sim, live").
	Kind string
	// Doc is the field's description.
	Doc string
}

// FieldReference lists every field of every type reachable from Scenario,
// type by type in the order first reached, fields in declaration order:
// the table docs/scenarios.md holds.
func FieldReference(docs Docs) []FieldRef {
	g := &schemaGen{docs: docs}
	var out []FieldRef
	seen := map[reflect.Type]bool{}
	queue := []reflect.Type{reflect.TypeFor[Scenario]()}
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		if seen[t] {
			continue
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			name := yamlName(f)
			if name == "" {
				continue
			}
			kind, inner := describeKind(f.Type)
			if inner != nil && !seen[inner] {
				queue = append(queue, inner)
			}
			out = append(out, FieldRef{Type: defName(t), Key: name, Kind: kind, Doc: g.fieldDoc(t, f)})
		}
	}
	return out
}

// describeKind names a field's type for the reference, and returns the
// struct type it nests, if any.
func describeKind(t reflect.Type) (string, reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if e, ok := reflect.New(t).Elem().Interface().(enumType); ok {
		return "one of: " + strings.Join(e.enumValues(), ", "), nil
	}
	switch t {
	case reflect.TypeFor[Duration]():
		return "duration", nil
	case reflect.TypeFor[Size]():
		return "size (bytes, k/m/g)", nil
	case reflect.TypeFor[Ratio]():
		return "ratio (0..1 or %)", nil
	case reflect.TypeFor[Number]():
		return "number (k/m/g allowed)", nil
	case reflect.TypeFor[Scalar]():
		return "value", nil
	case reflect.TypeFor[Endpoint]():
		return "endpoint URI", nil
	case reflect.TypeFor[netip.Prefix]():
		return "prefix", nil
	case reflect.TypeFor[netip.Addr]():
		return "address", nil
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		if t.Name() == "Duration" {
			return "duration", nil
		}
		return "string", nil
	}
	switch t.Kind() {
	case reflect.String:
		return "string", nil
	case reflect.Bool:
		return "boolean", nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "integer", nil
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		return "integer ≥ 0", nil
	case reflect.Float64, reflect.Float32:
		return "number", nil
	case reflect.Slice:
		k, inner := describeKind(t.Elem())
		return "list of " + k, inner
	case reflect.Struct:
		n := defName(t)
		return fmt.Sprintf("[%s](#%s)", n, strings.ToLower(strings.ReplaceAll(n, ".", ""))), t
	}
	return t.String(), nil
}

// FieldTable renders the reference as Markdown: one table per type.
func FieldTable(refs []FieldRef) string {
	var b strings.Builder
	cur := ""
	for _, r := range refs {
		if r.Type != cur {
			if cur != "" {
				b.WriteByte('\n')
			}
			cur = r.Type
			fmt.Fprintf(&b, "#### %s\n\n| field | type | meaning |\n|---|---|---|\n", r.Type)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.Key, r.Kind, strings.ReplaceAll(r.Doc, "|", `\|`))
	}
	return b.String()
}
