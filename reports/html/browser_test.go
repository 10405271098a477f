package html_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser returns the path of a Chromium or Chrome binary, or "".
func browser() string {
	if p := os.Getenv("SESSIONLAB_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestReportInBrowser opens the report in headless Chromium, checks that
// every image decoded (naturalWidth > 0) and takes a full-page screenshot
// that must not be one flat colour. Set SESSIONLAB_SCREENSHOT to a file
// name to keep the screenshot.
func TestReportInBrowser(t *testing.T) {
	bin := browser()
	if bin == "" {
		t.Skip("no Chromium or Chrome found (install Debian's chromium, or set SESSIONLAB_CHROMIUM)")
	}
	if testing.Short() {
		t.Skip("starts a browser")
	}
	_, _, rep, _ := sharedReport(t)
	// Not t.TempDir: Chromium's helper processes may still write into the
	// profile for a moment after it exits, and a failed RemoveAll would
	// fail the test.
	profile, err := os.MkdirTemp("", "sessionlab-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()

	url := "file://" + filepath.ToSlash(rep.Index)
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	type imgState struct {
		Alt      string `json:"alt"`
		Complete bool   `json:"complete"`
		Width    int    `json:"width"`
	}
	imgs, err := chromedp.Run(tab, chromedp.Evaluate[[]imgState](
		`Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth}))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != len(rep.Images) {
		t.Errorf("browser sees %d images, report has %d", len(imgs), len(rep.Images))
	}
	for _, im := range imgs {
		if !im.Complete || im.Width <= 0 {
			t.Errorf("image %q did not load (complete %v, naturalWidth %d)", im.Alt, im.Complete, im.Width)
		}
	}
	title, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.title`))
	if err != nil || title != "sessionlab report: bucket-sweep" {
		t.Errorf("title %q, %v", title, err)
	}
	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("SESSIONLAB_SCREENSHOT"); out != "" {
		if err := os.WriteFile(out, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := m.Bounds()
	if b.Dy() < 2000 {
		t.Errorf("full-page screenshot is only %d px tall: plots missing?", b.Dy())
	}
	first := m.At(b.Min.X, b.Min.Y)
	fr, fg, fb, _ := first.RGBA()
	differ := 0
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := m.At(x, y).RGBA()
			if r != fr || g != fg || bl != fb {
				differ++
			}
		}
	}
	if differ < 500 {
		t.Errorf("screenshot is (nearly) one colour: %d sampled pixels differ from the first", differ)
	}
}
