package interrupt

import (
	"context"
	"testing"
	"time"
)

func TestDetachOutlivesTheDeadlineNotTheInterrupt(t *testing.T) {
	root, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	timed, cancel := context.WithTimeout(Mark(root), time.Millisecond)
	defer cancel()
	<-timed.Done()
	ctx, stop := Detach(timed, time.Hour)
	defer stop()
	if ctx.Err() != nil {
		t.Fatal("the detached context ended with the deadline")
	}
	interrupt()
	<-ctx.Done() // would hang (the test's own timeout) if not cancelled
}

func TestDetachWithoutMark(t *testing.T) {
	timed, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	<-timed.Done()
	ctx, stop := Detach(timed, time.Hour)
	defer stop()
	if ctx.Err() != nil {
		t.Fatal("the detached context ended with the deadline")
	}
	parent, cancelParent := context.WithCancel(context.Background())
	ctx2, stop2 := Detach(parent, time.Hour)
	defer stop2()
	cancelParent()
	<-ctx2.Done()
}
