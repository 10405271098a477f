package scenario

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/sessionlab/sessionlab/reports/results"
)

// Field paths name a field of the scenario the way the YAML nests it:
// "traffic[0].synth.rate", "apps[1].rx_fifo", "workers". An index may also
// be written as a dotted component ("traffic.0.synth.rate"), the form the
// results document uses for its flattened fields. Sweep axes and --set
// overrides use paths; decoding records the file position of every path.

// pathElem is one component of a field path.
type pathElem struct {
	name  string
	index int
	isIdx bool
}

// parsePath splits a field path into its components.
func parsePath(p string) ([]pathElem, error) {
	if p == "" {
		return nil, fmt.Errorf("empty field path")
	}
	var out []pathElem
	i := 0
	expectName := true
	for i < len(p) {
		switch {
		case p[i] == '[':
			if expectName {
				return nil, fmt.Errorf("field path %q: index without a field before it", p)
			}
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("field path %q: missing ]", p)
			}
			n, err := strconv.Atoi(p[i+1 : i+j])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("field path %q: index %q is not a number", p, p[i+1:i+j])
			}
			out = append(out, pathElem{index: n, isIdx: true})
			i += j + 1
		case p[i] == '.':
			if expectName {
				return nil, fmt.Errorf("field path %q: empty component", p)
			}
			expectName = true
			i++
		default:
			if !expectName {
				return nil, fmt.Errorf("field path %q: want . or [ after %q", p, p[:i])
			}
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			name := p[i:j]
			if n, err := strconv.Atoi(name); err == nil && len(out) > 0 {
				if n < 0 {
					return nil, fmt.Errorf("field path %q: negative index", p)
				}
				out = append(out, pathElem{index: n, isIdx: true})
			} else {
				for _, c := range []byte(name) {
					if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
						return nil, fmt.Errorf("field path %q: invalid character %q", p, c)
					}
				}
				out = append(out, pathElem{name: name})
			}
			expectName = false
			i = j
		}
	}
	if expectName {
		return nil, fmt.Errorf("field path %q ends with a dot", p)
	}
	return out, nil
}

// canonicalPath writes components in the bracket form the decoder records.
func canonicalPath(es []pathElem) string {
	var b strings.Builder
	for _, e := range es {
		if e.isIdx {
			fmt.Fprintf(&b, "[%d]", e.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.name)
	}
	return b.String()
}

// lookupPath walks es from root (a struct value) and returns the addressed
// field. With alloc, nil pointers on the way are allocated (for setting);
// without, a nil pointer is an error naming the missing block.
func lookupPath(root reflect.Value, es []pathElem, alloc bool) (reflect.Value, error) {
	v := root
	for k, e := range es {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !alloc {
					return reflect.Value{}, fmt.Errorf("%s is not set in the scenario", canonicalPath(es[:k]))
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		at := canonicalPath(es[:k])
		if e.isIdx {
			if v.Kind() != reflect.Slice {
				return reflect.Value{}, fmt.Errorf("%s is not a list; [%d] does not apply", describeLevel(at), e.index)
			}
			if e.index >= v.Len() {
				return reflect.Value{}, fmt.Errorf("%s has %s; index %d is out of range", at, plural(v.Len(), "item"), e.index)
			}
			v = v.Index(e.index)
			continue
		}
		if v.Kind() != reflect.Struct || isScalarType(v.Type()) {
			return reflect.Value{}, fmt.Errorf("%s has no fields; %q does not apply", describeLevel(at), e.name)
		}
		fs := structFields(v.Type())
		i, ok := fs.byName[e.name]
		if !ok {
			return reflect.Value{}, fmt.Errorf("unknown field %q in %s%s", e.name, describeLevel(at), suggest(e.name, fs.names))
		}
		v = v.Field(i)
	}
	return v, nil
}

// isScalarType reports whether t is decoded from one scalar: the
// package's scalar types and every encoding.TextUnmarshaler (netip
// prefixes and addresses, traffic/pcap's modes, traffic/synth's
// durations).
func isScalarType(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(reflect.TypeFor[scalarDecoder]()) || pt.Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

// typeAtPath returns the type path p addresses, checking names only
// (indices are not range-checked): sweep params are validated with it
// before any point exists.
func typeAtPath(t reflect.Type, es []pathElem) (reflect.Type, error) {
	for k, e := range es {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		at := canonicalPath(es[:k])
		if e.isIdx {
			if t.Kind() != reflect.Slice {
				return nil, fmt.Errorf("%s is not a list; [%d] does not apply", describeLevel(at), e.index)
			}
			t = t.Elem()
			continue
		}
		if t.Kind() != reflect.Struct || isScalarType(t) {
			return nil, fmt.Errorf("%s has no fields; %q does not apply", describeLevel(at), e.name)
		}
		fs := structFields(t)
		i, ok := fs.byName[e.name]
		if !ok {
			return nil, fmt.Errorf("unknown field %q in %s%s", e.name, describeLevel(at), suggest(e.name, fs.names))
		}
		t = t.Field(i).Type
	}
	return t, nil
}

// deepCopy returns a copy of v sharing no slices or pointers with it
// (unexported fields, which hold read-only source data, are shared).
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(deepCopy(v.Elem()))
		return out
	case reflect.Slice:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(deepCopy(v.Index(i)))
		}
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return out
	}
	return v
}

// clone returns a deep copy of s.
func (s *Scenario) clone() *Scenario {
	c := deepCopy(reflect.ValueOf(s).Elem()).Interface().(Scenario)
	return &c
}

// flatten appends the leaves of v under dotted keys ("traffic.0.pcap.file")
// in field order; zero values are left out unless the file wrote them.
func flatten(v reflect.Value, key, path string, src *source, out []results.KeyValue) []results.KeyValue {
	if text, ok := leafText(v); ok {
		if !v.IsZero() || (src != nil && src.has(path)) {
			out = append(out, results.KeyValue{Key: key, Value: text})
		}
		return out
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return out
		}
		return flatten(v.Elem(), key, path, src, out)
	case reflect.Slice:
		for i := range v.Len() {
			out = flatten(v.Index(i), fmt.Sprintf("%s.%d", key, i), fmt.Sprintf("%s[%d]", path, i), src, out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			name := yamlName(v.Type().Field(i))
			if name == "" {
				continue
			}
			out = flatten(v.Field(i), joinPath(key, name), joinPath(path, name), src, out)
		}
	}
	return out
}

// leafText formats a scalar field; ok is false for containers.
func leafText(v reflect.Value) (string, bool) {
	if isScalarType(v.Type()) {
		switch x := v.Interface().(type) {
		case Ratio:
			return strconv.FormatFloat(float64(x), 'g', -1, 64), true
		case encoding.TextMarshaler:
			if b, err := x.MarshalText(); err == nil {
				return string(b), true
			}
		case fmt.Stringer:
			return x.String(), true
		}
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64), true
	}
	return "", false
}

// plural writes "1 item", "2 items".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Fields flattens the scenario's effective fields (after --set and
// defaults) to dotted keys ("traffic.0.synth.rate") in field order: what a
// results document's config.fields holds. Zero values are left out unless
// the file wrote them. Name, description, the startup.conf text (recorded
// as the session stanza), the sweep, plots and search defaults are not
// configuration and are left out too.
func (s *Scenario) Fields() []results.KeyValue {
	var out []results.KeyValue
	v := reflectValue(s)
	for i := range v.NumField() {
		switch name := yamlName(v.Type().Field(i)); name {
		case "", "name", "description", "startup_conf", "sweep", "plots", "search":
		default:
			out = flatten(v.Field(i), name, name, s.src, out)
		}
	}
	return out
}
