//go:build !windows

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// resizeSignals delivers the terminal's resize signal, so the live block is
// redrawn at the new width at once rather than at the next tick.
func resizeSignals() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	return ch, func() { signal.Stop(ch) }
}
