package bihash

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestStress runs one writer and three readers on one table for 2 seconds
// (run it with -race). The table is small and its arena tight, so the writer
// keeps splitting buckets, sending them linear, returning pages to the free
// lists and hitting ErrTableFull. Values encode their key, so a torn or
// misplaced pair is visible.
//
//   - Stable keys are added first and never deleted; the writer overwrites
//     their values all the time. Every reader lookup of a stable key must
//     find it, with a value that belongs to it (a key present before and after
//     a concurrent operation on other keys is never missed).
//   - Churn keys are added and deleted by the writer; a reader that finds one
//     must see a value that belongs to it.
//   - One reader uses LookupBatch; one walks the table and must see every
//     stable key exactly once per walk.
func TestStress(t *testing.T) {
	t.Run("key=16", func(t *testing.T) { testStress[Key16](t, 2*time.Second) })
	t.Run("key=48", func(t *testing.T) { testStress[Key48](t, 500*time.Millisecond) })
}

func testStress[K Key](t *testing.T, d time.Duration) {
	const nStable, nChurn = 300, 600
	nb := uint32(32)
	// Room for the stable keys and some of the churn keys, not all.
	tb := mustNew[K](t, nb, uint64(nb)*uint64(bucketBytes[K]())+uint64(pagesBytes[K](0))*220)
	pool := keyPool[K](nStable+nChurn-16, 16)
	stable, churn := pool[:nStable], pool[nStable:]
	index := map[K]uint64{}
	for i, k := range pool {
		index[k] = uint64(i)
	}
	val := func(id, version uint64) uint64 { return id<<32 | version&0xffffffff }
	for i, k := range stable {
		if err := tb.Add(k, val(uint64(i), 0)); err != nil {
			t.Fatalf("stable key %d: %v", i, err)
		}
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var lookups, fulls atomic.Uint64
	fail := func(format string, args ...any) {
		stop.Store(true)
		t.Errorf(format, args...)
	}
	check := func(k K, v uint64, ok bool, mustFind bool) {
		if !ok {
			if mustFind {
				fail("stable key %d not found", index[k])
			}
			return
		}
		if v>>32 != index[k] {
			fail("key %d: value %#x belongs to key %d", index[k], v, v>>32)
		}
	}

	wg.Add(1)
	go func() { // writer
		defer wg.Done()
		r := rand.New(rand.NewPCG(1, 1))
		for version := uint64(1); !stop.Load(); version++ {
			if version%4 == 0 {
				i := r.IntN(nStable)
				if err := tb.Add(stable[i], val(uint64(i), version)); err != nil {
					fail("overwrite stable key %d: %v", i, err)
				}
				continue
			}
			i := r.IntN(len(churn))
			id := uint64(nStable + i)
			var err error
			if r.IntN(2) == 0 {
				err = tb.AddNoReplace(churn[i], val(id, version))
				if errors.Is(err, ErrTableFull) {
					fulls.Add(1)
					err = nil
				}
			} else {
				err = tb.Delete(churn[i])
			}
			if err != nil && !errors.Is(err, ErrExists) && !errors.Is(err, ErrNotFound) {
				fail("churn key %d: %v", i, err)
			}
		}
	}()
	for reader := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(reader)+2, 2))
			for !stop.Load() {
				i := r.IntN(len(pool))
				v, ok := tb.Lookup(pool[i])
				check(pool[i], v, ok, i < nStable)
				lookups.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() { // batch reader
		defer wg.Done()
		vals := make([]uint64, len(pool))
		found := make([]bool, len(pool))
		for !stop.Load() {
			tb.LookupBatch(pool, vals, found)
			for i, k := range pool {
				check(k, vals[i], found[i], i < nStable)
			}
			lookups.Add(uint64(len(pool)))
		}
	}()
	wg.Add(1)
	go func() { // walker
		defer wg.Done()
		seen := make([]int, nStable)
		for !stop.Load() {
			clear(seen)
			tb.Walk(func(k K, v uint64) bool {
				check(k, v, true, false)
				if i := index[k]; i < nStable {
					seen[i]++
				}
				return true
			})
			for i, n := range seen {
				if n != 1 {
					fail("walk saw stable key %d %d times", i, n)
				}
			}
		}
	}()
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	s := tb.Stats()
	t.Logf("%d lookups; %d adds, %d deletes, %d replaces, %d splits, %d table-full; %d linear buckets",
		lookups.Load(), s.Adds, s.Deletes, s.Replaces, s.Splits, s.TableFull, s.LinearBuckets)
	if s.Splits == 0 || fulls.Load() == 0 || s.TableFull != fulls.Load() {
		t.Errorf("the stress did not exercise splits and exhaustion: %+v", s)
	}
	for i, k := range stable {
		if v, ok := tb.Lookup(k); !ok || v>>32 != uint64(i) {
			t.Fatalf("stable key %d: %#x %v", i, v, ok)
		}
	}
}
