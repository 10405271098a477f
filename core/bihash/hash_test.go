package bihash

import (
	"hash/crc32"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// The hash choice (see hashKey): this file measures the table hash against
// VPP's CRC32C for speed and for the spread of 5-tuple keys over buckets.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32cKey is VPP's hash on a CPU with CRC32 instructions: CRC32C of the key
// bytes, initial value 0, no final inversion (spec §2.4).
func crc32cKey[K Key](k *K) uint64 {
	b := unsafe.Slice((*byte)(unsafe.Pointer(k)), len(*k)*8)
	return uint64(^crc32.Update(0xffffffff, castagnoli, b))
}

// tupleSets are 5-tuple key sets as traffic makes them: one client and one
// server with sequential client ports, many clients on one server port,
// sequential addresses and ports, and random ones.
func tupleSets(n int) map[string][]Key16 {
	r := rand.New(rand.NewPCG(3, 4))
	sets := map[string][]Key16{}
	v4 := func(lip, rip uint32, lport, rport uint16, proto uint32) Key16 {
		return Key16{uint64(rip)<<32 | uint64(lip), uint64(proto)<<32 | uint64(rport)<<16 | uint64(lport)}
	}
	for i := range n {
		sets["one pair, sequential ports"] = append(sets["one pair, sequential ports"],
			v4(0x0a000001, 0x0a000002+uint32(i/64000), 80, uint16(1024+i%64000), 0))
		sets["sequential clients"] = append(sets["sequential clients"],
			v4(0x0a000001, 0xc0a80000+uint32(i/8), 443, uint16(40000+i%8), 0))
		sets["random"] = append(sets["random"],
			v4(0x0a000001+uint32(r.IntN(4)), r.Uint32(), 80, uint16(r.Uint32()), uint32(r.IntN(2))))
	}
	return sets
}

// spread puts keys into nb buckets with hash fn and returns the chi-square
// statistic against a uniform spread (mean nb-1, standard deviation
// sqrt(2(nb-1)) for a random hash) and the largest bucket.
func spread(keys []Key16, nb int, fn func(*Key16) uint64) (chi2 float64, maxLoad int) {
	counts := make([]int, nb)
	for i := range keys {
		counts[fn(&keys[i])&uint64(nb-1)]++
	}
	mean := float64(len(keys)) / float64(nb)
	for _, c := range counts {
		chi2 += (float64(c) - mean) * (float64(c) - mean) / mean
		maxLoad = max(maxLoad, c)
	}
	return chi2, maxLoad
}

// TestHashSpread checks that the table hash spreads 5-tuple key sets over
// the buckets (and over the page bits above them) like a random function:
// chi-square within 6 standard deviations of its expectation. CRC32C's
// figures are logged beside it.
func TestHashSpread(t *testing.T) {
	const n = 1 << 17
	for name, keys := range tupleSets(n) {
		for _, nb := range []int{1 << 10, 1 << 16} {
			dev := math.Sqrt(2 * float64(nb-1))
			chi, mx := spread(keys, nb, hashKey[Key16])
			cchi, cmx := spread(keys, nb, crc32cKey[Key16])
			t.Logf("%-28s %6d buckets: hash chi2 %+6.1f sd (max %d), crc32c %+6.1f sd (max %d)",
				name, nb, (chi-float64(nb-1))/dev, mx, (cchi-float64(nb-1))/dev, cmx)
			if math.Abs(chi-float64(nb-1)) > 6*dev {
				t.Errorf("%s, %d buckets: chi-square %.0f, expected %d ± %.0f", name, nb, chi, nb-1, dev)
			}
			// Page selection uses the bits just above the bucket bits.
			above := func(k *Key16) uint64 { return hashKey(k) >> 10 }
			if chi, _ := spread(keys, 1<<6, above); math.Abs(chi-63) > 6*math.Sqrt(126) {
				t.Errorf("%s: page bits spread badly: chi-square %.0f", name, chi)
			}
		}
	}
}

// TestHashDistinguishes: keys that differ in any single bit (of any word)
// hash differently, for every key length.
func TestHashDistinguishes(t *testing.T) {
	testDistinguishes[Key16](t)
	testDistinguishes[Key24](t)
	testDistinguishes[Key48](t)
}

func testDistinguishes[K Key](t *testing.T) {
	var base K
	for i := range len(base) {
		base[i] = uint64(i) * 0x0101010101010101
	}
	seen := map[uint64]bool{Hash(base): true}
	for w := range len(base) {
		for b := range 64 {
			k := base
			k[w] ^= 1 << b
			h := Hash(k)
			if seen[h] {
				t.Fatalf("key length %d: flipping word %d bit %d collides", len(base)*8, w, b)
			}
			seen[h] = true
		}
	}
	// A word equal to a secret zeroes its multiply: with any other word
	// set to any secret, varying one word must still change the hash.
	secrets := []uint64{sec0, sec1, sec2, sec3, sec4, sec5, sec6, sec7}
	for w := range len(base) {
		for j := range len(base) {
			for _, sec := range secrets {
				if j == w {
					continue
				}
				seen := map[uint64]bool{}
				for v := range uint64(64) {
					k := base
					k[j], k[w] = sec, v
					h := Hash(k)
					if seen[h] {
						t.Fatalf("key length %d: word %d = %#x makes word %d drop out", len(base)*8, j, sec, w)
					}
					seen[h] = true
				}
			}
		}
	}
	// hashKey and the written-out switch in Lookup agree (Hash is hashKey).
	if Hash(base) != hashKey(&base) {
		t.Fatal("Hash differs from hashKey")
	}
}

// BenchmarkHash: the table hash against CRC32C (hash/crc32, SSE4.2) on the
// same keys, per key.
func BenchmarkHash(b *testing.B) {
	keys16 := tupleSets(1 << 12)["random"]
	keys48 := make([]Key48, len(keys16))
	for i, k := range keys16 {
		keys48[i] = Key48{0x20010db800000000, 1, k[0], k[1], k[1], 0}
	}
	b.Run("key=16/impl=bihash", func(b *testing.B) {
		var s uint64
		for i := 0; b.Loop(); i++ {
			s += hashKey(&keys16[i&(len(keys16)-1)])
		}
		sink += s
	})
	b.Run("key=16/impl=crc32c", func(b *testing.B) {
		var s uint64
		for i := 0; b.Loop(); i++ {
			s += crc32cKey(&keys16[i&(len(keys16)-1)])
		}
		sink += s
	})
	b.Run("key=48/impl=bihash", func(b *testing.B) {
		var s uint64
		for i := 0; b.Loop(); i++ {
			s += hashKey(&keys48[i&(len(keys48)-1)])
		}
		sink += s
	})
	b.Run("key=48/impl=crc32c", func(b *testing.B) {
		var s uint64
		for i := 0; b.Loop(); i++ {
			s += crc32cKey(&keys48[i&(len(keys48)-1)])
		}
		sink += s
	})
}
