package bihash

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// Benchmarks: every group runs impl=bihash first (the subject) and then its
// peers on the same keys in the same process: impl=map is Go's builtin map
// with the same key type (map[[2]uint64]uint64 for 16-byte keys); the
// concurrent benchmark adds impl=syncmap (sync.Map) and impl=rwmutexmap (a
// map guarded by a sync.RWMutex).
//
// Keys are 5-tuples laid out as the session layer lays them out (spec
// §2.10): a few local addresses and ports, random remote addresses and
// ports. Lookups are random hits: a stream of keys drawn at random from the
// table (2^21 of them at 10M keys, so that the stream itself is read
// sequentially while the table is touched at random all over).
//
// Default load: the session layer's defaults (20000 buckets, rounded up to
// 32768, for some tens of thousands of sessions) put about 2 keys in a
// bucket, so the tables here are built with 2 keys per bucket: buckets =
// keys/2, as a power of two nearest to it (VPP rounds a configured count up;
// configuring keys/2 for 10M keys would give 8M buckets and a load of 1.2,
// which is not the default load but half of it). BenchmarkBytesPerEntry also
// reports loads 1 and 4.

// keyCounts are the table sizes of the issue: 1K, 100K, 1M and 10M keys.
var keyCounts = []struct {
	name string
	n    int
}{{"1K", 1000}, {"100K", 100_000}, {"1M", 1_000_000}, {"10M", 10_000_000}}

// dataset is one set of keys with a bihash table and a Go map holding them.
type dataset[K Key] struct {
	keys     []K
	queries  []K // random hits, power-of-two length
	tbl      *Table[K]
	m        map[K]uint64
	tblBytes float64 // arena bytes used per key
	mapBytes float64 // heap bytes per key
}

var (
	datasetsMu sync.Mutex
	datasets   = map[string]any{}
)

// fiveTuple returns key i of a deterministic 5-tuple key set.
func fiveTuple[K Key](r *rand.Rand) K {
	var k K
	lip := uint64(0x0a000001 + r.IntN(4))
	lport := []uint64{80, 443, 8080, 53}[r.IntN(4)]
	proto := uint64(r.IntN(2))
	rip := uint64(r.Uint32())
	rport := uint64(1024 + r.IntN(64512))
	w := proto<<32 | rport<<16 | lport
	var ws []uint64
	switch len(k) {
	case 2: // spec §2.10, v4 session
		ws = []uint64{rip<<32 | lip, w}
	case 3: // local endpoint: ip46, fib<<32 | port<<8 | proto
		ws = []uint64{0, rip << 32, uint64(r.IntN(2))<<32 | rport<<8 | proto}
	default: // v6 session
		ws = []uint64{0x20010db800000000, lip, r.Uint64(), r.Uint64(), w, 0}
	}
	for i := range len(k) {
		k[i] = ws[i]
	}
	return k
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// loadBuckets returns the bucket count for n keys at load keys per bucket:
// the power of two nearest (in ratio) to n/load.
func loadBuckets(n, load int) uint32 {
	want := max(n/load, 1)
	up := 1 << bits.Len(uint(want-1))
	if up/2 > 0 && float64(up)/float64(want) > float64(want)/float64(up/2) {
		up /= 2
	}
	return uint32(up)
}

// getDataset builds (once per process) n keys of type K, a table at the given
// load and, if withMap, a Go map with the same keys.
func getDataset[K Key](tb testing.TB, n, load int, withMap bool) *dataset[K] {
	var zero K
	id := fmt.Sprintf("%d/%d/%d/%v", len(zero), n, load, withMap)
	datasetsMu.Lock()
	defer datasetsMu.Unlock()
	if d, ok := datasets[id]; ok {
		return d.(*dataset[K])
	}
	r := rand.New(rand.NewPCG(uint64(n), uint64(len(zero))))
	d := &dataset[K]{keys: make([]K, 0, n)}
	seen := make(map[K]struct{}, n)
	for len(d.keys) < n {
		k := fiveTuple[K](r)
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			d.keys = append(d.keys, k)
		}
	}
	seen = nil
	nq := 1 << bits.Len(uint(min(n, 1<<21)-1))
	d.queries = make([]K, nq)
	for i := range d.queries {
		d.queries[i] = d.keys[r.IntN(n)]
	}
	nb := loadBuckets(n, load)
	// Room for every key to sit in a page of its own: the arena is mapped
	// with MAP_NORESERVE, so what is not used costs nothing.
	mem := uint64(nb)*uint64(bucketBytes[K]()) + uint64(n)*uint64(pageBytes[K]()) + 1<<20
	tbl, err := New[K](Config{Name: "bench", Buckets: nb, Memory: min(mem, MaxMemory)})
	if err != nil {
		tb.Fatal(err)
	}
	for i, k := range d.keys {
		if err := tbl.Add(k, uint64(i)); err != nil {
			tb.Fatalf("add %d: %v", i, err)
		}
	}
	d.tbl = tbl
	d.tblBytes = tbl.Stats().BytesPerPair()
	if withMap {
		before := heapInUse()
		m := make(map[K]uint64)
		for i, k := range d.keys {
			m[k] = uint64(i)
		}
		d.mapBytes = float64(heapInUse()-before) / float64(n)
		d.m = m
	}
	datasets[id] = d
	return d
}

var sink uint64

func benchLookup[K Key](b *testing.B, n int) {
	d := getDataset[K](b, n, 2, true)
	mask := len(d.queries) - 1
	b.Run("impl=bihash", func(b *testing.B) {
		var s uint64
		for i := 0; b.Loop(); i++ {
			v, _ := d.tbl.Lookup(d.queries[i&mask])
			s += v
		}
		sink += s
	})
	b.Run("impl=map", func(b *testing.B) {
		var s uint64
		for i := 0; b.Loop(); i++ {
			s += d.m[d.queries[i&mask]]
		}
		sink += s
	})
}

// BenchmarkLookup: random-hit lookups, one goroutine, 16-byte keys at 1K to
// 10M keys and 48-byte keys at 1M.
func BenchmarkLookup(b *testing.B) {
	for _, kc := range keyCounts {
		b.Run("keys="+kc.name, func(b *testing.B) { benchLookup[Key16](b, kc.n) })
	}
	b.Run("key=48/keys=1M", func(b *testing.B) { benchLookup[Key48](b, 1_000_000) })
}

// BenchmarkLookupBatch: the same random hits, 256 keys per LookupBatch call
// (VPP's frame: the session layer looks packets up a frame at a time),
// against a loop of map lookups over the same 256 keys. ns/op is per key.
func BenchmarkLookupBatch(b *testing.B) {
	const batch = 256
	for _, kc := range keyCounts[2:] {
		b.Run("keys="+kc.name, func(b *testing.B) {
			d := getDataset[Key16](b, kc.n, 2, true)
			nb := len(d.queries) / batch
			vals := make([]uint64, batch)
			found := make([]bool, batch)
			b.Run("impl=bihash", func(b *testing.B) {
				for i := 0; i < b.N; i += batch {
					j := (i / batch) % nb
					d.tbl.LookupBatch(d.queries[j*batch:(j+1)*batch], vals, found)
				}
			})
			b.Run("impl=map", func(b *testing.B) {
				for i := 0; i < b.N; i += batch {
					j := (i / batch) % nb
					for x, k := range d.queries[j*batch : (j+1)*batch] {
						vals[x], found[x] = d.m[k]
					}
				}
			})
		})
	}
}

// BenchmarkBytesPerEntry reports the memory per key: arena bytes handed out
// (bucket array and page arrays) for bihash, heap growth for the map.
func BenchmarkBytesPerEntry(b *testing.B) {
	for _, kc := range keyCounts[2:] {
		b.Run("keys="+kc.name, func(b *testing.B) {
			d := getDataset[Key16](b, kc.n, 2, true)
			b.Run("impl=bihash", func(b *testing.B) {
				for b.Loop() {
				}
				b.ReportMetric(d.tblBytes, "bytes/entry")
			})
			b.Run("impl=map", func(b *testing.B) {
				for b.Loop() {
				}
				b.ReportMetric(d.mapBytes, "bytes/entry")
			})
		})
	}
	for _, load := range []int{1, 4} {
		b.Run(fmt.Sprintf("keys=1M/load=%d", load), func(b *testing.B) {
			d := getDataset[Key16](b, 1_000_000, load, false)
			m := getDataset[Key16](b, 1_000_000, 2, true)
			b.Run("impl=bihash", func(b *testing.B) {
				for b.Loop() {
				}
				b.ReportMetric(d.tblBytes, "bytes/entry")
			})
			b.Run("impl=map", func(b *testing.B) {
				for b.Loop() {
				}
				b.ReportMetric(m.mapBytes, "bytes/entry")
			})
		})
	}
}

// BenchmarkInsert: the insert rate, building a table of 1M keys from empty
// (bihash: Reset, buckets preallocated as configured; map: a new map, grown
// as it fills, as Go maps are).
func BenchmarkInsert(b *testing.B) {
	const n = 1_000_000
	d := getDataset[Key16](b, n, 2, true)
	b.Run("keys=1M/impl=bihash", func(b *testing.B) {
		tbl, err := New[Key16](Config{Name: "insert", Buckets: loadBuckets(n, 2), Memory: 512 << 20})
		if err != nil {
			b.Fatal(err)
		}
		defer tbl.Close()
		for i := 0; i < b.N; i++ {
			j := i % n
			if j == 0 && i > 0 {
				b.StopTimer()
				tbl.Reset()
				b.StartTimer()
			}
			if err := tbl.Add(d.keys[j], uint64(j)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("keys=1M/impl=map", func(b *testing.B) {
		m := map[Key16]uint64{}
		for i := 0; i < b.N; i++ {
			j := i % n
			if j == 0 && i > 0 {
				b.StopTimer()
				m = map[Key16]uint64{}
				b.StartTimer()
			}
			m[d.keys[j]] = uint64(j)
		}
		sink += uint64(len(m))
	})
}

// concurrentMap is what the concurrent benchmark drives.
type concurrentMap interface {
	lookup(Key16) (uint64, bool)
	add(Key16, uint64)
	del(Key16)
}

type bihashCM struct{ t *Table[Key16] }

func (c bihashCM) lookup(k Key16) (uint64, bool) { return c.t.Lookup(k) }
func (c bihashCM) add(k Key16, v uint64)         { _ = c.t.Add(k, v) }
func (c bihashCM) del(k Key16)                   { _ = c.t.Delete(k) }

type syncCM struct{ m *sync.Map }

func (c syncCM) lookup(k Key16) (uint64, bool) {
	v, ok := c.m.Load(k)
	if !ok {
		return 0, false
	}
	return v.(uint64), true
}
func (c syncCM) add(k Key16, v uint64) { c.m.Store(k, v) }
func (c syncCM) del(k Key16)           { c.m.Delete(k) }

type rwCM struct {
	mu *sync.RWMutex
	m  map[Key16]uint64
}

func (c rwCM) lookup(k Key16) (uint64, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}
func (c rwCM) add(k Key16, v uint64) { c.mu.Lock(); c.m[k] = v; c.mu.Unlock() }
func (c rwCM) del(k Key16)           { c.mu.Lock(); delete(c.m, k); c.mu.Unlock() }

// BenchmarkConcurrent: reader throughput (ns per lookup of the benchmark
// goroutine) while one writer goroutine adds and deletes keys as fast as it
// can, on a table of 100K keys (the session layer's default tables hold tens
// of thousands of sessions; at this size the table fits in the last-level
// cache and what is measured is the cost of reading beside a writer); the
// writer's rate is reported as writes/s.
func BenchmarkConcurrent(b *testing.B) {
	const n = 100_000
	d := getDataset[Key16](b, n, 2, true)
	churn := make([]Key16, 1<<16)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range churn {
		churn[i] = Key16{uint64(r.Uint32()) << 32, 9<<32 | uint64(i)}
	}
	mask := len(d.queries) - 1
	run := func(b *testing.B, cm concurrentMap) {
		var stop atomic.Bool
		var writes atomic.Uint64
		done := make(chan struct{})
		go func() {
			defer close(done)
			var w uint64
			for i := 0; !stop.Load(); i++ {
				k := churn[i&(len(churn)-1)]
				if i&len(churn) == 0 {
					cm.add(k, uint64(i))
				} else {
					cm.del(k)
				}
				w++
			}
			writes.Store(w)
		}()
		var s uint64
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			v, _ := cm.lookup(d.queries[i&mask])
			s += v
		}
		b.StopTimer()
		stop.Store(true)
		<-done
		sink += s
		b.ReportMetric(float64(writes.Load())/b.Elapsed().Seconds(), "writes/s")
	}
	b.Run("keys=100K/impl=bihash", func(b *testing.B) {
		run(b, bihashCM{d.tbl})
		for _, k := range churn {
			_ = d.tbl.Delete(k)
		}
	})
	b.Run("keys=100K/impl=syncmap", func(b *testing.B) {
		var sm sync.Map
		for k, v := range d.m {
			sm.Store(k, v)
		}
		run(b, syncCM{&sm})
	})
	b.Run("keys=100K/impl=rwmutexmap", func(b *testing.B) {
		m := make(map[Key16]uint64, len(d.m))
		for k, v := range d.m {
			m[k] = v
		}
		run(b, rwCM{&sync.RWMutex{}, m})
	})
}
