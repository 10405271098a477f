package config

import (
	"fmt"
	"math"
	"math/bits"
)

// cpu reads the worker thread count from the concatenated cpu stanza:
//
//	workers N                 N worker threads
//	corelist-workers 2-5,8    one worker per listed core (here 5)
//	coremask-workers 0x3c     one worker per set bit (here 4)
//
// As in VPP, the worker count may be configured only once. Other cpu
// keywords (main-core, skip-cores, scheduler-policy, ...) are not checked:
// sessionlab only needs the number of threads.
func (r *reader) cpu(t *text) *Error {
	f := r.file
	sc := &scanner{t: t}
	for {
		sc.skipSpace()
		if sc.i >= len(t.buf) {
			return nil
		}
		wordAt := sc.i
		end := skipWord(t.buf, sc.i)
		word := string(t.buf[sc.i:end])
		sc.i = end
		var kind string
		switch word {
		case "workers", "corelist-workers", "coremask-workers":
			kind = word
		default:
			continue
		}
		sc.skipSpace()
		argAt := sc.i
		argEnd := skipWord(t.buf, sc.i)
		arg := t.buf[argAt:argEnd]
		sc.i = argEnd
		off := t.off[wordAt]
		if len(arg) == 0 {
			return r.errAt(off, word, fmt.Sprintf("cpu: %s needs a value", word))
		}
		var n int
		var err string
		switch kind {
		case "workers":
			n, err = parseCount(arg)
		case "corelist-workers":
			n, err = countCoreList(arg)
		case "coremask-workers":
			n, err = countCoreMask(arg)
		}
		if err != "" {
			return r.errAt(t.off[argAt], string(arg), fmt.Sprintf("cpu: %s %s: %s", word, arg, err))
		}
		if f.WorkersFrom.Set && f.Workers != 0 {
			what := "number"
			if kind != "workers" {
				what = "core placement"
			}
			return r.errAt(off, word, fmt.Sprintf("cpu: %s of 'workers' threads is already configured (by %s at %s)",
				what, f.WorkersFrom.Keyword, f.WorkersFrom.Pos))
		}
		f.Workers = n
		f.WorkersFrom = Setting[int]{Value: n, Set: true, Pos: r.pos(off), Keyword: word}
	}
}

// parseCount reads VPP's %u for `workers`: an unsigned decimal that fits
// 32 bits and is the whole word.
func parseCount(b []byte) (int, string) {
	sc := &scanner{t: &text{buf: b}}
	mag, _, st := sc.magnitude(10, false)
	if st != numOK || sc.i != len(b) {
		return 0, "expected an unsigned decimal number"
	}
	if mag > math.MaxUint32 {
		return 0, "out of range"
	}
	return int(mag), ""
}

// countCoreList counts the cores of a list like "2-5,8" (VPP's bitmap list
// format: comma-separated cores or inclusive ranges).
func countCoreList(b []byte) (int, string) {
	const maxCore = 1 << 16
	seen := map[uint64]bool{}
	i := 0
	for {
		lo, j, ok := listNumber(b, i)
		if !ok {
			return 0, "expected a core list such as 2-5,8"
		}
		hi := lo
		i = j
		if i < len(b) && b[i] == '-' {
			if hi, i, ok = listNumber(b, i+1); !ok || hi < lo {
				return 0, "expected a core range low-high with low <= high"
			}
		}
		if hi >= maxCore {
			return 0, fmt.Sprintf("core %d is out of range", hi)
		}
		for c := lo; c <= hi; c++ {
			seen[c] = true
		}
		if i == len(b) {
			return len(seen), ""
		}
		if b[i] != ',' {
			return 0, "expected a core list such as 2-5,8"
		}
		i++
	}
}

func listNumber(b []byte, i int) (uint64, int, bool) {
	start := i
	var n uint64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' && n < 1<<32 {
		n = n*10 + uint64(b[i]-'0')
		i++
	}
	return n, i, i > start
}

// countCoreMask counts the set bits of a hexadecimal core mask (an optional
// 0x prefix is accepted).
func countCoreMask(b []byte) (int, string) {
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b = b[2:]
	}
	n := 0
	for _, c := range b {
		d := digit(c)
		if d >= 16 {
			return 0, "expected a hexadecimal core mask such as 0x3c"
		}
		n += bits.OnesCount64(d)
	}
	if len(b) == 0 {
		return 0, "expected a hexadecimal core mask such as 0x3c"
	}
	return n, ""
}
