package runner

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/sessionlab/sessionlab/sim/scenario"
)

// Progress receives a run's progress. Methods are called from the
// runner's jobs concurrently; implementations synchronise.
type Progress interface {
	// Start is called once with the number of repetitions the run will do.
	Start(total int)
	// Update reports a running repetition's progress (the engine's own
	// done/total).
	Update(p *scenario.Resolved, rep int, done, total float64)
	// RepetitionDone reports a finished repetition.
	RepetitionDone(ev Event)
	// Finish is called once when every job has stopped.
	Finish()
}

// Event is a finished repetition.
type Event struct {
	// Point is the resolved point; Points the grid's size.
	Point  *scenario.Resolved
	Points int
	// Rep is the repetition's index, Reps the repetitions per point.
	Rep, Reps int
	// Done of Total repetitions of this run have finished.
	Done, Total int
	// Elapsed is the repetition's wall-clock time.
	Elapsed time.Duration
}

type nopProgress struct{}

func (nopProgress) Start(int)                                        {}
func (nopProgress) Update(*scenario.Resolved, int, float64, float64) {}
func (nopProgress) RepetitionDone(Event)                             {}
func (nopProgress) Finish()                                          {}

// Lines writes one plain line per finished repetition to w: the format for
// logs and CI, where a redrawn bar would be noise.
//
//	[3/27] point 1/9 (traffic[1].synth.rate=4000) repetition 1/3 done in 1.204s
func Lines(w io.Writer) Progress { return &lines{w: w} }

type lines struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lines) Start(total int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "running %d repetitions\n", total)
}

func (l *lines) Update(*scenario.Resolved, int, float64, float64) {}

func (l *lines) RepetitionDone(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "[%d/%d] %s repetition %d/%d done in %s\n", ev.Done, ev.Total,
		pointLabel(ev.Point, ev.Points), ev.Rep+1, ev.Reps, ev.Elapsed.Round(time.Millisecond))
}

func (l *lines) Finish() {}

// pointLabel is "point 2/9 (a=1, b=2)".
func pointLabel(p *scenario.Resolved, n int) string {
	s := p.String()
	// p.String() is "point i (...)"; add the grid size.
	prefix := fmt.Sprintf("point %d", p.Index)
	return fmt.Sprintf("point %d/%d%s", p.Index+1, n, s[len(prefix):])
}

// Bar draws a progress bar on w (a terminal): finished repetitions out of
// the total, the point being run and its progress, the elapsed time and an
// estimate of the rest.
func Bar(w io.Writer) Progress { return &bar{w: w} }

type bar struct {
	mu   sync.Mutex
	w    io.Writer
	b    *progressbar.ProgressBar
	last time.Time
}

func (b *bar) Start(total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription("running"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionFullWidth(),
	)
}

func (b *bar) Update(p *scenario.Resolved, rep int, done, total float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil || total <= 0 || time.Since(b.last) < 100*time.Millisecond {
		return
	}
	b.last = time.Now()
	b.b.Describe(fmt.Sprintf("point %d rep %d %3.0f%%", p.Index, rep, 100*done/total))
}

func (b *bar) RepetitionDone(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil {
		return
	}
	b.b.Describe(fmt.Sprintf("point %d/%d rep %d/%d", ev.Point.Index+1, ev.Points, ev.Rep+1, ev.Reps))
	_ = b.b.Add(1)
}

func (b *bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b != nil {
		_ = b.b.Finish()
		fmt.Fprintln(b.w)
	}
}
