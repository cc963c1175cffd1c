package render

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO nobody writes to does not hold a cancelled command.
func TestReadInputGivesUpWhenCancelled(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "td.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := ReadInput(ctx, fifo, MaxSourceSize)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the deadline, got %v", err)
	}
	// unblock the reader goroutine
	if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
		f.Close()
	}
}

func TestReadInputSizeLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(p, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInput(context.Background(), p, 1024); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("want a size error, got %v", err)
	}
	if b, err := ReadInput(context.Background(), p, 4096); err != nil || len(b) != 2048 {
		t.Fatalf("got %d bytes, %v", len(b), err)
	}
}

func TestYAMLAliasBombIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("a: &a [x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		b.WriteString(n + ": &" + n + " [" + strings.Repeat("*"+prev+", ", 8) + "*" + prev + "]\n")
		prev = n
	}
	_, err := yamlToJSON("bomb.yml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "bomb.yml: YAML aliases expand to more than") {
		t.Fatalf("want the alias error, got %v", err)
	}
	if _, err := yamlToJSON("ok.yml", []byte("x: &x [1, 2]\ny: [*x, *x]\n")); err != nil {
		t.Fatalf("a few aliases are fine: %v", err)
	}
}
