package session

import (
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestInlining checks that the functions on the lookup and event hot paths
// inline: key construction, handle arithmetic, table and pool access, the
// rings. A change that pushes one over the compiler's budget shows up here
// instead of as a slowdown.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no compiler")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	want := []string{
		"key4raw", "key4", "key6", "listenKey4", "listenKey6", "endpointKey", "netPort", "famOf",
		"MakeHandle", "Handle.Thread", "Handle.Index", "establishedResult",
		"(*Layer).lookupTable", "(*Layer).sessionAt", "(*Layer).connOf", "(*Layer).setState",
		"(*sessionPool).at", "(*sessionPool).put",
		// The control queue's ring.
		`\(\*ring\[[^\n]*session\.ctrlEvent\]\)\.push`,
		`\(\*ring\[[^\n]*session\.ctrlEvent\]\)\.pop`,
		"(*EventQueue).Pop",
	}
	text := string(out)
	for _, fn := range want {
		pat := fn
		if !strings.Contains(fn, `\`) {
			pat = regexp.QuoteMeta(fn)
			pat = strings.Replace(pat, `Handle\.`, `Handle\)?\.`, 1)
			pat = strings.Replace(pat, `Handle\)?\.`, `\(?Handle\)?\.`, 1)
		}
		re := regexp.MustCompile(`(?m)can inline ` + pat + `$`)
		if !re.MatchString(text) {
			t.Errorf("%s does not inline", fn)
		}
	}
}
