package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestChooser(t *testing.T) {
	items := []choice{{"aaa", "aaa\tweb:1\tRUNNING"}, {"bbb", "bbb\tweb:2\tRUNNING"}, {"ccc", "ccc\tweb:2\tRUNNING"}}
	for _, c := range []struct {
		name        string
		filter      string
		interactive bool
		stdin       string
		want        int
		err         string
	}{
		{name: "filter command picks a line", filter: "grep bbb", want: 1},
		{name: "filter command sees every line", filter: "tail -n 1", want: 2},
		{name: "filter command cancelled", filter: "exit 1", err: "exited with status 1: no task chosen"},
		{name: "filter command prints nothing", filter: "true", err: "chose nothing"},
		{name: "filter command prints a stranger", filter: "echo zzz", err: "none of the tasks offered"},
		{name: "prompt by number", interactive: true, stdin: "3\n", want: 2},
		{name: "prompt by key after a wrong answer", interactive: true, stdin: "9\naaa\n", want: 0},
		{name: "prompt closed", interactive: true, stdin: "", err: "no task chosen"},
		{name: "no terminal lists the choices", err: "3 tasks to choose from and stdin is not a terminal; pass --id (or set --filter-command): aaa web:1 RUNNING; bbb web:2 RUNNING; ccc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var prompt bytes.Buffer
			ch := &chooser{filterCommand: c.filter, stdin: strings.NewReader(c.stdin), prompt: &prompt, interactive: c.interactive}
			got, err := ch.choose("task", "--id", items)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("choose = %d, %v; want %d (prompt %q)", got, err, c.want, prompt.String())
			}
			if c.interactive && !strings.Contains(prompt.String(), "  2) bbb\tweb:2\tRUNNING\n") {
				t.Fatalf("prompt %q does not list the tasks", prompt.String())
			}
		})
	}
}
