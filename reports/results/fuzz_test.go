package results_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/sessionlab/sessionlab/reports/results"
)

// FuzzParse: Parse never panics, and whatever it accepts survives
// Marshal → Parse unchanged (so a document that loads can be saved).
func FuzzParse(f *testing.F) {
	if b, err := results.Marshal(small()); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"schema":"sessionlab.results/v1"}`))
	f.Add([]byte(`{"schema":"sessionlab.results/v2"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := results.Parse("fuzz.json", b)
		if err != nil {
			return
		}
		out, err := results.Marshal(d)
		if err != nil {
			t.Fatalf("accepted document does not marshal: %v", err)
		}
		d2, err := results.Parse("again.json", out)
		if err != nil {
			t.Fatalf("re-parse of marshalled document: %v", err)
		}
		if !reflect.DeepEqual(d, d2) {
			t.Fatalf("round trip changed the document")
		}
	})
}

// FuzzValueJSON: a Value decodes or fails cleanly; a decoded Value
// round-trips through its own JSON form.
func FuzzValueJSON(f *testing.F) {
	for _, s := range []string{`{"text":"64m","num":67108864}`, `"echo"`, `1024`, `-1e-3`, `{}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v results.Value
		if err := json.Unmarshal(b, &v); err != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %+v: %v", v, err)
		}
		var w results.Value
		if err := json.Unmarshal(out, &w); err != nil {
			t.Fatalf("unmarshal own output %s: %v", out, err)
		}
		if !v.Equal(w) {
			t.Fatalf("round trip %+v -> %s -> %+v", v, out, w)
		}
	})
}
