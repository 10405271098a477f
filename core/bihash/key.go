package bihash

import (
	"math/bits"
	"unsafe"
)

// Key16 is a 16-byte key (VPP's bihash_16_8): IPv4 session, half-open and
// listener keys. Word 0 = remote IP << 32 | local IP; word 1 = proto << 32 |
// remote port << 16 | local port (spec §2.10).
type Key16 [2]uint64

// Key24 is a 24-byte key (VPP's bihash_24_8): the transport local-endpoint
// (port reservation) table.
type Key24 [3]uint64

// Key48 is a 48-byte key (VPP's bihash_48_8): IPv6 session, half-open and
// listener keys.
type Key48 [6]uint64

// Key is the set of key types a [Table] can hold. Every table is one
// instantiation of the same code; the key length is a compile-time constant
// in each instantiation, so the per-length branches below fold away.
type Key interface {
	Key16 | Key24 | Key48
}

// Layout constants of one instantiation. They are functions of the key type
// only, so the compiler folds them to constants in each instantiation (see
// inlining_test.go and the generated code).

// keyWords is the number of 64-bit words in a key.
func keyWords[K Key]() uintptr {
	var k K
	return uintptr(len(k))
}

// kvBytes is the size of one key/value pair: the key words and the value.
func kvBytes[K Key]() uintptr { return (keyWords[K]() + 1) * 8 }

// pageBytes is the size of one page of kvPerPage pairs.
func pageBytes[K Key]() uintptr { return kvPerPage * kvBytes[K]() }

// inlinePage reports whether the bucket holds its first page inline, as VPP's
// 16_8 variant does: a lookup in an unsplit bucket then reads one contiguous
// 104-byte block whose address depends on the hash alone, so the bucket word
// and the pairs are fetched in parallel instead of one after the other.
func inlinePage[K Key]() bool { return keyWords[K]() == 2 }

// bucketBytes is the stride of the bucket array.
func bucketBytes[K Key]() uintptr {
	if inlinePage[K]() {
		return 8 + pageBytes[K]()
	}
	return 8
}

// Hash constants: the 64-bit primes of xxHash and a few odd 64-bit secrets.
const (
	prime1 = 0x9E3779B185EBCA87
	mixMul = 0x165667919E3779F9
	sec0   = 0xbe4ba423396cfeb8
	sec1   = 0x1cad21f72c81017c
	sec2   = 0xdb979083e96dd4de
	sec3   = 0x1f67b3b7a4a44072
	sec4   = 0x78e5c0cc4ee679cb
	sec5   = 0x2172ffcc7dd05a82
	sec6   = 0x8e2443f7744608b8
	sec7   = 0x4c263a81e69035e0
	seed24 = (24 * prime1) % (1 << 64)
	seed48 = (48 * prime1) % (1 << 64)
)

// fold multiplies a and b into 128 bits and folds the halves together: one
// MULX on amd64. Every output bit depends on every input bit through the high
// half.
func fold(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// avalanche spreads the accumulator so that the low bits (the bucket index)
// and the bits just above them (the page index) depend on all of it.
func avalanche(h uint64) uint64 {
	h ^= h >> 37
	h *= mixMul
	h ^= h >> 32
	return h
}

// hashKey is the table hash: the shape of XXH3's short-input paths (each
// 16-byte half of the key xored with secrets, multiplied into 128 bits and
// folded, the folds summed with the words, then an avalanche).
//
// Why not CRC32C, which VPP uses? Measured on the benchmark machine (2-core
// AMD EPYC VM; BenchmarkHash, TestHashSpread):
//
//   - Speed: 2.4 ns per 16-byte key (5.5 ns per 48-byte key), and it inlines
//     into Lookup; hash/crc32's Castagnoli path (SSE4.2) costs 7.7 ns (9.8 ns):
//     a call, a dispatch and a slice header for 16 bytes. A CRC32 of 2 or 6
//     words in Go assembly would still be a call (assembly never inlines).
//   - Spread: on 5-tuple sets (one client/server pair with sequential ports,
//     sequential clients, random tuples) this hash fills buckets like a
//     random function (chi-square within about one standard deviation of its
//     expectation at 1K and 64K buckets, and the page bits above the bucket
//     bits likewise). CRC32C is linear, and structured keys come out
//     structured: far too even for sequential ports (-174 standard
//     deviations at 64K buckets) and clumped for sequential clients (+181),
//     so bucket statistics would depend on the traffic pattern, not on the
//     load.
//   - Width: 64 bits, so the page bits above the bucket bits stay random at
//     any bucket count (CRC32C has 32).
//
// A plain multiply is degenerate when one factor is zero (a key word equal to
// its secret wipes out the word it is multiplied with); every word is also
// added to the sum, so no word can drop out of the hash.
func hashKey[K Key](k *K) uint64 {
	switch len(*k) {
	case 2:
		return hash16(wd(k, 0), wd(k, 1))
	case 3:
		return hash24(wd(k, 0), wd(k, 1), wd(k, 2))
	default: // 6 words
		return hash48((*[6]uint64)(unsafe.Pointer(k)))
	}
}

// hash16, hash24 and hash48 are hashKey for each key length. They are
// separate, non-generic functions so that each inlines on its own: the
// inliner prices a generic function with all the branches of its length
// switch, which would keep hashKey out of the lookup loop.
func hash16(a, b uint64) uint64 {
	lo, hi := a^sec0, b^sec1
	return avalanche(16 + bits.ReverseBytes64(lo) + hi + fold(lo, hi))
}

func hash24(a, b, c uint64) uint64 {
	return avalanche(seed24 + fold(a^sec0, b^sec1) + fold(b^sec2, c^sec3) + a + c)
}

func hash48(k *[6]uint64) uint64 {
	return avalanche(seed48 + fold(k[0]^sec0, k[1]^sec1) + fold(k[2]^sec2, k[3]^sec3) +
		fold(k[4]^sec4, k[5]^sec5) + fold(k[5]^sec6, k[0]^sec7) +
		k[0] + k[1] + k[2] + k[3] + k[4] + k[5])
}

// wd returns word i of k. The index is a variable as far as the type checker
// is concerned (a constant index must be valid for the shortest key type);
// after inlining it is a constant, and the branch of hashKey it appears in
// exists only in instantiations whose keys are long enough.
func wd[K Key](k *K, i int) uint64 { return (*k)[i] }

// Hash returns the hash the table uses for k. Bucket = Hash & (buckets-1);
// page = (Hash >> log2(buckets)) & (pages-1). It is exported so that callers
// and tests can predict bucket placement (for example to build colliding
// keys).
func Hash[K Key](k K) uint64 { return hashKey(&k) }

// The three instantiations of the package, spelled out so that building the
// package alone compiles (and type-checks and reports the inlining of) each
// of them, as its users will (see inlining_test.go).
var _ = [...]func(Config) error{instantiate[Key16], instantiate[Key24], instantiate[Key48]}

func instantiate[K Key](cfg Config) error {
	t, err := New[K](cfg)
	if err != nil {
		return err
	}
	var k K
	t.Lookup(k)
	t.LookupBatch(nil, nil, nil)
	_ = t.Add(k, 0)
	_ = t.AddNoReplace(k, 0)
	_ = t.Delete(k)
	t.Walk(func(K, uint64) bool { return false })
	_ = t.Format(0)
	return t.Close()
}
