package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/doppio-ecs/doppio/deploy"
)

// liveView is the status block a terminal shows under the scrolling
// progress lines: a header (command, cluster/service, elapsed time, what it
// waits for) and one row per deployment, redrawn in place.
//
// It stays intact at any width because every row it draws is cut to fit
// one terminal row (by display width, so wide characters count twice):
// moving the cursor up by the number of rows drawn then always lands on the
// block's first row. When the terminal got narrower since the last draw
// (the terminal re-wraps what is on screen), the rows each old line now
// takes are counted with the new width.
type liveView struct {
	w     io.Writer
	width func() int // terminal columns; 0 when unknown
	now   func() time.Time
	start time.Time
	title string

	waiting     string
	next        time.Time // when the waiter polls next, counted down in the header
	deployments []deploy.DeploymentState
	// body, when set, gives the rows under the header at now, each to fit
	// in cols columns, instead of the deployments (the row per service of a
	// run over several).
	body  func(now time.Time, cols int) []string
	ended bool // the command stopped waiting: the block stays as it was last

	drawn []int // display width of each row on screen
}

func newLiveView(w io.Writer, width func() int, now func() time.Time, title string) *liveView {
	return &liveView{w: w, width: width, now: now, start: now(), title: strings.TrimSpace(title)}
}

// bodyIndent starts each row under the header.
const bodyIndent = "  "

// fallbackWidth is used when the terminal does not say its width.
const fallbackWidth = 80

func (v *liveView) columns() int {
	if w := v.width(); w > 0 {
		return max(w, 10)
	}
	return fallbackWidth
}

// visible tells whether there is a block to show: nothing is drawn before
// the command waits for something or reports deployments.
func (v *liveView) visible() bool {
	return v.waiting != "" || len(v.deployments) > 0 || v.body != nil
}

// rows renders the block for a terminal of width columns.
func (v *liveView) rows(width int) []string {
	now := v.now()
	head := v.title + " · " + elapsed(now.Sub(v.start))
	switch {
	case v.ended:
		head += " · ended"
	case v.waiting != "":
		head = countdown(head+" · waiting for ", v.waiting, v.next, now, width-1)
	}
	rows := []string{head}
	body := deploymentLines(v.deployments)
	if v.body != nil {
		body = v.body(now, width-1-len(bodyIndent))
	}
	for _, l := range body {
		rows = append(rows, bodyIndent+l)
	}
	for i, r := range rows {
		// One column is kept free: a row that fills the last column leaves
		// some terminals in a pending wrap.
		if runewidth.StringWidth(r) > width-1 {
			rows[i] = runewidth.Truncate(r, width-1, "…")
		}
	}
	return rows
}

// draw erases the block, writes scroll (lines that stay, above the block;
// they may wrap), then draws the block again.
func (v *liveView) draw(scroll []string) {
	width := v.columns()
	var b strings.Builder
	if n := v.onScreen(width); n > 0 {
		fmt.Fprintf(&b, "\r\x1b[%dA\x1b[J", n)
	}
	for _, l := range scroll {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	v.drawn = v.drawn[:0]
	if v.visible() {
		for _, r := range v.rows(width) {
			b.WriteString(r)
			b.WriteByte('\n')
			v.drawn = append(v.drawn, runewidth.StringWidth(r))
		}
	}
	if b.Len() > 0 {
		_, _ = io.WriteString(v.w, b.String())
	}
}

// onScreen is how many terminal rows the drawn block takes at width.
func (v *liveView) onScreen(width int) int {
	n := 0
	for _, w := range v.drawn {
		n += max(1, (w+width-1)/width)
	}
	return n
}

// forget leaves the block on screen as it is: later output goes below it.
func (v *liveView) forget() { v.drawn = v.drawn[:0] }

// waitingOf splits a waiting event into what the waiter waits for and when
// it polls next (zero when it does not say).
func waitingOf(e deploy.Event) (string, time.Time) {
	if e.Next.IsZero() {
		return e.Message, time.Time{}
	}
	what, _ := strings.CutSuffix(e.Message, deploy.NextCheck(e.Next.Sub(e.Time)))
	return what, e.Next
}

// countdown is the row head followed by what the waiter waits for and,
// until it polls next, in how long: the waiter reports when that changes
// and every 30 s of a long sleep, the view counts down at each redraw. When
// the row is wider than cols, what it waits for is cut rather than the
// countdown, the part that moves.
func countdown(head, what string, next, now time.Time, cols int) string {
	left := next.Sub(now).Round(time.Second)
	if next.IsZero() || left <= 0 {
		return head + what
	}
	tail := deploy.NextCheck(left)
	row := head + what + tail
	if room := cols - runewidth.StringWidth(head) - runewidth.StringWidth(tail); runewidth.StringWidth(row) > cols && room >= minWaitingRoom {
		row = head + runewidth.Truncate(what, room, "…") + tail
	}
	return row
}

// minWaitingRoom: narrower than this, what the waiter waits for says too
// little to keep the countdown at its cost; the row is cut at its end.
const minWaitingRoom = 16

// elapsed is a duration in whole seconds: 7s, 1m05s, 1h02m03s.
func elapsed(d time.Duration) string {
	s := int(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
}
