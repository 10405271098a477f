package bihash

import (
	"errors"
	"testing"
)

// FuzzOps decodes bytes into a table configuration and a sequence of
// operations (byte 0: buckets; byte 1: extra arena bytes / 16; then 3 bytes
// per operation: opcode, key index, value) and runs them on a table and on
// the slow reference: every answer, and the structure after every step, must
// agree. There is no parser in the package; this is the package's input
// surface, driven by arbitrary bytes.
func FuzzOps(f *testing.F) {
	f.Add([]byte{4, 10, 0, 1, 7, 0, 2, 8, 1, 1, 0, 2, 2, 0})
	f.Add([]byte{1, 0, 0, 1, 1, 0, 2, 2, 0, 3, 3, 0, 4, 4, 0, 5, 5, 2, 5, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzOps[Key16](t, data)
		fuzzOps[Key48](t, data)
	})
}

func fuzzOps[K Key](t *testing.T, data []byte) {
	if len(data) < 2 {
		return
	}
	buckets := uint32(data[0]%16) + 1
	nb := uint64(1)
	for nb < uint64(buckets) {
		nb *= 2
	}
	memory := nb*uint64(bucketBytes[K]()) + uint64(data[1])*16
	tbl, err := New[K](Config{Name: "fuzz", Buckets: buckets, Memory: memory})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Close()
	ref := newRef[K](buckets, memory)
	pool := keyPool[K](40, 12)
	for i := 2; i+2 < len(data); i += 3 {
		k := pool[int(data[i+1])%len(pool)]
		v := uint64(data[i+2])
		if v == 255 {
			v = FreeValue
		}
		var got, want error
		switch data[i] % 4 {
		case 0:
			got, want = tbl.Add(k, v), ref.add(k, v, true)
		case 1:
			got, want = tbl.AddNoReplace(k, v), ref.add(k, v, false)
		case 2:
			got, want = tbl.Delete(k), ref.del(k)
		case 3:
			gv, gok := tbl.Lookup(k)
			wv, wok := ref.lookup(k)
			if gv != wv || gok != wok {
				t.Fatalf("op at byte %d: Lookup %d %v, reference %d %v", i, gv, gok, wv, wok)
			}
		}
		if !errors.Is(got, want) || !errors.Is(want, got) {
			t.Fatalf("op at byte %d (%d): table %v, reference %v", i, data[i]%4, got, want)
		}
		if err := sameAs(tbl, ref); err != nil {
			t.Fatalf("op at byte %d: %v", i, err)
		}
	}
}
