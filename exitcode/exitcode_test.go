package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	cause := errors.New("rolled back")
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain error", errors.New("boom"), Error},
		{"coded", With(Timeout, cause), Timeout},
		{"coded inside a wrapped chain", fmt.Errorf("deploy web: %w", With(Failed, cause)), Failed},
		{"coded without a message", With(Diff, nil), Diff},
		{"joined", errors.Join(errors.New("other"), With(Failed, cause)), Failed},
	}
	for _, c := range cases {
		if got := Of(c.err); got != c.want {
			t.Errorf("%s: Of = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestCodedErrorKeepsItsCause(t *testing.T) {
	cause := errors.New("task exited 137")
	err := fmt.Errorf("run migrate: %w", With(Failed, cause))
	if !errors.Is(err, cause) {
		t.Error("errors.Is must see through CodedError")
	}
	if err.Error() != "run migrate: task exited 137" {
		t.Errorf("message %q", err.Error())
	}
	if With(Diff, nil).Error() != "" {
		t.Error("a code without an error has no message")
	}
}

// The codes are documented in the README and CI gates on them.
func TestCodesAreStable(t *testing.T) {
	if OK != 0 || Error != 1 || Diff != 2 || Failed != 3 || Timeout != 4 {
		t.Errorf("exit codes changed: %d %d %d %d %d", OK, Error, Diff, Failed, Timeout)
	}
}
