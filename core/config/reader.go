package config

import (
	"fmt"
	"io"
	"os"
)

// MaxConfigSize is the largest configuration VPP reads: 256 KiB. A larger
// file is a fatal error in VPP and in sessionlab.
const MaxConfigSize = 1 << 18

// Options tune how a configuration is read.
type Options struct {
	// AllowSmallQueues accepts wrk-mq-length / event-queue-length values
	// below VPP's minimum of 2048 (a scenario's `vpp_limits: false`), with a
	// warning that the result is outside VPP's range. Without it such values
	// are ignored with VPP's warning, as VPP does.
	AllowSmallQueues bool
}

// Stanza is one `<name> <value>` pair of the file, in file order.
type Stanza struct {
	// Name is the stanza name, e.g. "unix", "cpu", "session".
	Name string
	// Value is the value as VPP hands it to the stanza's config function:
	// comments removed, whitespace flattened, the outer braces of a braced
	// block stripped, backslash escapes resolved (nested braces are kept).
	Value string
	// Braced reports whether the value was a braced block (`name { ... }`)
	// rather than a single word (`name word`).
	Braced bool
	// Pos is where the name starts; ValuePos where the value (its opening
	// brace, for a braced block) starts.
	Pos, ValuePos Pos
}

// File is a parsed startup.conf.
type File struct {
	// Name is the file name used in errors and warnings.
	Name string
	// Stanzas lists every stanza in file order, including repeated ones
	// (VPP concatenates repeated stanzas; [File.Value] returns that text).
	Stanzas []Stanza
	// Session is the session layer configuration; all defaults when the file
	// has no session stanza. Never nil.
	Session *Session
	// Workers is the number of worker threads from the cpu stanza
	// (`workers N`, or the number of cores in `corelist-workers` /
	// `coremask-workers`); 0 means the main thread only.
	Workers int
	// WorkersFrom says where Workers was set (Setting.Set false: default 0).
	WorkersFrom Setting[int]
	// Warnings lists every warning, in the order the parser met them.
	// Session.Warnings holds the session stanza's subset.
	Warnings []Warning

	merged map[string]*text
}

// Value returns the concatenation of all stanzas called name (joined by one
// space, as VPP does) and whether there was any.
func (f *File) Value(name string) (string, bool) {
	t, ok := f.merged[name]
	if !ok {
		return "", false
	}
	return string(t.buf), true
}

// text is a run of configuration bytes with, for each byte, the offset in the
// original source it came from (-1 for bytes VPP's reader synthesises, such
// as the space joining two repeated stanzas). Carrying offsets through
// flattening and brace stripping is what lets every later stage report
// positions in the file the user wrote.
type text struct {
	buf []byte
	off []int32
}

func (t *text) add(c byte, off int32) {
	t.buf = append(t.buf, c)
	t.off = append(t.off, off)
}

// reader holds the state of one Parse call.
type reader struct {
	name  string
	src   []byte
	lines lineTable
	opt   Options
	file  *File
}

func (r *reader) pos(off int32) Pos { return r.lines.pos(off) }

func (r *reader) errAt(off int32, txt, msg string) *Error {
	p := r.pos(off)
	return &Error{File: r.name, Line: p.Line, Col: p.Col, Text: txt, Msg: msg}
}

// Parse reads a whole startup.conf held in src; name is used in errors and
// warnings. A non-nil error is always an *Error.
func Parse(name string, src []byte, opt Options) (*File, error) {
	f, err := parse(name, src, opt)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// parse is Parse with a concrete error type (a nil *Error must not become a
// non-nil error interface).
func parse(name string, src []byte, opt Options) (*File, *Error) {
	r := &reader{name: name, src: src, lines: newLineTable(src), opt: opt}
	if len(src) > MaxConfigSize {
		return nil, r.errAt(MaxConfigSize, "",
			fmt.Sprintf("configuration is %d bytes, larger than VPP's limit of %d bytes (256 KiB)", len(src), MaxConfigSize))
	}
	flat, err := r.flatten()
	if err != nil {
		return nil, err
	}
	f := &File{Name: name, merged: map[string]*text{}}
	r.file = f
	if err := r.stanzas(flat); err != nil {
		return nil, err
	}
	if t, ok := f.merged["cpu"]; ok {
		if err := r.cpu(t); err != nil {
			return nil, err
		}
	}
	s := Default()
	s.Options = opt
	if t, ok := f.merged["session"]; ok {
		p := &sessionParser{s: s, file: name, pos: r.pos, inFile: true}
		if err := p.run(t); err != nil {
			return nil, err
		}
		p.checkPortRange()
		f.Warnings = append(f.Warnings, s.Warnings...)
	}
	f.Session = s
	return f, nil
}

// ParseFile reads and parses the file at path. Files larger than
// MaxConfigSize are rejected without being read whole.
func ParseFile(path string, opt Options) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	src, err := io.ReadAll(io.LimitReader(fh, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Parse(path, src, opt)
}

// flatten applies VPP's reader: comments to end of line removed (a `#`
// starts one anywhere, even inside a word), CR/LF/TAB turned into spaces,
// runs of spaces collapsed to one, leading and trailing spaces dropped.
func (r *reader) flatten() (*text, *Error) {
	src := r.src
	t := &text{buf: make([]byte, 0, len(src)), off: make([]int32, 0, len(src))}
	space := int32(-1) // offset of the first blank of a pending run, -1 if none
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '#':
			// The comment ends at the newline, which is itself a blank.
			if space < 0 {
				space = int32(i)
			}
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case ' ', '\t', '\r', '\n':
			if space < 0 {
				space = int32(i)
			}
		case 0:
			// No startup.conf holds a NUL byte on purpose, and VPP's
			// C-string handling would truncate or misread what follows it;
			// a clear error is better than a silently different config.
			return nil, r.errAt(int32(i), `\x00`, "NUL byte in configuration")
		default:
			if space >= 0 && len(t.buf) > 0 {
				t.add(' ', space)
			}
			space = -1
			t.add(c, int32(i))
		}
	}
	return t, nil
}

// stanzas splits the flattened text into `<name> <value>` pairs.
func (r *reader) stanzas(t *text) *Error {
	f := r.file
	i := 0
	for i < len(t.buf) {
		nameOff := t.off[i]
		switch t.buf[i] {
		case '{':
			return r.errAt(nameOff, "{", "expected a stanza name, found `{'")
		case '}':
			return r.errAt(nameOff, "}", "unbalanced `}': no `{' is open")
		}
		var name text
		i = readWord(t, i, &name)
		i = skipBlank(t.buf, i)
		if i >= len(t.buf) {
			return r.errAt(nameOff, string(name.buf),
				fmt.Sprintf("stanza `%s' has no value (write `%s { ... }')", name.buf, name.buf))
		}
		valOff := t.off[i]
		var val text
		braced := t.buf[i] == '{'
		if braced {
			var err *Error
			if i, err = r.readBraced(t, i, &val); err != nil {
				return err
			}
		} else {
			i = readWord(t, i, &val)
		}
		i = skipBlank(t.buf, i)

		n := string(name.buf)
		f.Stanzas = append(f.Stanzas, Stanza{
			Name: n, Value: string(val.buf), Braced: braced,
			Pos: r.pos(nameOff), ValuePos: r.pos(valOff),
		})
		m, ok := f.merged[n]
		if !ok {
			m = &text{}
			f.merged[n] = m
		}
		if len(m.buf) > 0 {
			m.add(' ', -1)
		}
		m.buf = append(m.buf, val.buf...)
		m.off = append(m.off, val.off...)
	}
	return nil
}

func skipBlank(buf []byte, i int) int {
	for i < len(buf) && isSpace(buf[i]) {
		i++
	}
	return i
}

// readWord reads one whitespace-delimited word starting at i into w; a
// backslash takes the next byte literally (so an escaped space does not end
// the word). It returns the index after the word.
func readWord(t *text, i int, w *text) int {
	for i < len(t.buf) {
		c := t.buf[i]
		if c == '\\' {
			i++
			if i < len(t.buf) {
				w.add(t.buf[i], t.off[i])
				i++
			}
			continue
		}
		if isSpace(c) {
			break
		}
		w.add(c, t.off[i])
		i++
	}
	return i
}

// readBraced reads a balanced braced block starting at the `{` at i into v,
// without the outer braces. Nested braces are counted and kept; a backslash
// takes the next byte literally (an escaped brace does not count).
func (r *reader) readBraced(t *text, i int, v *text) (int, *Error) {
	open := t.off[i]
	depth := 1
	i++
	for i < len(t.buf) {
		c := t.buf[i]
		switch c {
		case '\\':
			i++
			if i < len(t.buf) {
				v.add(t.buf[i], t.off[i])
			}
		case '{':
			depth++
			v.add(c, t.off[i])
		case '}':
			depth--
			if depth == 0 {
				return i + 1, nil
			}
			v.add(c, t.off[i])
		default:
			v.add(c, t.off[i])
		}
		i++
	}
	// VPP takes everything up to the end of the file as the value when a
	// brace is never closed; that silently swallows whatever follows, so
	// sessionlab refuses it (docs/vpp-compatibility.md).
	return 0, r.errAt(open, "{", fmt.Sprintf("unclosed `{': %d `}' missing before the end of the file", depth))
}

// isSpace is VPP's notion of white space (unformat's is_white_space).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}
