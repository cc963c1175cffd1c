package main

import (
	"fmt"
	"runtime/debug"

	"github.com/doppio-ecs/doppio/render"
)

// VersionCmd prints the version; it needs no config.
type VersionCmd struct{}

func (c *VersionCmd) Run(g *Globals) error {
	_, err := fmt.Fprintf(g.Stdout, "doppio %s (reads ecspresso v%s configs)\n", g.BinaryVersion, render.EcspressoCompatVersion)
	return err
}

// binaryVersion is the -ldflags version of release builds, else the module
// version Go recorded: `go install .../cmd/doppio@v1.2.3` records v1.2.3, a
// build in a git checkout a pseudo-version. "dev" only when neither is known.
func binaryVersion(ldflags string, info *debug.BuildInfo, ok bool) string {
	if ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	if ok && info != nil && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}
