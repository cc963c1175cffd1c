package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestConfirm(t *testing.T) {
	ask := func(stdin string, accept func(string) bool) (string, error) {
		var stderr bytes.Buffer
		g := &Globals{Stdin: strings.NewReader(stdin), Stderr: &stderr}
		err := confirm(g, "delete", "Enter the service name to DELETE (web): ", accept)
		return stderr.String(), err
	}
	name := func(a string) bool { return a == "web" }
	if prompt, err := ask("web\n", name); err != nil || !strings.Contains(prompt, "Enter the service name") {
		t.Fatalf("typed the name: err %v, prompt %q", err, prompt)
	}
	if _, err := ask("web", name); err != nil {
		t.Fatalf("an answer without a newline counts: %v", err)
	}
	if _, err := ask("wbe\n", name); err == nil || !strings.Contains(err.Error(), "not confirmed; nothing was changed") {
		t.Fatalf("a wrong name must abort: %v", err)
	}
	if _, err := ask("", yes); err == nil {
		t.Fatal("no answer must abort")
	}
	for _, a := range []string{"y\n", "YES\n", " yes \n"} {
		if _, err := ask(a, yes); err != nil {
			t.Errorf("%q: %v", a, err)
		}
	}
	if _, err := ask("n\n", yes); err == nil {
		t.Error("n must abort")
	}
}

func TestConfirmRefusesWithoutATerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stderr bytes.Buffer
	g := &Globals{Stdin: f, Stderr: &stderr}
	err = confirm(g, "deregister", "Deregister? [y/N] ", yes)
	if err == nil || !strings.Contains(err.Error(), "stdin is not a terminal; pass --force") {
		t.Fatalf("got %v", err)
	}
	if stderr.Len() != 0 {
		t.Errorf("no prompt may be shown: %q", stderr.String())
	}
	if err := confirm(&Globals{}, "delete", "?", yes); err == nil {
		t.Error("a nil stdin must refuse")
	}
}
