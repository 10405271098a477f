package bihash

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// keyPool returns n ordinary keys and m keys that all share their low 16
// hash bits: in any table of up to 2^14 buckets they fall into one bucket
// and, at up to 4 pages, into one page, so they force splits to fail and
// buckets to go linear.
func keyPool[K Key](n, m int) []K {
	var k0 K
	id := fmt.Sprint(len(k0), n, m)
	poolMu.Lock()
	defer poolMu.Unlock()
	if p, ok := pools[id]; ok {
		return p.([]K)
	}
	pool := make([]K, 0, n+m)
	for i := range n {
		pool = append(pool, keyFrom[K](uint64(i)*0x9E3779B97F4A7C15+1))
	}
	pool = append(pool, collidingKeys[K](m, 0xffff, 0x1234)...)
	pools[id] = pool
	return pool
}

var (
	poolMu sync.Mutex
	pools  = map[string]any{}
)

// keyFrom builds a key whose words are derived from x.
func keyFrom[K Key](x uint64) K {
	var k K
	for i := range len(k) {
		k[i] = x*uint64(2*i+1) ^ uint64(i)<<56
	}
	return k
}

// collidingKeys returns m distinct keys whose hashes agree with want on the
// bits of mask.
func collidingKeys[K Key](m int, mask, want uint64) []K {
	var out []K
	for x := uint64(1); len(out) < m; x++ {
		k := keyFrom[K](x << 20)
		if Hash(k)&mask == want&mask {
			out = append(out, k)
		}
	}
	return out
}

// TestProperty runs random sequences of add, add-no-replace, delete and
// lookup on a table and on two models: a Go map (same answers, Stats.Pairs =
// map size) and the slow reference (same structure, slot for slot, same
// counters and arena use). Tables are tiny, arenas tinier, so they fill up.
func TestProperty(t *testing.T) {
	t.Run("key=16", func(t *testing.T) { rapid.Check(t, propertyCheck[Key16]) })
	t.Run("key=24", func(t *testing.T) { rapid.Check(t, propertyCheck[Key24]) })
	t.Run("key=48", func(t *testing.T) { rapid.Check(t, propertyCheck[Key48]) })
}

func propertyCheck[K Key](rt *rapid.T) {
	buckets := rapid.Uint32Range(1, 16).Draw(rt, "buckets")
	nb := uint64(1)
	for nb < uint64(buckets) {
		nb *= 2
	}
	memory := nb*uint64(bucketBytes[K]()) + rapid.Uint64Range(0, 6000).Draw(rt, "extra memory")
	tbl, err := New[K](Config{Name: "prop", Buckets: buckets, Memory: memory})
	if err != nil {
		rt.Fatal(err)
	}
	defer tbl.Close()
	ref := newRef[K](buckets, memory)
	model := map[K]uint64{}
	pool := keyPool[K](40, 12)
	keyGen := rapid.SampledFrom(pool)
	valGen := rapid.OneOf(rapid.Uint64Range(0, 1000), rapid.Just(uint64(FreeValue)), rapid.Uint64())

	for step := range rapid.IntRange(1, 300).Draw(rt, "steps") {
		k := keyGen.Draw(rt, "key")
		var got, want error
		op := rapid.IntRange(0, 9).Draw(rt, "op")
		switch {
		case op < 4: // add
			v := valGen.Draw(rt, "value")
			got, want = tbl.Add(k, v), ref.add(k, v, true)
			if got == nil {
				model[k] = v
			}
		case op < 6: // add, no replace
			v := valGen.Draw(rt, "value")
			got, want = tbl.AddNoReplace(k, v), ref.add(k, v, false)
			if got == nil {
				model[k] = v
			}
			if _, present := model[k]; present && got == nil && v != model[k] {
				rt.Fatalf("step %d: AddNoReplace replaced", step)
			}
		case op < 8: // delete
			_, present := model[k]
			got, want = tbl.Delete(k), ref.del(k)
			if present != (got == nil) {
				rt.Fatalf("step %d: delete of key present=%v returned %v", step, present, got)
			}
			delete(model, k)
		default: // lookup
			v, ok := tbl.Lookup(k)
			mv, mok := model[k]
			rv, rok := ref.lookup(k)
			if ok != mok || v != mv || rok != mok || rv != mv {
				rt.Fatalf("step %d: Lookup = %d %v, model %d %v, reference %d %v", step, v, ok, mv, mok, rv, rok)
			}
		}
		if !errors.Is(got, want) || !errors.Is(want, got) {
			rt.Fatalf("step %d op %d: table returned %v, reference %v", step, op, got, want)
		}
		if errors.Is(got, ErrTableFull) {
			// The model is unchanged; the table must be too.
			if _, ok := model[k]; ok {
				rt.Fatalf("step %d: ErrTableFull for a key already present", step)
			}
		}
		if err := sameAs(tbl, ref); err != nil {
			rt.Fatalf("step %d: %v", step, err)
		}
		if s := tbl.Stats(); s.Pairs != uint64(len(model)) || tbl.Len() != s.Pairs || s.ArenaUsed > s.ArenaTotal {
			rt.Fatalf("step %d: pairs %d, Len %d, model %d; arena %d of %d", step, s.Pairs, tbl.Len(), len(model), s.ArenaUsed, s.ArenaTotal)
		}
	}
	// Every key of the pool answers as the model says, one by one and in
	// a batch; Walk visits exactly the model.
	vals := make([]uint64, len(pool))
	found := make([]bool, len(pool))
	hits := tbl.LookupBatch(pool, vals, found)
	nHits := 0
	for i, k := range pool {
		mv, mok := model[k]
		v, ok := tbl.Lookup(k)
		if ok != mok || v != mv || found[i] != mok || vals[i] != mv {
			rt.Fatalf("key %v: Lookup %d %v, LookupBatch %d %v, model %d %v", k, v, ok, vals[i], found[i], mv, mok)
		}
		if mok {
			nHits++
		}
	}
	if hits != nHits {
		rt.Fatalf("LookupBatch counted %d hits, want %d", hits, nHits)
	}
	seen := map[K]uint64{}
	tbl.Walk(func(k K, v uint64) bool {
		if _, dup := seen[k]; dup {
			rt.Fatalf("Walk visited %v twice", k)
		}
		seen[k] = v
		return true
	})
	if fmt.Sprint(seen) != fmt.Sprint(model) {
		rt.Fatalf("Walk saw %v, model %v", seen, model)
	}
	// Empty the table in a random order: split inline buckets return to
	// their inline page, pages go to the free lists, and the arena is
	// never handed out again for what a free list holds.
	used := tbl.Stats().ArenaUsed
	for _, k := range rapid.Permutation(pool).Draw(rt, "delete order") {
		got, want := tbl.Delete(k), ref.del(k)
		if !errors.Is(got, want) || !errors.Is(want, got) {
			rt.Fatalf("final delete: table returned %v, reference %v", got, want)
		}
		if err := sameAs(tbl, ref); err != nil {
			rt.Fatalf("final delete: %v", err)
		}
	}
	s := tbl.Stats()
	if s.Pairs != 0 || s.ActiveBuckets != 0 || s.ArenaUsed != used || s.ArenaFree != s.ArenaUsed-tbl.pagesStartBytes() {
		rt.Fatalf("empty table: %+v (arena used before %d)", s, used)
	}
}
