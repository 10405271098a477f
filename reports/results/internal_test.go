package results

import "testing"

func TestParseCPUModel(t *testing.T) {
	cases := []struct{ in, want string }{
		{"processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)   CPU @ 2.20GHz\n\nprocessor\t: 1\nmodel name\t: other\n", "Intel(R) Xeon(R) CPU @ 2.20GHz"},
		{"processor\t: 0\nBogoMIPS\t: 50.00\n\nHardware\t: BCM2835\nModel\t: Raspberry Pi 4 Model B Rev 1.4\n", "BCM2835"},
		{"", "unknown"},
		{"garbage without colons\n", "unknown"},
	}
	for _, c := range cases {
		if got := parseCPUModel([]byte(c.in)); got != c.want {
			t.Errorf("parseCPUModel(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLineCol(t *testing.T) {
	b := []byte("ab\ncde\n\nf")
	cases := []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {1, 1, 2}, {3, 2, 1}, {5, 2, 3}, {7, 3, 1}, {8, 4, 1}, {9, 4, 2}, {99, 4, 2}, {-3, 1, 1}}
	for _, c := range cases {
		if l, col := lineCol(b, c.off); l != c.line || col != c.col {
			t.Errorf("lineCol(%d) = %d:%d, want %d:%d", c.off, l, col, c.line, c.col)
		}
	}
}
