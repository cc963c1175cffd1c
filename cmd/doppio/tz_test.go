package main

import (
	"os"
	"testing"
	"time"
)

// TestMain pins the local time zone to UTC for the golden files, once and
// before any goroutine runs: swapping time.Local inside a test races with the
// emulator's HTTP server, which reads it on every connection.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}
