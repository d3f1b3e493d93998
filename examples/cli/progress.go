package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/openmda/mda"
)

// progressLine draws a one-line progress report on stderr: redrawn in place
// at most four times a second on a terminal, or printed as a plain line
// every five seconds when stderr is a file or a pipe (CI logs).
type progressLine struct {
	w     io.Writer
	tty   bool
	mu    sync.Mutex
	last  time.Time
	start time.Time
	shown bool
}

func newProgress(w io.Writer) *progressLine {
	p := &progressLine{w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progressLine) printf(force bool, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return
	}
	now := time.Now()
	every := 250 * time.Millisecond
	if !p.tty {
		every = 5 * time.Second
		if p.last.IsZero() {
			p.last = now // the first plain line after five seconds
		}
	}
	if !force && now.Sub(p.last) < every {
		return
	}
	p.last = now
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K"+format, args...)
		p.shown = true
		return
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// ingest reports an ingest's progress.
func (p *progressLine) ingest(pr mda.Progress) {
	pct := 0.0
	if pr.Total > 0 {
		pct = 100 * float64(pr.Done) / float64(pr.Total)
	}
	switch pr.Stage {
	case "decompress":
		p.printf(pr.Done == pr.Total, "decompressing %5.1f%%  %s of %s", pct, mb(pr.Done), mb(pr.Total))
	case "integrate":
		// Done and Total count partitions here, not bytes.
		p.printf(pr.Done == pr.Total, "integrating   %5.1f%%  %d of %d partitions  %d reads  %d quarantined  %s",
			pct, pr.Done, pr.Total, pr.Reads, pr.Quarantined, time.Since(p.start).Round(100*time.Millisecond))
	default:
		p.printf(pr.Done == pr.Total, "ingesting     %5.1f%%  %s of %s  %d reads  %d quarantined  %s",
			pct, mb(pr.Done), mb(pr.Total), pr.Reads, pr.Quarantined, time.Since(p.start).Round(100*time.Millisecond))
	}
}

// done ends the progress line.
func (p *progressLine) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown && p.w != nil {
		fmt.Fprintln(p.w)
	}
	p.shown = false
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// countingWriter counts bytes and reports them.
type countingWriter struct {
	w      io.Writer
	n      int64
	report func(int64)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	if c.report != nil {
		c.report(c.n)
	}
	return n, err
}
