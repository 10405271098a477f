package search

import (
	"testing"
	"time"
)

// TestZeroAllocs: deciding the next trial reads the database without
// allocating: classifying a load, finding a target's relevant bounds, and
// a selector's nomination while it keeps measuring the same load.
func TestZeroAllocs(t *testing.T) {
	db := stepDatabase()
	tg := target{lossRatio: 0, exceedRatio: 0.5, width: 64, trial: time.Second, sum: 21 * time.Second}
	ls := db.at(500)
	if n := testing.AllocsPerRun(100, func() { _ = ls.class(&tg) }); n != 0 {
		t.Errorf("class: %v allocs", n)
	}
	var b bounds
	if n := testing.AllocsPerRun(100, func() { b = db.bounds(&tg) }); n != 0 {
		t.Errorf("bounds: %v allocs", n)
	}
	if b.lo != 2500 || b.hi != 2600 {
		t.Fatalf("bounds %+v", b)
	}
	// A selector measuring 2550 (undecided) keeps nominating it.
	sel := &selector{ts: []target{tg}, pend: none}
	sel.setHints(2500, 2600, 2, 10000)
	if n, ok := sel.nominate(db, 10000, 2); !ok || n.load != 2550 {
		t.Fatalf("nominated %+v", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = sel.nominate(db, 10000, 2) }); n != 0 {
		t.Errorf("nominate: %v allocs", n)
	}
}

// stepDatabase is a search's database of 40 loads (0 to 3900 by 100) with
// 11 one-second trials each: no loss up to 2500, 1% above.
func stepDatabase() *database {
	db := &database{}
	for i := range 40 {
		for range 11 {
			loss := 0.0
			if i > 25 {
				loss = 0.01
			}
			db.add(i*100, trialRec{intended: time.Second, effective: time.Second, loss: loss})
		}
	}
	return db
}
