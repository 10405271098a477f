package cli

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/golden"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the outputs of the examples in docs/cli.md")

const docsPath = "../../docs/cli.md"

// docBlock is one example of docs/cli.md: a fenced block whose info string
// is "sessionlab" (text, as the interactive CLI prints it) or
// "sessionlab-json" (one JSON object per command, as --json prints it).
// Lines starting with the prompt are commands; the others are the
// expected output of the command above them.
type docBlock struct {
	json  bool
	start int // index of the first line inside the fence
	end   int // index of the closing fence
	lines []string
}

func parseDocBlocks(lines []string) []docBlock {
	var out []docBlock
	for i := 0; i < len(lines); i++ {
		info := strings.TrimSpace(strings.TrimPrefix(lines[i], "```"))
		if !strings.HasPrefix(lines[i], "```") || (info != "sessionlab" && info != "sessionlab-json") {
			continue
		}
		b := docBlock{json: info == "sessionlab-json", start: i + 1}
		for j := i + 1; j < len(lines); j++ {
			if strings.HasPrefix(lines[j], "```") {
				b.end = j
				break
			}
			b.lines = append(b.lines, lines[j])
		}
		out = append(out, b)
		i = b.end
	}
	return out
}

// runDocBlock runs the commands of a block in a fresh executor and returns
// the transcript as the block should read.
func runDocBlock(t *testing.T, b docBlock) []string {
	x := newTestExecutor(t)
	var out []string
	n := 0
	for _, l := range b.lines {
		cmd, ok := trimPrompt(l)
		if !ok {
			continue
		}
		n++
		out = append(out, l)
		r := x.Exec(cmd)
		var buf bytes.Buffer
		if b.json {
			if err := r.WriteJSON(&buf, n); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := r.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			if !r.OK() {
				buf.WriteString(ErrorText(r) + "\n")
			}
		}
		if s := strings.TrimRight(buf.String(), "\n"); s != "" {
			out = append(out, strings.Split(s, "\n")...)
		}
	}
	return out
}

// TestDocExamples runs every example of docs/cli.md and compares its
// transcript, so the documentation and the CLI can never drift.
func TestDocExamples(t *testing.T) {
	src, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	blocks := parseDocBlocks(lines)
	if len(blocks) == 0 {
		t.Fatal("docs/cli.md has no examples")
	}
	changed := false
	// Rewrite from the last block so earlier line numbers stay valid.
	for i := len(blocks) - 1; i >= 0; i-- {
		b := blocks[i]
		got := runDocBlock(t, b)
		if strings.Join(got, "\n") == strings.Join(b.lines, "\n") {
			continue
		}
		if *updateDocs {
			lines = append(lines[:b.start], append(got, lines[b.end:]...)...)
			changed = true
			continue
		}
		t.Errorf("docs/cli.md:%d: example differs (rerun with -update-docs if the change is intended):\n%s",
			b.start, golden.FirstDiff(strings.Join(got, "\n"), strings.Join(b.lines, "\n")))
	}
	if changed {
		if err := os.WriteFile(docsPath, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDocsCoverEveryCommand checks that docs/cli.md shows every command of
// the command table in at least one example.
func TestDocsCoverEveryCommand(t *testing.T) {
	src, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	used := map[*command]bool{}
	for _, b := range parseDocBlocks(strings.Split(string(src), "\n")) {
		for _, l := range b.lines {
			cmd, ok := trimPrompt(l)
			if !ok {
				continue
			}
			toks := tokenize(cmd, nil)
			if c, _ := lookupCommand(toks); c != nil {
				used[c] = true
			}
			if len(toks) > 2 && toks[0].text == "expect" {
				if c, _ := lookupCommand(toks[2:]); c != nil {
					used[c] = true
				}
			}
		}
	}
	for _, c := range commands {
		if !used[c] {
			t.Errorf("docs/cli.md has no example of `%s`", strings.Join(c.path, " "))
		}
	}
}
