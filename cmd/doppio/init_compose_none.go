//go:build no_compose

package main

import "github.com/doppio-ecs/doppio/awsapi"

// The default release build leaves the compose converter out: compose-go
// and its JSON Schema validator (which compiles every draft's meta-schema
// when the process starts) were a quarter of the start-up allocations of
// every command, for a command run once per service (docs/performance.md,
// "Start-up and size"). InitCmd.Run refuses --compose before anything else.
const composeBuilt = false

func (c *InitCmd) runCompose(*Globals, *awsapi.Clients, string, string) error {
	return errComposeLeftOut
}
