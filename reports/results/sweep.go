package results

// Grid arithmetic of a sweep. Zipped axes form one group that advances as a
// single dimension; the grid is the product of the groups' lengths. Keeping
// this in one place means the simulator that enumerates points, Validate that
// checks them and compare that matches them can never disagree.

// Group is a set of axes that advance together (a zip group, or one axis).
type Group struct {
	// Axes indexes Sweep.Axes, in axis order.
	Axes []int
	// Len is the number of values of each axis in the group.
	Len int
}

// Groups returns the sweep's groups in order of first appearance. Axes of a
// zip group with unequal lengths give the group the shortest length (Validate
// reports the mismatch).
func (s Sweep) Groups() []Group {
	var gs []Group
	byZip := map[string]int{}
	for i, a := range s.Axes {
		if a.Zip != "" {
			if gi, ok := byZip[a.Zip]; ok {
				gs[gi].Axes = append(gs[gi].Axes, i)
				gs[gi].Len = min(gs[gi].Len, len(a.Values))
				continue
			}
			byZip[a.Zip] = len(gs)
		}
		gs = append(gs, Group{Axes: []int{i}, Len: len(a.Values)})
	}
	return gs
}

// Size returns the number of points of the full grid (1 without axes).
func (s Sweep) Size() int {
	n := 1
	for _, g := range s.Groups() {
		n *= g.Len
	}
	return n
}

// ParamsAt returns the parameter values of grid point i (0 ≤ i < Size), one
// per axis in axis order; the last group varies fastest.
func (s Sweep) ParamsAt(i int) []Param {
	if len(s.Axes) == 0 {
		return nil
	}
	gs := s.Groups()
	ps := make([]Param, len(s.Axes))
	for g := len(gs) - 1; g >= 0; g-- {
		if gs[g].Len == 0 {
			return nil
		}
		vi := i % gs[g].Len
		i /= gs[g].Len
		for _, a := range gs[g].Axes {
			ps[a] = Param{Name: s.Axes[a].Name, Value: s.Axes[a].Values[vi]}
		}
	}
	return ps
}

// Axis returns the axis named name and its index, or -1.
func (s Sweep) Axis(name string) (Axis, int) {
	for i, a := range s.Axes {
		if a.Name == name {
			return a, i
		}
	}
	return Axis{}, -1
}

// Param returns the value of the parameter named name at p.
func (p *Point) Param(name string) (Value, bool) {
	for _, q := range p.Params {
		if q.Name == name {
			return q.Value, true
		}
	}
	return Value{}, false
}
