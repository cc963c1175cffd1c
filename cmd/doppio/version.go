package main

import (
	"fmt"
	"runtime/debug"

	"github.com/doppio-ecs/doppio/render"
)

// VersionCmd prints the version; it needs no config.
type VersionCmd struct{}

func (c *VersionCmd) Run(g *Globals) error {
	_, err := fmt.Fprintln(g.Stdout, versionLine(g.BinaryVersion))
	return err
}

// versionLine is what `doppio version` and `doppio --version` print.
func versionLine(v string) string {
	return fmt.Sprintf("doppio %s (reads ecspresso v%s configs)", v, render.EcspressoCompatVersion)
}

// runningVersion is the version of this binary (see binaryVersion).
func runningVersion() string {
	info, ok := debug.ReadBuildInfo()
	return binaryVersion(version, info, ok)
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
