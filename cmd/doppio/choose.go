package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// choice is one line offered to the user: Key identifies it (a task id, a
// container name) and is the line's first field; Line is what is shown.
type choice struct {
	Key, Line string
}

// chooser picks one of several items the way ecspresso's tasks and exec do:
// through the filter command (peco, fzf: the lines on its stdin, the chosen
// line on its stdout), else a numbered prompt when stdin is a terminal, else
// an error that lists the items so that a script can pass one explicitly.
type chooser struct {
	filterCommand string // --filter-command, else the config's filter_command
	stdin         io.Reader
	prompt        io.Writer // stderr
	interactive   bool
}

func newChooser(g *Globals, configFilter string) *chooser {
	f := g.FilterCommand
	if f == "" {
		f = configFilter
	}
	return &chooser{filterCommand: f, stdin: g.Stdin, prompt: g.Stderr, interactive: interactive(g.Stdin)}
}

// choose returns the index of the chosen item; what names the items
// ("task", "container") and flag the flag that picks one without asking.
func (c *chooser) choose(what, flag string, items []choice) (int, error) {
	switch {
	case len(items) == 0:
		return 0, fmt.Errorf("no %s to choose from", what)
	case c.filterCommand != "":
		return c.filter(what, items)
	case c.interactive:
		return c.ask(what, items)
	}
	// One paragraph, like every doppio error: the items separated by "; ".
	var lines []string
	for _, it := range items {
		lines = append(lines, strings.Join(strings.Fields(it.Line), " "))
	}
	return 0, fmt.Errorf("%d %ss to choose from and stdin is not a terminal; pass %s (or set --filter-command): %s",
		len(items), what, flag, strings.Join(lines, "; "))
}

// filter runs the filter command through the shell, as ecspresso does. It
// reads the list on stdin; interactive filters open the terminal themselves.
func (c *chooser) filter(what string, items []choice) (int, error) {
	var in bytes.Buffer
	for _, it := range items {
		in.WriteString(it.Line + "\n")
	}
	cmd := exec.Command("sh", "-c", c.filterCommand)
	cmd.Stdin, cmd.Stderr = &in, os.Stderr
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return 0, fmt.Errorf("filter command %q exited with status %d: no %s chosen", c.filterCommand, exit.ExitCode(), what)
		}
		return 0, fmt.Errorf("filter command %q: %w", c.filterCommand, err)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	fields := strings.Fields(first)
	if len(fields) == 0 {
		return 0, fmt.Errorf("filter command %q chose nothing: no %s chosen", c.filterCommand, what)
	}
	for i, it := range items {
		if it.Key == fields[0] {
			return i, nil
		}
	}
	return 0, fmt.Errorf("filter command %q printed %q, which is none of the %ss offered", c.filterCommand, first, what)
}

func (c *chooser) ask(what string, items []choice) (int, error) {
	for i, it := range items {
		fmt.Fprintf(c.prompt, "%3d) %s\n", i+1, it.Line)
	}
	r := bufio.NewReader(c.stdin)
	for {
		fmt.Fprintf(c.prompt, "Choose a %s [1-%d]: ", what, len(items))
		line, err := r.ReadString('\n')
		answer := strings.TrimSpace(line)
		if n, convErr := strconv.Atoi(answer); convErr == nil && n >= 1 && n <= len(items) {
			return n - 1, nil
		}
		for i, it := range items {
			if answer != "" && it.Key == answer {
				return i, nil
			}
		}
		if err != nil {
			return 0, fmt.Errorf("no %s chosen", what)
		}
		fmt.Fprintf(c.prompt, "%q is not one of 1-%d\n", answer, len(items))
	}
}
