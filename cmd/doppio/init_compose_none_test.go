//go:build no_compose

package main

import (
	"strings"
	"testing"

	"github.com/doppio-ecs/doppio/exitcode"
)

// Run with the release's tags: go test -tags no_gcs,no_azurerm,no_tfe,no_compose ./cmd/doppio/ -run ComposeLeftOut
func TestInitComposeLeftOut(t *testing.T) {
	c := &InitCmd{ComposeFlags: ComposeFlags{Compose: []string{"compose.yml"}}}
	err := c.Run(&Globals{})
	if err == nil || !strings.Contains(err.Error(), "doppio-full") || exitcode.Of(err) != exitcode.Error {
		t.Fatalf("err = %v, want the doppio-full hint with exit 1", err)
	}
}
