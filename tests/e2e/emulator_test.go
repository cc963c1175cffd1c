package e2e

import (
	"testing"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// seededEmulator starts an emulator on clock (nil: the emulator's default)
// for the Go tests beside the scripts, loads seedYAML into it and closes it
// when the test ends.
func seededEmulator(t *testing.T, clock awsemu.Clock, seedYAML []byte) *awsemu.Emulator {
	t.Helper()
	emu := awsemu.New(awsemu.Options{Clock: clock, Seed: 1})
	if err := emu.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
	})
	seed, err := awsemu.ParseSeed(seedYAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}
	return emu
}
