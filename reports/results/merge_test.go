package results_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/reports/results"
)

// shard returns a copy of d holding only the points with index%n == i, as
// `sweep --shard i/n` would write it.
func shard(d *results.Document, i, n int) *results.Document {
	c := *d
	c.Points = nil
	for _, p := range d.Points {
		if p.Index%n == i {
			c.Points = append(c.Points, p)
		}
	}
	c.Incomplete = true
	for _, p := range c.Points {
		c.FinishedPoints = append(c.FinishedPoints, p.Index)
	}
	return &c
}

func TestMerge(t *testing.T) {
	d := small()
	got, err := results.Merge(shard(d, 1, 3), shard(d, 0, 3), shard(d, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Errorf("merging all shards does not give the whole document")
	}
	part, err := results.Merge(shard(d, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	if !part.Incomplete || !reflect.DeepEqual(part.FinishedPoints, []int{0, 2}) {
		t.Errorf("one of two shards: incomplete %v finished %v", part.Incomplete, part.FinishedPoints)
	}
	other := small()
	other.Scenario.Seed++
	for _, c := range []struct {
		parts []*results.Document
		want  string
	}{
		{nil, "no documents"},
		{[]*results.Document{shard(d, 0, 2), shard(d, 0, 2)}, "point 0 is in part 0 and part 1"},
		{[]*results.Document{shard(d, 0, 2), shard(other, 1, 2)}, "seed"},
	} {
		if _, err := results.Merge(c.parts...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Merge: err = %v, want %q", err, c.want)
		}
	}
}
