package main

import "fmt"

// VersionCmd prints the version; it needs no config.
type VersionCmd struct{}

func (c *VersionCmd) Run(g *Globals) error {
	_, err := fmt.Fprintf(g.Stdout, "doppio %s\n", g.BinaryVersion)
	return err
}
