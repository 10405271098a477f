package scenario

import (
	"encoding"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Strict decoding. The YAML text is parsed into goccy/go-yaml's AST and the
// AST is walked against the Go types by reflection, field by field, rather
// than handed to a generic unmarshaler: that is what lets every error carry
// the line and column of the offending key or value, an unknown key get a
// did-you-mean over exactly the names valid at its level, and the decoder
// record where each field path was written (validation errors and sweep
// values point back into the file through that table).

// maxNodes bounds the nodes one document may expand to, aliases included,
// so that an alias bomb ("billion laughs") is an error, not an exhausted
// machine.
const maxNodes = 1 << 20

// maxDepth bounds nesting (a scenario is a few levels deep).
const maxDepth = 64

// blockInfo locates the text of a string field in the file, so errors
// inside it (startup.conf errors, rule lines) can be re-positioned: line
// and column in the file of the string's first byte, and whether each
// following line of the string starts at column col as well (a block
// scalar, whose indentation YAML strips) or at column 1.
type blockInfo struct {
	line, col int
	block     bool
}

// source is where a scenario came from and where each field was written.
type source struct {
	name string
	text []byte
	// vals maps a field path to the position of its value, keys to the
	// position of its key.
	vals, keys map[string]Pos
	// blocks maps string field paths to their text's location.
	blocks map[string]blockInfo
	files  fs.FS
}

func newSource(name string, text []byte) *source {
	return &source{name: name, text: text, vals: map[string]Pos{}, keys: map[string]Pos{}, blocks: map[string]blockInfo{}}
}

// has reports whether the file wrote path.
func (s *source) has(path string) bool {
	_, ok := s.vals[path]
	return ok
}

// posOf returns the position of path's value, or of the nearest enclosing
// path the file wrote (a missing field is reported where its parent is).
func (s *source) posOf(path string) Pos {
	for {
		if p, ok := s.vals[path]; ok {
			return p
		}
		if path == "" {
			return Pos{}
		}
		path = parentPath(path)
	}
}

// keyPosOf is posOf for the key of path (falling back to the value).
func (s *source) keyPosOf(path string) Pos {
	if p, ok := s.keys[path]; ok {
		return p
	}
	return s.posOf(path)
}

// parentPath strips the last component of a field path.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// decoder walks an AST into Go values.
type decoder struct {
	src     *source
	file    string // name used in errors
	errs    ErrorList
	anchors map[string]ast.Node
	nodes   int
	// record stores positions in src (off for --set values, whose
	// positions are not in the file).
	record bool
}

func (d *decoder) errorf(p Pos, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Pos: p, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Decode strictly decodes a scenario without validating it: unknown
// fields, wrong types and malformed scalars are errors (an [ErrorList])
// naming the file, line and column. name labels the text in errors. Most
// callers want [Parse], which also applies defaults, overrides and
// validation.
func Decode(name string, src []byte) (*Scenario, error) {
	s := &Scenario{src: newSource(name, src)}
	d := &decoder{src: s.src, file: name, anchors: map[string]ast.Node{}, record: true}
	body, err := parseYAML(name, src)
	if err != nil {
		return nil, err
	}
	if body == nil {
		return nil, ErrorList{{File: name, Pos: Pos{Line: 1, Col: 1}, Msg: "empty scenario (want a mapping with at least name and traffic)"}}
	}
	d.value(body, reflect.ValueOf(s).Elem(), "", 0)
	if err := d.errs.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// parseYAML parses text holding one YAML document and returns its body
// (nil for an empty document).
func parseYAML(name string, src []byte) (n ast.Node, err error) {
	defer func() {
		// The parser is third-party code fed with user input; a panic in
		// it must become an error, never a crash.
		if r := recover(); r != nil {
			n, err = nil, ErrorList{{File: name, Msg: fmt.Sprintf("YAML parser failed: %v", r)}}
		}
	}()
	f, perr := parser.ParseBytes(src, 0)
	if perr != nil {
		return nil, ErrorList{yamlError(name, perr)}
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	switch len(docs) {
	case 0:
		return nil, nil
	case 1:
		return docs[0].Body, nil
	}
	return nil, ErrorList{{File: name, Pos: tokenPos(docs[1].GetToken()), Msg: "a scenario file holds one YAML document; this is a second one"}}
}

// yamlError turns a goccy syntax error into a positioned Error.
func yamlError(name string, err error) *Error {
	var te interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &te) {
		return &Error{File: name, Pos: tokenPos(te.GetToken()), Msg: "YAML syntax: " + te.GetMessage()}
	}
	return &Error{File: name, Msg: "YAML syntax: " + err.Error()}
}

func tokenPos(tk *token.Token) Pos {
	if tk == nil || tk.Position == nil {
		return Pos{}
	}
	return Pos{Line: tk.Position.Line, Col: tk.Position.Column}
}

// nodePos is where a node starts as a reader sees it: a block mapping at
// its first key (goccy's token for it is the first colon).
func nodePos(n ast.Node) Pos {
	switch m := n.(type) {
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 && m.Values[0].Key != nil {
			return tokenPos(m.Values[0].Key.GetToken())
		}
	case *ast.MappingValueNode:
		if m.Key != nil {
			return tokenPos(m.Key.GetToken())
		}
	case *ast.LiteralNode:
		return tokenPos(m.Start)
	case *ast.TagNode:
		return tokenPos(m.Start)
	case *ast.AnchorNode:
		return tokenPos(m.Start)
	case *ast.AliasNode:
		return tokenPos(m.Start)
	}
	if n == nil {
		return Pos{}
	}
	return tokenPos(n.GetToken())
}

// resolve strips tags and anchors and follows aliases, returning the node
// that holds the value.
func (d *decoder) resolve(n ast.Node, path string) (ast.Node, bool) {
	for range maxDepth {
		switch m := n.(type) {
		case *ast.TagNode:
			n = m.Value
		case *ast.AnchorNode:
			if m.Name != nil {
				d.anchors[m.Name.GetToken().Value] = m.Value
			}
			n = m.Value
		case *ast.AliasNode:
			name := ""
			if m.Value != nil {
				name = m.Value.GetToken().Value
			}
			target, ok := d.anchors[name]
			if !ok {
				d.errorf(nodePos(m), path, "alias *%s names no anchor defined before it", name)
				return nil, false
			}
			n = target
		default:
			return n, true
		}
	}
	d.errorf(nodePos(n), path, "tags, anchors and aliases nested too deeply")
	return nil, false
}

// value decodes node n into v (a settable value) at field path path.
func (d *decoder) value(n ast.Node, v reflect.Value, path string, depth int) {
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.errorf(nodePos(n), path, "document too large (more than %d nodes after expanding aliases)", maxNodes)
		}
		return
	}
	if depth > maxDepth {
		d.errorf(nodePos(n), path, "nested too deeply")
		return
	}
	n, ok := d.resolve(n, path)
	if !ok {
		return
	}
	pos := nodePos(n)
	if d.record {
		d.src.vals[path] = pos
	}
	if n == nil || n.Type() == ast.NullType {
		// An empty value (`key:` or `key: null`) leaves the field unset.
		return
	}
	if n.Type() == ast.MergeKeyType {
		d.errorf(pos, path, "merge keys (<<) are not supported; write the fields out")
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.nodes-- // the pointer and its target are one node
		d.value(n, v.Elem(), path, depth+1)
		return
	}
	switch {
	case isScalarType(v.Type()) || v.Kind() != reflect.Struct && v.Kind() != reflect.Slice:
		text, kind, ok := d.scalar(n, path, wantOf(v.Type()))
		if !ok {
			return
		}
		d.assign(v, text, kind, pos, path)
		d.recordBlock(n, path)
	case v.Kind() == reflect.Struct:
		d.structValue(n, v, path, depth)
	default:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			d.errorf(pos, path, "want a list, not %s", describeNode(n))
			return
		}
		out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			d.value(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
		v.Set(out)
	}
}

// wantOf says what a scalar of type t is, for "want X, not Y" errors.
func wantOf(t reflect.Type) string {
	if isScalarType(t) {
		return wantScalar(t)
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a single value"
}

// wantScalar describes the scalar types (a TextUnmarshaler from another
// package reads a string).
func wantScalar(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return "a duration such as \"10s\""
	case reflect.TypeFor[Size]():
		return "a byte size such as 65536 or \"64k\""
	case reflect.TypeFor[Ratio]():
		return "a ratio such as 0.5 or \"50%\""
	case reflect.TypeFor[Endpoint]():
		return "an endpoint such as \"tcp://10.0.0.1:80\""
	case reflect.TypeFor[Number]():
		return "a number"
	case reflect.TypeFor[netip.Prefix]():
		return "an address prefix such as \"10.0.0.0/24\""
	case reflect.TypeFor[netip.Addr]():
		return "an address such as \"10.0.0.1\""
	}
	if t.Name() == "Duration" {
		return "a duration such as \"10ms\""
	}
	return "a string"
}

// assign stores one scalar (its text and how YAML wrote it) in v, a value
// of a scalar type; problems are reported at pos.
func (d *decoder) assign(v reflect.Value, text string, kind scalarKind, pos Pos, path string) {
	if sd, ok := v.Addr().Interface().(scalarDecoder); ok {
		if err := sd.decodeScalar(text, kind); err != nil {
			d.errorf(pos, path, "%v", err)
		}
		return
	}
	if tu, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		if kind != kindString {
			d.errorf(pos, path, "want %s, not the %s %s", wantOf(v.Type()), kindName(kind), text)
			return
		}
		if err := tu.UnmarshalText([]byte(strings.TrimSpace(text))); err != nil {
			if v.Type().PkgPath() == "net/netip" {
				d.errorf(pos, path, "invalid %s %q: %v", describeType(v.Type()), text, trimErr(err))
			} else {
				d.errorf(pos, path, "%v", err)
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		if kind == kindBool {
			d.errorf(pos, path, "want a string, not the boolean %s (quote it: \"%s\")", text, text)
			return
		}
		v.SetString(text)
	case reflect.Bool:
		if kind != kindBool {
			d.errorf(pos, path, "want true or false, not the %s %s", kindName(kind), quoteIf(text, kind))
			return
		}
		v.SetBool(text == "true")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if kind != kindInt {
			d.errorf(pos, path, "want an integer, not the %s %s", kindName(kind), quoteIf(text, kind))
			return
		}
		i, err := strconv.ParseInt(intText(text), 0, v.Type().Bits())
		if err != nil {
			d.errorf(pos, path, "%s does not fit in %s", text, describeType(v.Type()))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if kind != kindInt {
			d.errorf(pos, path, "want a non-negative integer, not the %s %s", kindName(kind), quoteIf(text, kind))
			return
		}
		t := intText(text)
		if strings.HasPrefix(t, "-") {
			d.errorf(pos, path, "want a non-negative integer, not %s", text)
			return
		}
		u, err := strconv.ParseUint(t, 0, v.Type().Bits())
		if err != nil {
			d.errorf(pos, path, "%s does not fit in %s", text, describeType(v.Type()))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		if kind != kindInt && kind != kindFloat {
			d.errorf(pos, path, "want a number, not the %s %s", kindName(kind), quoteIf(text, kind))
			return
		}
		f, err := strconv.ParseFloat(intText(text), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			d.errorf(pos, path, "want a finite number, not %s", text)
			return
		}
		v.SetFloat(f)
	default:
		// Only reachable if a field of an unsupported type is added to the
		// model; TestDecodableTypes walks every type to keep this away.
		d.errorf(pos, path, "internal error: cannot decode into %s", v.Type())
	}
}

// intText normalises YAML's integer spellings for strconv: digit
// separators removed, a leading + dropped, 0o as Go reads it.
func intText(text string) string {
	t := strings.ReplaceAll(strings.TrimSpace(text), "_", "")
	t = strings.TrimPrefix(t, "+")
	if len(t) > 1 && t[0] == '0' && t[1] >= '0' && t[1] <= '9' {
		// YAML 1.2 reads 0755 as decimal 755; strconv with base 0 would
		// read it as octal.
		t = strings.TrimLeft(t, "0")
		if t == "" {
			t = "0"
		}
	}
	return t
}

// structValue decodes a mapping into the struct v.
func (d *decoder) structValue(n ast.Node, v reflect.Value, path string, depth int) {
	var pairs []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		pairs = m.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{m}
	default:
		d.errorf(nodePos(n), path, "want a mapping (%s), not %s", fieldList(v.Type()), describeNode(n))
		return
	}
	fields := structFields(v.Type())
	for _, kv := range pairs {
		if kv.Key == nil {
			continue
		}
		kpos := nodePos(kv.Key)
		if kv.Key.IsMergeKey() {
			d.errorf(kpos, path, "merge keys (<<) are not supported; write the fields out")
			continue
		}
		key, kind, ok := d.scalar(kv.Key, path, "a field name")
		if !ok {
			continue
		}
		if kind != kindString {
			d.errorf(kpos, path, "field names are strings, not the %s %s", kindName(kind), key)
			continue
		}
		f, ok := fields.byName[key]
		if !ok {
			hint := suggest(key, fields.names)
			if hint == "" {
				hint = nestedSuggest(v.Type(), key)
			}
			d.errorf(kpos, path, "unknown field %q%s", key, hint)
			continue
		}
		fp := joinPath(path, key)
		if d.record {
			d.src.keys[fp] = kpos
		}
		d.value(kv.Value, v.Field(f), fp, depth+1)
	}
}

// nestedSuggest finds key one level down ("rate" is synth's
// "arrival.rate"), for a field written at the wrong level.
func nestedSuggest(t reflect.Type, key string) string {
	for i := range t.NumField() {
		f := t.Field(i)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if yamlName(f) == "" || ft.Kind() != reflect.Struct || isScalarType(ft) {
			continue
		}
		if _, ok := structFields(ft).byName[key]; ok {
			return fmt.Sprintf(" (did you mean %q?)", yamlName(f)+"."+key)
		}
	}
	return ""
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describeLevel(path string) string {
	if path == "" {
		return "the scenario"
	}
	return path
}

// scalar returns a scalar node's text and how it was written; what says
// what was wanted, for the error when n is no scalar.
func (d *decoder) scalar(n ast.Node, path, what string) (string, scalarKind, bool) {
	switch m := n.(type) {
	case *ast.StringNode:
		return m.Value, kindString, true
	case *ast.LiteralNode:
		if m.Value == nil {
			return "", kindString, true
		}
		return m.Value.Value, kindString, true
	case *ast.IntegerNode:
		return m.GetToken().Value, kindInt, true
	case *ast.FloatNode:
		return m.GetToken().Value, kindFloat, true
	case *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, kindFloat, true
	case *ast.BoolNode:
		return strconv.FormatBool(m.Value), kindBool, true
	}
	d.errorf(nodePos(n), path, "want %s, not %s", what, describeNode(n))
	return "", 0, false
}

// recordBlock notes where a string's text starts in the file.
func (d *decoder) recordBlock(n ast.Node, path string) {
	if !d.record {
		return
	}
	switch m := n.(type) {
	case *ast.LiteralNode:
		if m.Value == nil || m.Value.Token == nil || m.Value.Token.Position == nil {
			return
		}
		line := m.Value.Token.Position.Line
		d.src.blocks[path] = blockInfo{line: line, col: indentOf(d.src.text, line) + 1, block: true}
	case *ast.StringNode:
		p := tokenPos(m.Token)
		col := p.Col
		if m.Token != nil && (m.Token.Type == token.DoubleQuoteType || m.Token.Type == token.SingleQuoteType) {
			col++
		}
		d.src.blocks[path] = blockInfo{line: p.Line, col: col}
	}
}

// indentOf returns the number of leading spaces of 1-based line in text.
func indentOf(text []byte, line int) int {
	start := 0
	for l := 1; l < line && start < len(text); l++ {
		i := strings.IndexByte(string(text[start:]), '\n')
		if i < 0 {
			return 0
		}
		start += i + 1
	}
	n := 0
	for start+n < len(text) && text[start+n] == ' ' {
		n++
	}
	return n
}

func kindName(k scalarKind) string {
	switch k {
	case kindInt:
		return "integer"
	case kindFloat:
		return "number"
	case kindBool:
		return "boolean"
	}
	return "string"
}

func quoteIf(text string, k scalarKind) string {
	if k == kindString {
		return strconv.Quote(text)
	}
	return text
}

// describeNode names what a node is, for "want X, not Y" errors.
func describeNode(n ast.Node) string {
	switch m := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode:
		return "the string " + strconv.Quote(truncate(m.Value, 40))
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + n.GetToken().Value
	case *ast.BoolNode:
		return "the boolean " + strconv.FormatBool(m.Value)
	case nil:
		return "nothing"
	}
	return n.Type().YAMLName()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// describeType names a Go type as a scenario author knows it.
func describeType(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[uint16]():
		return "a port or 16-bit number (0..65535)"
	case reflect.TypeFor[uint32]():
		return "a 32-bit unsigned number"
	case reflect.TypeFor[int]():
		return "an integer"
	}
	switch t.Name() {
	case "Prefix":
		return "address prefix"
	case "Addr":
		return "address"
	}
	return t.String()
}

func trimErr(err error) string {
	s := err.Error()
	// netip's errors repeat the input; keep the reason.
	if i := strings.LastIndex(s, "): "); i >= 0 {
		return s[i+3:]
	}
	return s
}

// fieldSet is a struct type's decodable fields by YAML name.
type fieldSet struct {
	byName map[string]int
	names  []string
}

// structFields lists t's fields that carry a yaml tag.
func structFields(t reflect.Type) fieldSet {
	fs := fieldSet{byName: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		fs.byName[name] = i
		fs.names = append(fs.names, name)
	}
	return fs
}

// yamlName returns a field's YAML key, "" for fields not in the file.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return ""
	}
	return name
}

func fieldList(t reflect.Type) string {
	fs := structFields(t)
	if len(fs.names) > 6 {
		return "fields " + strings.Join(fs.names[:6], ", ") + ", ..."
	}
	return "fields " + strings.Join(fs.names, ", ")
}
