// Package version reports which build of sessionlab is running.
//
// The Makefile sets both at link time
// (-X github.com/sessionlab/sessionlab/internal/version.Version=... and
// .Commit=..., from `git describe` and `git rev-parse`). Other builds fall
// back to the VCS stamp the go command embeds when it builds inside a git
// checkout with -buildvcs on (the default for `go build`, not for `go run`
// or when GOFLAGS has -buildvcs=false), and report "unknown" without it.
package version

import (
	"runtime/debug"
	"sync"
)

// Version is the release version; "dev" for untagged builds.
var Version = "dev"

// Commit is the git revision, overridable at link time. When empty it is
// read from the binary's embedded VCS information.
var Commit = ""

var once sync.Once
var commit string
var modified bool

// Info returns the version, the commit (possibly "unknown") and whether the
// working tree had uncommitted changes when the binary was built.
func Info() (ver, rev string, dirty bool) {
	once.Do(func() {
		commit = Commit
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					if commit == "" {
						commit = s.Value
					}
				case "vcs.modified":
					modified = s.Value == "true"
				}
			}
		}
		if commit == "" {
			commit = "unknown"
		}
	})
	return Version, commit, modified
}

// String is the one-line form printed by `sessionlab --version`.
func String() string {
	v, c, d := Info()
	s := v + " (commit " + c
	if d {
		s += ", modified"
	}
	return s + ")"
}
