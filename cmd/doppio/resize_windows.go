package main

import "os"

// resizeSignals: Windows has no resize signal; the once-a-second tick
// redraws at the new width.
func resizeSignals() (<-chan os.Signal, func()) { return nil, func() {} }
