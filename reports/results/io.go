package results

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Load reads, decodes and validates the results document at path. Errors
// name the file and, for syntax and type errors, the line and column; a file
// of another schema or another version of this one is rejected before its
// content is interpreted. A gzip-compressed file (any name; recognised by its
// magic bytes) is decompressed first, so baselines can be stored small.
func Load(path string) (*Document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if b, err = gunzip(path, b); err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// maxDocument bounds a decompressed document, so a corrupt or hostile
// gzip file cannot exhaust memory.
const maxDocument = 1 << 30

// gunzip returns b decompressed when it starts with gzip's magic bytes,
// and b itself otherwise.
func gunzip(name string, b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: gzip: %w", name, err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("%s: gzip: %w", name, err)
	}
	if len(out) > maxDocument {
		return nil, fmt.Errorf("%s: gzip: document larger than %d bytes", name, maxDocument)
	}
	return out, nil
}

// Parse decodes and validates a results document held in memory; name is
// used in error messages (a file name, or "-" for standard input).
func Parse(name string, b []byte) (*Document, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%s: empty file, not a results document", name)
	}
	if err := checkSchema(name, b); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		return nil, decodeError(name, b, dec.InputOffset(), err)
	}
	if off := dec.InputOffset(); len(bytes.TrimSpace(b[off:])) != 0 {
		line, col := lineCol(b, off+int64(len(b[off:])-len(bytes.TrimLeft(b[off:], " \t\r\n"))))
		return nil, fmt.Errorf("%s:%d:%d: unexpected data after the document", name, line, col)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &d, nil
}

// checkSchema looks only at the "schema" field, so that a file of another
// format or version gets that as its error rather than a confusing
// complaint about some field deep inside it.
func checkSchema(name string, b []byte) error {
	var head map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&head); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return fmt.Errorf("%s: the document is a JSON %s, want an object with \"schema\": %q", name, te.Value, Schema)
		}
		return decodeError(name, b, dec.InputOffset(), err)
	}
	raw, ok := head["schema"]
	if !ok {
		return fmt.Errorf("%s: no \"schema\" field: not a sessionlab results document (want \"schema\": %q)", name, Schema)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("%s: \"schema\" is %s, want the string %q", name, truncate(string(raw), 40), Schema)
	}
	switch {
	case s == Schema:
		return nil
	case strings.HasPrefix(s, SchemaPrefix):
		return fmt.Errorf("%s: schema %q is another version of the results format; this sessionlab reads only %q", name, s, Schema)
	default:
		return fmt.Errorf("%s: schema %q is not a sessionlab results document (want %q)", name, s, Schema)
	}
}

// decodeError turns an encoding/json error into one that names the file,
// line and column, and the field when the decoder knows it.
func decodeError(name string, b []byte, fallback int64, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := fallback
	msg := err.Error()
	switch {
	case errors.As(err, &se):
		off = se.Offset
		msg = "JSON syntax error: " + se.Error()
	case errors.As(err, &te):
		off = te.Offset
		field := te.Field
		if field == "" {
			field = "document"
		}
		msg = fmt.Sprintf("field %s: a JSON %s cannot be a %s", field, te.Value, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(b))
		msg = "unexpected end of file (truncated document?)"
	default:
		msg = strings.TrimPrefix(msg, "json: ")
	}
	if off < 0 {
		return fmt.Errorf("%s: %s", name, msg)
	}
	line, col := lineCol(b, off)
	return fmt.Errorf("%s:%d:%d: %s", name, line, col, msg)
}

// lineCol converts a byte offset into a 1-based line and column (columns
// count bytes).
func lineCol(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// Marshal validates d and returns its JSON form (indented, newline-terminated).
func Marshal(d *Document) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Save validates d and writes it to path. It writes a temporary file beside
// path and renames it, so an interrupted Save never leaves half a document
// where a good one was. A path ending in ".gz" is written gzip-compressed
// (with no timestamp in the header, so equal documents give equal files).
func Save(path string, d *Document) error {
	b, err := Marshal(d)
	if err != nil {
		return fmt.Errorf("%s: not saved: %w", path, err)
	}
	if strings.HasSuffix(path, ".gz") {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		if _, err := zw.Write(b); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		b = z.Bytes()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
