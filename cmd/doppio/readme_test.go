package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeFlagTablesListEachFlagOnce guards the README's flag tables: a
// flag documented twice (as --filter-command once was, with two different
// descriptions) leaves the reader to guess which row is true.
func TestReadmeFlagTablesListEachFlagOnce(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	flagRow := regexp.MustCompile("^\\| `(--[a-z0-9-]+)")
	seen := map[string]int{} // flag -> line of its row, within one table
	for i, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "|") {
			seen = map[string]int{} // a table ends at its first non-row line
			continue
		}
		m := flagRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if first, dup := seen[m[1]]; dup {
			t.Errorf("README.md:%d: %s is already in this table at line %d", i+1, m[1], first)
		}
		seen[m[1]] = i + 1
	}
}
