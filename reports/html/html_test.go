package html_test

import (
	"bytes"
	"encoding/base64"
	stdhtml "html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sessionlab/sessionlab/reports/html"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/results/resultstest"
)

// shared is the report of the default synthetic sweep, written once and
// read by several tests (rendering its plots is the slow part, under the
// race detector especially).
var shared struct {
	once      sync.Once
	dir, page string
	rep       *html.Report
	err       error
	doc       *results.Document
}

func sharedReport(t *testing.T) (dir, page string, rep *html.Report, d *results.Document) {
	t.Helper()
	shared.once.Do(func() {
		d := resultstest.Build(resultstest.Default())
		d.Warnings = []string{"event-queue-length below VPP's minimum"}
		d.Points[2].Warnings = []string{"point warning"}
		shared.doc = d
		shared.dir, shared.err = os.MkdirTemp("", "sessionlab-report-")
		if shared.err != nil {
			return
		}
		if shared.rep, shared.err = html.Write(shared.dir, d); shared.err != nil {
			return
		}
		var b []byte
		b, shared.err = os.ReadFile(shared.rep.Index)
		shared.page = string(b)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.dir, shared.page, shared.rep, shared.doc
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// cheap limits a document to one quick plot, for tests about the page.
func cheap(d *results.Document) *results.Document {
	d.Plots = []results.PlotSpec{{Kind: results.PlotTrials}}
	return d
}

func writeReport(t *testing.T, d *results.Document) (dir string, page string, rep *html.Report) {
	t.Helper()
	dir = t.TempDir()
	rep, err := html.Write(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(rep.Index)
	if err != nil {
		t.Fatal(err)
	}
	return dir, string(b), rep
}

// imgRE finds embedded images; the attribute is HTML-escaped (html/template
// writes "+" as "&#43;"), so matches are unescaped before decoding.
var imgRE = regexp.MustCompile(`<img src="data:image/png;base64,([^"]+)"`)

// TestWrite: index.html embeds exactly the PNG files written beside it, and
// shows the summary, warnings, configuration and environment.
func TestWrite(t *testing.T) {
	dir, page, rep, d := sharedReport(t)
	if len(rep.Images) != len(d.Plots) {
		t.Fatalf("%d images for %d plots", len(rep.Images), len(d.Plots))
	}
	m := imgRE.FindAllStringSubmatch(page, -1)
	if len(m) != len(rep.Images) {
		t.Fatalf("page embeds %d images, %d files written", len(m), len(rep.Images))
	}
	for i, f := range rep.Images {
		file, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		emb, err := base64.StdEncoding.DecodeString(stdhtml.UnescapeString(m[i][1]))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(file, emb) {
			t.Errorf("%s differs from the embedded image %d", f, i)
		}
		if filepath.Dir(f) != dir {
			t.Errorf("%s not in %s", f, dir)
		}
		if !strings.Contains(page, `href="`+filepath.Base(f)+`"`) {
			t.Errorf("page does not link %s", filepath.Base(f))
		}
	}
	for _, want := range []string{
		"bucket-sweep", "Summary", "event-queue-length below VPP&#39;s minimum", "point warning",
		"session-table-buckets", "throughput", "lower bound", "Synthetic CPU", "go1.26.8",
		"session {", "queue_full",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, f := range []string{rep.CSV, rep.Bench} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("export %s: %v", f, err)
		}
	}
	// One summary row per point.
	if got := strings.Count(page, "<tr>\n      <td class=\"num\">"); got != len(d.Points) {
		t.Errorf("%d summary rows, want %d", got, len(d.Points))
	}
}

// TestSelfContained: no script, no stylesheet or image fetched from
// anywhere, nothing that reaches the network.
func TestSelfContained(t *testing.T) {
	_, page, _, _ := sharedReport(t)
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script`),
		regexp.MustCompile(`(?i)<link`),
		regexp.MustCompile(`(?i)<iframe`),
		regexp.MustCompile(`(?i)(src|href)="(https?:)?//`),
		regexp.MustCompile(`(?i)url\(`),
		regexp.MustCompile(`(?i)@import`),
	} {
		if loc := bad.FindStringIndex(page); loc != nil {
			t.Errorf("page contains %q", page[loc[0]:min(loc[1]+40, len(page))])
		}
	}
}

// TestEscaping: text from the document cannot inject markup.
func TestEscaping(t *testing.T) {
	s := resultstest.Default()
	s.Name = `<script>alert("x")</script>`
	s.Description = `a "quoted" & <b>bold</b> description`
	d := cheap(resultstest.Build(s))
	d.Warnings = []string{`<img src=x onerror=alert(1)>`}
	d.Config.Session = append(d.Config.Session, results.KeyValue{Key: "tag", Value: `</dd><script>`})
	_, page, _ := writeReport(t, d)
	for _, bad := range []string{"<script", "<b>bold", "<img src=x"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "&lt;b&gt;bold&lt;/b&gt;", "&amp;", "&lt;img src=x onerror=alert(1)&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks escaped %q", want)
		}
	}
}

func TestIncompleteBanner(t *testing.T) {
	d := cheap(resultstest.Build(resultstest.Default()))
	d.Incomplete = true
	d.Points = d.Points[:3]
	d.FinishedPoints = []int{0, 1, 2}
	_, page, _ := writeReport(t, d)
	if !strings.Contains(page, "incomplete: interrupted run") {
		t.Error("no incomplete banner")
	}
}
