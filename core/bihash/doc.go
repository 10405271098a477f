// Package bihash is VPP's bounded-index extensible hash (vppinfra's bihash)
// in Go: the structure behind every session-layer lookup table, modelled
// for real so that the effect of a bucket count or a table-memory setting can
// be observed, and fast enough that a simulation measures the table rather
// than itself.
//
// # Structure
//
// A [Table] has a power-of-two number of buckets (the configured count is
// rounded up, as VPP does) and an arena of exactly the configured number of
// bytes, reserved with an anonymous mapping so that untouched bytes cost
// nothing and the garbage collector never scans it (keys and values hold no
// pointers). The bucket array is carved from the start of the arena; every
// other byte is handed out as page arrays by a bump allocator with one free
// list per page count.
//
// A bucket is one 64-bit word with VPP's fields (offset, lock,
// linear-search, log2 pages, reference count, generation; packed to give the
// generation 15 bits instead of 5, see bucket.go). For 16-byte keys the bucket also
// holds one page of key/value pairs inline (VPP's 16_8 variant), so most
// lookups touch one contiguous 104-byte block; 24- and 48-byte keys keep the
// 8-byte bucket and allocate their first page on the first insert (VPP's 24_8
// and 48_8 variants). A page holds 4 pairs. When the candidate page of a
// bucket is full, the bucket is split: its pairs are rehashed into twice (or
// four times) as many pages, the page being chosen by hash bits above the
// bucket bits; when even that cannot separate them, the bucket becomes a
// linear-search bucket whose pages are searched end to end. Deleting returns
// page arrays to the free lists. When the arena cannot supply a page array,
// the insert fails with [ErrTableFull], which [Stats] counts; nothing already
// in the table is lost.
//
// # Data flow
//
// Keys are fixed-size arrays of 64-bit words ([Key16], [Key24], [Key48]) laid
// out by the caller (the session layer, spec §2.10). A key is hashed once
// (a multiply-fold hash, see hashKey), the low bits pick the bucket, the
// bucket word says where the bucket's pages are, and the higher hash bits pick
// the page. [Table.Lookup] reads without locks and validates its result by
// re-reading the bucket word (a seqlock: writers hold a lock bit in the
// word while they change the bucket and publish a new word, with the
// generation bumped, when they are done). [Table.LookupBatch] runs a
// software pipeline over groups of keys: while it searches one group, the
// pages of the next group and the buckets of the one after are already on
// their way, so the cache misses of many keys overlap. Writers ([Table.Add],
// [Table.AddNoReplace], [Table.Delete]) lock one bucket at a time; page
// allocation and splits also take the table's allocation lock.
//
// [Table.Stats] and [Table.Format] report what VPP's "show bihash" prints:
// active buckets and elements, free lists, linear-search buckets and arena
// use, plus the page-count histogram and the add, replace, delete, split and
// table-full counters.
package bihash
