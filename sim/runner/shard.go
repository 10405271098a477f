package runner

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard selects the points index % Count == Index. The zero Shard (Count
// 0) selects every point.
type Shard struct {
	Index, Count int
}

// Has reports whether point i belongs to the shard.
func (s Shard) Has(i int) bool { return s.Count <= 1 || i%s.Count == s.Index }

// String returns "i/n", or "all".
func (s Shard) String() string {
	if s.Count <= 1 {
		return "all"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

func (s Shard) check() error {
	if s.Count < 0 || s.Count > 0 && (s.Index < 0 || s.Index >= s.Count) {
		return fmt.Errorf("shard %d/%d: want 0 <= i < n", s.Index, s.Count)
	}
	return nil
}

// JobIndexEnv is the variable a Kubernetes indexed job sets to the pod's
// completion index; --shard auto/n reads i from it.
const JobIndexEnv = "JOB_COMPLETION_INDEX"

// ParseShard parses "i/n" (0 ≤ i < n), or "auto/n", where i comes from
// JOB_COMPLETION_INDEX as getenv returns it. An empty string is the zero
// Shard.
func ParseShard(s string, getenv func(string) string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 1 {
		return Shard{}, fmt.Errorf("--shard %q: want i/n (e.g. 0/4) or auto/n", s)
	}
	src := ""
	if is == "auto" {
		is = strings.TrimSpace(getenv(JobIndexEnv))
		if is == "" {
			return Shard{}, fmt.Errorf("--shard %s: %s is not set (auto takes the shard index from a Kubernetes indexed job)", s, JobIndexEnv)
		}
		src = fmt.Sprintf(" (%s=%s)", JobIndexEnv, is)
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("--shard %s%s: index %q must be a number from 0 to %d", s, src, is, n-1)
	}
	return Shard{Index: i, Count: n}, nil
}
