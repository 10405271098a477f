package bihash

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Conformance review of spec §2 (bihash), written from the spec and VPP's
// bihash_template.c rather than from this package's code. Each test states
// the rule it checks.

// TestReviewBucketRounding: nbuckets is rounded up to a power of two (ceil
// log2, §2.3), and the arena must hold exactly the bucket array: 104 bytes a
// bucket with 16-byte keys (inline page), 8 bytes otherwise.
func TestReviewBucketRounding(t *testing.T) {
	for _, c := range []struct{ req, want uint32 }{
		{1, 1}, {2, 2}, {3, 4}, {5, 8}, {1000, 1024}, {1024, 1024}, {1025, 2048},
		{20000, 32768}, {250000, 262144}, {1 << 20, 1 << 20}, {1<<20 + 1, 1 << 21},
	} {
		t.Run(strconv.Itoa(int(c.req)), func(t *testing.T) {
			reviewRounding[Key16](t, c.req, c.want, 104)
			reviewRounding[Key24](t, c.req, c.want, 8)
			reviewRounding[Key48](t, c.req, c.want, 8)
		})
	}
}

func reviewRounding[K Key](t *testing.T, req, want uint32, per uint64) {
	t.Helper()
	need := uint64(want) * per
	if tb, err := New[K](Config{Name: "r", Buckets: req, Memory: need - 1}); err == nil {
		tb.Close()
		t.Fatalf("%d buckets in %d bytes: accepted, want an error (array needs %d)", req, need-1, need)
	}
	tb, err := New[K](Config{Name: "r", Buckets: req, Memory: need})
	if err != nil {
		t.Fatalf("%d buckets in %d bytes: %v", req, need, err)
	}
	defer tb.Close()
	if s := tb.Stats(); s.Buckets != uint64(want) || s.BucketArrayBytes != need || s.ArenaTotal != need {
		t.Fatalf("%d buckets: %+v, want %d buckets", req, s, want)
	}
	// Every key lands in bucket Hash & (buckets-1): with one pair per
	// table, exactly that bucket is active.
	k := keyFrom[K](0xabcdef)
	if want > 1<<16 {
		return // keep the verbose listing small
	}
	big, err := New[K](Config{Name: "r", Buckets: req, Memory: need + 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	if err := big.Add(k, 7); err != nil {
		t.Fatal(err)
	}
	wantLine := fmt.Sprintf("[%d]: heap offset", Hash(k)&uint64(want-1))
	if f := big.Format(1); !strings.Contains(f, wantLine) {
		t.Fatalf("pair not in bucket hash&(n-1): want %q in\n%s", wantLine, f)
	}
}

// TestReviewReturnCodes: §2.6/2.7 return codes, mapped to this package's
// errors: add of a new key 0; add of a present key overwrites the value, 0,
// counted as a replace; add-no-replace of a present key -2 and the old value
// stays; delete of a present key 0; delete of a missing key -3 in a bucket
// with pairs; -1 for an empty bucket of a variant without inline pairs;
// inline variant always -3.
func TestReviewReturnCodes(t *testing.T) {
	reviewCodes[Key16](t, true)
	reviewCodes[Key24](t, false)
	reviewCodes[Key48](t, false)
}

func reviewCodes[K Key](t *testing.T, inline bool) {
	tb := mustNew[K](t, 1, 1<<16)
	a, b := keyFrom[K](1), keyFrom[K](2)
	wantEmpty := ErrNotFoundEmpty
	if inline {
		wantEmpty = ErrNotFound
	}
	steps := []struct {
		name string
		op   func() error
		want error
	}{
		{"delete from empty bucket", func() error { return tb.Delete(a) }, wantEmpty},
		{"add new", func() error { return tb.Add(a, 10) }, nil},
		{"add-no-replace present", func() error { return tb.AddNoReplace(a, 11) }, ErrExists},
		{"add present (overwrite)", func() error { return tb.Add(a, 12) }, nil},
		{"add-no-replace new", func() error { return tb.AddNoReplace(b, 20) }, nil},
		{"add the free marker", func() error { return tb.Add(b, FreeValue) }, ErrInvalidValue},
		{"add-no-replace the free marker", func() error { return tb.AddNoReplace(keyFrom[K](3), FreeValue) }, ErrInvalidValue},
		{"delete present", func() error { return tb.Delete(b) }, nil},
		{"delete missing, bucket not empty", func() error { return tb.Delete(b) }, ErrNotFound},
		{"delete last", func() error { return tb.Delete(a) }, nil},
		{"delete from emptied bucket", func() error { return tb.Delete(a) }, wantEmpty},
	}
	for _, s := range steps {
		if err := s.op(); err != s.want {
			t.Fatalf("key=%d %s: %v, want %v", len(a)*8, s.name, err, s.want)
		}
		if s.name == "add present (overwrite)" {
			if v, ok := tb.Lookup(a); !ok || v != 12 {
				t.Fatalf("after overwrite: %d %v, want 12", v, ok)
			}
		}
		if s.name == "add-no-replace present" {
			if v, _ := tb.Lookup(a); v != 10 {
				t.Fatalf("add-no-replace changed the value to %d", v)
			}
		}
	}
	s := tb.Stats()
	if s.Adds != 2 || s.Replaces != 1 || s.Deletes != 2 || s.Pairs != 0 || s.ActiveBuckets != 0 {
		t.Fatalf("key=%d counters %+v: want 2 adds, 1 replace, 2 deletes, empty", len(a)*8, s)
	}
}

// slotLine is one pair line of Format(1): "    <slot>: key <w0> <w1>... value <v>".
var slotLine = regexp.MustCompile(`^    (\d+): key ([\d ]+) value (\d+)$`)

// bucketLine is a bucket header of Format(1).
var bucketLine = regexp.MustCompile(`^\[(\d+)\]: heap offset (\d+), len (\d+), refcnt (\d+), linear (\d)$`)

type fmtBucket struct {
	index, pages, refcnt uint64
	linear               bool
	slots                map[uint64]uint64 // slot -> key word 0
}

// parseVerbose reads the buckets of Format(1).
func parseVerbose(t *testing.T, f string) []fmtBucket {
	t.Helper()
	var out []fmtBucket
	for _, line := range strings.Split(f, "\n") {
		if m := bucketLine.FindStringSubmatch(line); m != nil {
			idx, _ := strconv.ParseUint(m[1], 10, 64)
			pages, _ := strconv.ParseUint(m[3], 10, 64)
			ref, _ := strconv.ParseUint(m[4], 10, 64)
			out = append(out, fmtBucket{index: idx, pages: pages, refcnt: ref, linear: m[5] == "1", slots: map[uint64]uint64{}})
			continue
		}
		if m := slotLine.FindStringSubmatch(line); m != nil {
			slot, _ := strconv.ParseUint(m[1], 10, 64)
			w0, _ := strconv.ParseUint(strings.Fields(m[2])[0], 10, 64)
			out[len(out)-1].slots[slot] = w0
		}
	}
	return out
}

// TestReviewPagePlacement: in a bucket that is not linear-search, every pair
// sits in page (hash >> log2(buckets)) & (pages-1) (§2.4), its slot being
// page*4 + i; the refcnt of a bucket is its live pairs (+1 with inline
// pairs, §2.2); every active bucket's page count is a power of two.
func TestReviewPagePlacement(t *testing.T) {
	reviewPlacement[Key16](t, 1)
	reviewPlacement[Key24](t, 0)
	reviewPlacement[Key48](t, 0)
}

func reviewPlacement[K Key](t *testing.T, extraRef uint64) {
	const buckets = 8
	tb := mustNew[K](t, buckets, 1<<20)
	byW0 := map[uint64]K{}
	for i := range 300 {
		k := keyFrom[K](uint64(i)*0x2545F4914F6CDD1D + 99)
		byW0[k[0]] = k
		if err := tb.Add(k, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Delete a few so that free slots are in the middle of pages.
	n := 0
	for w0, k := range byW0 {
		if n++; n > 40 {
			break
		}
		if err := tb.Delete(k); err != nil {
			t.Fatal(err)
		}
		delete(byW0, w0)
	}
	seen := 0
	for _, b := range parseVerbose(t, tb.Format(1)) {
		if b.pages&(b.pages-1) != 0 {
			t.Fatalf("bucket %d: %d pages, not a power of two", b.index, b.pages)
		}
		if b.refcnt != uint64(len(b.slots))+extraRef {
			t.Fatalf("bucket %d: refcnt %d with %d pairs", b.index, b.refcnt, len(b.slots))
		}
		for slot, w0 := range b.slots {
			k, ok := byW0[w0]
			if !ok {
				t.Fatalf("bucket %d slot %d holds an unknown or deleted key", b.index, slot)
			}
			h := Hash(k)
			if h&(buckets-1) != b.index {
				t.Fatalf("key in bucket %d, hash says %d", b.index, h&(buckets-1))
			}
			if page := (h >> 3) & (b.pages - 1); !b.linear && slot/kvPerPage != page {
				t.Fatalf("bucket %d (%d pages): key in slot %d, hash says page %d", b.index, b.pages, slot, page)
			}
			seen++
		}
	}
	if seen != len(byW0) {
		t.Fatalf("listing shows %d pairs, %d live", seen, len(byW0))
	}
}

// TestReviewWalkOrder: the walk visits buckets ascending, then pages and
// slots ascending (§2.9): the order of Format(1)'s listing.
func TestReviewWalkOrder(t *testing.T) {
	tb := mustNew[Key48](t, 4, 1<<20)
	for i := range 100 {
		if err := tb.Add(keyFrom[Key48](uint64(i)*0x9E3779B97F4A7C15+5), uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	var want []uint64
	for _, line := range strings.Split(tb.Format(1), "\n") {
		if m := slotLine.FindStringSubmatch(line); m != nil {
			w0, _ := strconv.ParseUint(strings.Fields(m[2])[0], 10, 64)
			want = append(want, w0)
		}
	}
	var got []uint64
	tb.Walk(func(k Key48, _ uint64) bool { got = append(got, k[0]); return true })
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("walk order\n%v\nlisting order\n%v", got, want)
	}
}

// TestReviewLinearBucket: pairs whose hashes agree on the bucket bits and on
// the page bits of both doublings cannot be rehashed, so the fifth one makes
// the bucket linear-search at old+1 pages (§2.6); every pair stays findable,
// deletes work in linear mode, and the last delete returns the bucket to its
// empty state (an inline bucket to its inline page).
func TestReviewLinearBucket(t *testing.T) {
	reviewLinear[Key16](t)
	reviewLinear[Key24](t)
	reviewLinear[Key48](t)
}

func reviewLinear[K Key](t *testing.T) {
	const buckets = 4
	tb := mustNew[K](t, buckets, 1<<20)
	// Same bucket (2 bits) and same first 2 page bits.
	keys := collidingKeys[K](8, 0xf, 0x6)
	for i, k := range keys[:5] {
		if err := tb.Add(k, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	s := tb.Stats()
	if s.LinearBuckets != 1 || s.PagesHistogram[1] != 1 || s.Splits != 1 {
		t.Fatalf("key=%d: want one linear bucket of 2 pages after 5 colliding adds: %+v", len(keys[0])*8, s)
	}
	for i, k := range keys[5:] {
		if err := tb.AddNoReplace(k, uint64(5+i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.AddNoReplace(keys[2], 99); err != ErrExists {
		t.Fatalf("add-no-replace in a linear bucket: %v", err)
	}
	if err := tb.Add(keys[2], 42); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		want := uint64(i)
		if i == 2 {
			want = 42
		}
		if v, ok := tb.Lookup(k); !ok || v != want {
			t.Fatalf("linear bucket: key %d -> %d %v", i, v, ok)
		}
	}
	for i, k := range keys {
		if err := tb.Delete(k); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
		if _, ok := tb.Lookup(k); ok {
			t.Fatalf("key %d found after delete", i)
		}
		for j := i + 1; j < len(keys); j++ {
			if _, ok := tb.Lookup(keys[j]); !ok {
				t.Fatalf("key %d lost after deleting %d", j, i)
			}
		}
	}
	s = tb.Stats()
	if s.Pairs != 0 || s.ActiveBuckets != 0 || s.LinearBuckets != 0 {
		t.Fatalf("after deleting all: %+v", s)
	}
	if err := tb.Delete(keys[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete after emptying: %v", err)
	}
	// The emptied bucket takes pairs again like a fresh one.
	if err := tb.Add(keys[0], 1); err != nil {
		t.Fatal(err)
	}
	if s = tb.Stats(); s.Pairs != 1 || s.PagesHistogram[0] != 1 {
		t.Fatalf("re-add: %+v", s)
	}
}

// TestReviewFormatSummary: verbose 0 prints only the header and summary
// lines, in VPP's wording and order (§2.9); free lists with no entries are
// listed only when verbose.
func TestReviewFormatSummary(t *testing.T) {
	tb := mustNew[Key24](t, 2, 1<<16)
	keys := collidingKeys[Key24](5, 0x1, 0x0)
	for i, k := range keys {
		if err := tb.Add(k, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	f := tb.Format(0)
	lines := strings.Split(strings.TrimSuffix(f, "\n"), "\n")
	want := []string{
		"Hash table 'test'",
		"    5 active elements 1 active buckets",
	}
	for i, w := range want {
		if lines[i] != w {
			t.Fatalf("line %d = %q, want %q\n%s", i, lines[i], w, f)
		}
	}
	if !regexp.MustCompile(`^    \d+ free lists$`).MatchString(lines[2]) {
		t.Fatalf("line 2 = %q", lines[2])
	}
	for _, l := range lines {
		if strings.Contains(l, "] 0 free elts") {
			t.Fatalf("verbose 0 lists an empty free list: %q\n%s", l, f)
		}
		if bucketLine.MatchString(l) {
			t.Fatalf("verbose 0 lists a bucket: %q", l)
		}
	}
	if !regexp.MustCompile(`\n    \d+ linear search buckets\n    arena: base 0, next [0-9a-f]+\n           used \d+ b \(\d+ Mbytes\) of 65536 b \(0 Mbytes\)\n`).MatchString(f) {
		t.Fatalf("summary tail not in VPP's arena format:\n%s", f)
	}
}
