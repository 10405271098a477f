package bihash

import (
	"errors"
	"flag"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func mustNew[K Key](t testing.TB, buckets uint32, memory uint64) *Table[K] {
	t.Helper()
	tb, err := New[K](Config{Name: "test", Buckets: buckets, Memory: memory})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tb.Close() })
	return tb
}

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"zero buckets", Config{Name: "a", Buckets: 0, Memory: 1 << 20}, `bihash "a": bucket count 0`},
		{"too many buckets", Config{Name: "b", Buckets: 1<<31 + 1, Memory: 1 << 20}, "above 2^31"},
		{"memory too small", Config{Name: "c", Buckets: 20000, Memory: 32768*104 - 1}, "cannot hold the bucket array: 32768 buckets (20000 rounded up) need 3407872 bytes"},
		{"memory too large", Config{Name: "d", Buckets: 1, Memory: MaxMemory + 1}, "above the 68719476736-byte limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb, err := New[Key16](c.cfg)
			if err == nil {
				tb.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
	// Exactly the bucket array is enough; the rounding is VPP's.
	for _, c := range []struct {
		buckets uint32
		want    uint64
	}{{1, 1}, {3, 4}, {20000, 32768}, {250000, 262144}} {
		tb := mustNew[Key48](t, c.buckets, c.want*8)
		if s := tb.Stats(); s.Buckets != c.want || s.BucketArrayBytes != c.want*8 || s.ArenaTotal != c.want*8 {
			t.Errorf("buckets %d: %+v", c.buckets, s)
		}
		if tb.Name() != "test" || tb.Config().Buckets != c.buckets {
			t.Errorf("config %+v", tb.Config())
		}
	}
}

func TestOperations(t *testing.T) {
	testOperations[Key16](t)
	testOperations[Key24](t)
	testOperations[Key48](t)
}

func testOperations[K Key](t *testing.T) {
	tb := mustNew[K](t, 16, 1<<20)
	keys := keyPool[K](1000, 0)
	for i, k := range keys {
		if err := tb.AddNoReplace(k, uint64(i)); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := tb.AddNoReplace(keys[3], 99); !errors.Is(err, ErrExists) {
		t.Fatalf("AddNoReplace of a present key: %v", err)
	}
	if err := tb.Add(keys[3], 99); err != nil {
		t.Fatal(err)
	}
	if err := tb.Add(keys[4], FreeValue); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("Add of the free marker: %v", err)
	}
	for i, k := range keys {
		want := uint64(i)
		if i == 3 {
			want = 99
		}
		if v, ok := tb.Lookup(k); !ok || v != want {
			t.Fatalf("key %d: %d %v", i, v, ok)
		}
	}
	absent := keyFrom[K](12345678)
	if _, ok := tb.Lookup(absent); ok {
		t.Fatal("found an absent key")
	}
	if err := tb.Delete(absent); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of an absent key: %v", err)
	}
	for i := 0; i < len(keys); i += 2 {
		if err := tb.Delete(keys[i]); err != nil {
			t.Fatal(i, err)
		}
	}
	s := tb.Stats()
	if s.Pairs != 500 || tb.Len() != 500 || s.Adds != 1000 || s.Deletes != 500 || s.Replaces != 1 || s.Splits == 0 {
		t.Fatalf("stats %+v", s)
	}
	var hist uint64
	for _, n := range s.PagesHistogram {
		hist += n
	}
	if hist != s.ActiveBuckets || s.ActiveBuckets != 16 {
		t.Fatalf("histogram %v sums to %d, active buckets %d", s.PagesHistogram, hist, s.ActiveBuckets)
	}
	// Reset empties the table and the arena.
	tb.Reset()
	s = tb.Stats()
	if s.Pairs != 0 || s.ActiveBuckets != 0 || s.ArenaUsed != tb.pagesStartBytes() || s.Adds != 0 || s.FreeLists != 0 {
		t.Fatalf("after Reset: %+v", s)
	}
	for i, k := range keys {
		if _, ok := tb.Lookup(k); ok {
			t.Fatalf("key %d found after Reset", i)
		}
		if err := tb.Add(k, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if s := tb.Stats(); s.Pairs != 1000 {
		t.Fatalf("after refill: %+v", s)
	}
}

// TestClose: after Close, lookups find nothing and changes fail; Close twice
// is harmless.
func TestClose(t *testing.T) {
	tb, err := New[Key16](Config{Name: "c", Buckets: 4, Memory: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Add(Key16{1, 2}, 3); err != nil {
		t.Fatal(err)
	}
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := tb.Lookup(Key16{1, 2}); ok {
		t.Fatal("lookup after Close found a key")
	}
	if err := tb.Add(Key16{1, 2}, 3); !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
	if err := tb.Delete(Key16{1, 2}); !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
	tb.Reset()
	tb.Walk(func(Key16, uint64) bool { t.Fatal("walk after Close"); return false })
	if s := tb.Stats(); s.Pairs != 0 || s.ArenaTotal != 0 {
		t.Fatalf("stats after Close: %+v", s)
	}
}

// TestExhaustion: a 64 KiB arena fills; Add then returns ErrTableFull,
// counted, and every key added before is still found with its value.
func TestExhaustion(t *testing.T) {
	t.Run("key=16", testExhaustion[Key16])
	t.Run("key=48", testExhaustion[Key48])
}

func testExhaustion[K Key](t *testing.T) {
	tb := mustNew[K](t, 256, 64<<10)
	r := rand.New(rand.NewPCG(1, 2))
	added := map[K]uint64{}
	var failed []K
	for fails := 0; fails < 500; {
		k := keyFrom[K](r.Uint64())
		v := r.Uint64N(1 << 40)
		err := tb.Add(k, v)
		switch {
		case err == nil:
			added[k] = v
		case errors.Is(err, ErrTableFull):
			fails++
			failed = append(failed, k)
		default:
			t.Fatal(err)
		}
	}
	s := tb.Stats()
	if s.TableFull != uint64(len(failed)) || s.Pairs != uint64(len(added)) || s.ArenaTotal != 64<<10 || s.ArenaUsed > s.ArenaTotal {
		t.Fatalf("stats %+v; %d added, %d failed", s, len(added), len(failed))
	}
	for k, v := range added {
		if got, ok := tb.Lookup(k); !ok || got != v {
			t.Fatalf("key %v: %d %v, want %d", k, got, ok, v)
		}
	}
	for _, k := range failed {
		if _, ok := added[k]; ok {
			continue // a later add of the same key succeeded
		}
		if _, ok := tb.Lookup(k); ok {
			t.Fatalf("key %v found after ErrTableFull", k)
		}
	}
	t.Logf("%d pairs in 64 KiB, %d refusals; %s", len(added), len(failed), tb.Format(0))
}

// TestBucketFull: one bucket takes pairs until its 13-bit reference count or
// its page limit stops it; the refusal is ErrBucketFull, an ErrTableFull.
func TestBucketFull(t *testing.T) {
	tb := mustNew[Key16](t, 1, 8<<20)
	n := 0
	var err error
	for ; n < 10000; n++ {
		if err = tb.Add(keyFrom[Key16](uint64(n)+1), uint64(n)); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrBucketFull) || !errors.Is(err, ErrTableFull) {
		t.Fatalf("after %d adds: %v", n, err)
	}
	// The inline page counts one in the 13-bit reference count, so the
	// bucket holds 8190 pairs; a hashed bucket that reaches 2^11 pages
	// with a full page is packed linear at that size to get there.
	if n != maxRefcnt-1 {
		t.Fatalf("%d pairs in one bucket before ErrBucketFull, want %d (the reference count's limit)", n, maxRefcnt-1)
	}
	s := tb.Stats()
	if s.TableFull != 1 || s.Pairs != uint64(n) {
		t.Fatalf("stats %+v", s)
	}
	for i := range n {
		if v, ok := tb.Lookup(keyFrom[Key16](uint64(i) + 1)); !ok || v != uint64(i) {
			t.Fatalf("key %d: %d %v", i, v, ok)
		}
	}
}

// TestDeleteCodes: a missing key is VPP's -3 in a bucket with pairs and -1
// in an empty bucket of a variant without inline pages (both are
// ErrNotFound); an inline variant's bucket is never empty, so always -3.
func TestDeleteCodes(t *testing.T) {
	t24 := mustNew[Key24](t, 1, 1<<20)
	if err := t24.Delete(Key24{1}); err != ErrNotFoundEmpty || !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty 24-byte bucket: %v, want ErrNotFoundEmpty (-1)", err)
	}
	if err := t24.Add(Key24{2}, 2); err != nil {
		t.Fatal(err)
	}
	if err := t24.Delete(Key24{1}); err != ErrNotFound {
		t.Fatalf("non-empty 24-byte bucket: %v, want ErrNotFound (-3)", err)
	}
	t16 := mustNew[Key16](t, 1, 1<<20)
	if err := t16.Delete(Key16{1}); err != ErrNotFound {
		t.Fatalf("empty inline bucket: %v, want ErrNotFound (-3)", err)
	}
}

// TestSplitAndLinear walks one bucket through VPP's growth: 4 pairs inline;
// the 5th splits it into 2 pages (or 4); 5 keys that agree on the bucket and
// the next 2 hash bits defeat both rehashes and make it linear-search; a
// later split finds a hashed layout again; deleting everything returns the
// pages to the free lists and the bucket to its inline page.
func TestSplitAndLinear(t *testing.T) {
	const buckets = 16
	tb := mustNew[Key16](t, buckets, 1<<20)
	// Keys in bucket 5 whose page bits (4-5) are all 0.
	same := collidingKeys[Key16](9, 0x3f, 0x05)
	for i, k := range same[:4] {
		if err := tb.Add(k, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	s := tb.Stats()
	if s.Splits != 0 || s.PagesHistogram[0] != 1 || s.ArenaUsed != tb.pagesStartBytes() {
		t.Fatalf("4 pairs: %+v", s)
	}
	if err := tb.Add(same[4], 4); err != nil {
		t.Fatal(err)
	}
	s = tb.Stats()
	if s.Splits != 1 || s.LinearBuckets != 1 || s.PagesHistogram[1] != 1 {
		t.Fatalf("5 colliding pairs: want one linear bucket of 2 pages: %+v", s)
	}
	// The failed rehash attempts left a 2-page and a 4-page array on the
	// free lists; the linear bucket took the 2-page one back.
	if s.FreeArrays[1] != 0 || s.FreeArrays[2] != 1 || s.FreeLists != 3 {
		t.Fatalf("free lists after linear split: %+v", s)
	}
	for _, k := range same[5:8] {
		if err := tb.Add(k, 7); err != nil {
			t.Fatal(err)
		}
	}
	if s = tb.Stats(); s.Splits != 1 || s.LinearBuckets != 1 {
		t.Fatalf("8 pairs fit the linear bucket: %+v", s)
	}
	// Keys of bucket 5 spread over the page bits: the next split (9th
	// pair) rehashes into 4 pages (the colliding 8 need 2 pages of 4).
	for i, k := range same[:8] {
		if v, ok := tb.Lookup(k); !ok || (i < 5 && v != uint64(i)) {
			t.Fatalf("linear bucket lost key %d", i)
		}
	}
	spread := collidingKeys[Key16](64, 0xf, 0x5)
	added := 0
	for _, k := range spread {
		if h := Hash(k); h&0x3f == 0x05 {
			continue
		}
		if err := tb.Add(k, 100); err != nil {
			t.Fatal(err)
		}
		added++
		if tb.Stats().LinearBuckets == 0 {
			break
		}
	}
	s = tb.Stats()
	if s.LinearBuckets != 0 || s.Splits < 2 {
		t.Fatalf("bucket did not leave linear mode after %d more adds: %+v", added, s)
	}
	// Delete everything: the pages go to their free list and the bucket
	// back to its inline page.
	n := 0
	tb.Walk(func(k Key16, _ uint64) bool {
		if err := tb.Delete(k); err != nil {
			t.Fatal(err)
		}
		n++
		return true
	})
	s = tb.Stats()
	if s.Pairs != 0 || s.ActiveBuckets != 0 || s.ArenaFree != s.ArenaUsed-tb.pagesStartBytes() || n != 8+added {
		t.Fatalf("after deleting %d: %+v", n, s)
	}
	// Re-adding reuses the free lists: the arena does not grow.
	used := s.ArenaUsed
	for i, k := range same[:5] {
		if err := tb.Add(k, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if s = tb.Stats(); s.ArenaUsed != used || s.LinearBuckets != 1 {
		t.Fatalf("re-add: %+v (arena used before %d)", s, used)
	}
}

// TestDeleteReturnsPages: a bucket without an inline page gets a page on its
// first add and gives it back on its last delete.
func TestDeleteReturnsPages(t *testing.T) {
	tb := mustNew[Key48](t, 4, 1<<16)
	k := Key48{1, 2, 3, 4, 5, 6}
	if err := tb.Add(k, 1); err != nil {
		t.Fatal(err)
	}
	s := tb.Stats()
	if s.ArenaUsed != tb.pagesStartBytes()+256 || s.ActiveBuckets != 1 || s.FreeLists != 1 {
		t.Fatalf("after add: %+v", s)
	}
	if err := tb.Delete(k); err != nil {
		t.Fatal(err)
	}
	s = tb.Stats()
	if s.ActiveBuckets != 0 || s.FreeArrays[0] != 1 || s.ArenaFree != 256 {
		t.Fatalf("after delete: %+v", s)
	}
	if err := tb.Delete(k); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}

// TestWalk: order, early stop, and deleting from the callback.
func TestWalk(t *testing.T) {
	tb := mustNew[Key24](t, 8, 1<<16)
	keys := keyPool[Key24](100, 0)
	for i, k := range keys {
		if err := tb.Add(k, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	var order []uint64
	tb.Walk(func(k Key24, v uint64) bool {
		order = append(order, Hash(k)&7)
		return true
	})
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Fatalf("walk not in bucket order: %v", order)
		}
	}
	n := 0
	tb.Walk(func(Key24, uint64) bool { n++; return n < 10 })
	if n != 10 {
		t.Fatalf("walk did not stop: %d", n)
	}
	tb.Walk(func(k Key24, v uint64) bool {
		if v%2 == 0 {
			if err := tb.Delete(k); err != nil {
				t.Fatal(err)
			}
		}
		return true
	})
	if s := tb.Stats(); s.Pairs != 50 {
		t.Fatalf("pairs %d after deleting half in Walk", s.Pairs)
	}
}

// TestWalkSeesCallbackChanges: as VPP's foreach (spec §2.9), a pair the
// callback deleted is not visited afterwards, and one it added in a later
// slot of the bucket being walked is.
func TestWalkSeesCallbackChanges(t *testing.T) {
	k1, k2, k3 := Key16{1, 1}, Key16{2, 2}, Key16{3, 3}
	tb := mustNew[Key16](t, 1, 1<<20)
	for i, k := range []Key16{k1, k2} {
		if err := tb.Add(k, uint64(10*(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	var visits []uint64
	tb.Walk(func(k Key16, v uint64) bool {
		visits = append(visits, v)
		if v == 10 {
			if err := tb.Delete(k2); err != nil {
				t.Fatal(err)
			}
		} else {
			tb.Delete(k1)
		}
		return true
	})
	if _, ok := tb.Lookup(k1); !ok || len(visits) != 1 || visits[0] != 10 {
		t.Fatalf("visits %v, k1 present %v: want [10] and k1 kept (k2 was deleted before its turn)", visits, ok)
	}

	visits = visits[:0]
	tb.Walk(func(k Key16, v uint64) bool {
		visits = append(visits, v)
		if v == 10 {
			if err := tb.Add(k3, 30); err != nil {
				t.Fatal(err)
			}
		}
		return true
	})
	if len(visits) != 2 || visits[1] != 30 {
		t.Fatalf("visits %v: want the pair added in a later slot visited ([10 30])", visits)
	}
}

// TestFormat compares Format at verbose 0, 1 and 2 with golden files.
func TestFormat(t *testing.T) {
	tb, err := New[Key16](Config{Name: "v4 session table", Buckets: 4, Memory: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	for i := uint64(1); i <= 14; i++ {
		if err := tb.Add(Key16{i<<32 | 0x0a000001, 6<<32 | (1000+i)<<16 | 80}, i); err != nil {
			t.Fatal(err)
		}
	}
	for _, i := range []uint64{2, 3} {
		if err := tb.Delete(Key16{i<<32 | 0x0a000001, 6<<32 | (1000+i)<<16 | 80}); err != nil {
			t.Fatal(err)
		}
	}
	for _, verbose := range []int{0, 1, 2} {
		golden.Check(t, filepath.Join("testdata", "format_v"+string(rune('0'+verbose))+".golden"), tb.Format(verbose), *update)
	}
	tb.SetFormatter(func(k Key16, v uint64) string { return "session " + string(rune('a'+v)) })
	if f := tb.Format(1); !strings.Contains(f, "session b") {
		t.Fatalf("SetFormatter not used:\n%s", f)
	}
	l, err := New[Key24](Config{Name: "lazy", Buckets: 2, Memory: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	golden.Check(t, filepath.Join("testdata", "format_empty.golden"), l.Format(2), *update)
}

// TestAllocs: the hot paths allocate nothing.
func TestAllocs(t *testing.T) {
	tb := mustNew[Key16](t, 1024, 1<<20)
	keys := keyPool[Key16](2000, 0)
	for i, k := range keys {
		if err := tb.Add(k, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	vals := make([]uint64, 64)
	found := make([]bool, 64)
	i := 0
	for name, fn := range map[string]func(){
		"Lookup":      func() { tb.Lookup(keys[i%len(keys)]); i++ },
		"LookupBatch": func() { tb.LookupBatch(keys[:64], vals, found) },
		"Add replace": func() { _ = tb.Add(keys[i%len(keys)], 7); i++ },
		"Delete+Add":  func() { k := keys[i%len(keys)]; _ = tb.Delete(k); _ = tb.Add(k, 1); i++ },
		"Len":         func() { tb.Len() },
		"Stats":       func() { tb.Stats() },
	} {
		if a := testing.AllocsPerRun(200, fn); a != 0 {
			t.Errorf("%s: %v allocations per call", name, a)
		}
	}
}
