package main

import (
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/doppio-ecs/doppio/internal/third_party/kong"
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

// TestReadmeGlobalFlagsAreTrue checks the README's global flag table against
// the parser: every flag it names exists, its env column lists environment
// variables the flag reads (its DOPPIO_ one included), a "(default X)" is the
// flag's default, and no global flag is left out of the table.
func TestReadmeGlobalFlagsAreTrue(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(b)
	start := strings.Index(section, "\n## Global flags\n")
	if start < 0 {
		t.Fatal("README.md has no Global flags section")
	}
	section = section[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	k, err := newParser(&CLI{}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]*kong.Flag{}
	for _, f := range k.Model.Flags {
		flags[f.Name] = f
	}
	documented := map[string]bool{}
	flagName := regexp.MustCompile("`--([a-z0-9-]+)")
	envName := regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")
	deflt := regexp.MustCompile(`\(default ([0-9A-Za-z.]+)\)`)
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.ReplaceAll(line, `\|`, "/"), "|") // `text\|json` is one cell
		if len(cells) < 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`--") {
			continue
		}
		rows++
		env := map[string]bool{}
		for _, m := range envName.FindAllStringSubmatch(cells[2], -1) {
			env[m[1]] = true
		}
		for _, m := range flagName.FindAllStringSubmatch(cells[1], -1) {
			name := m[1]
			f, ok := flags[name]
			if !ok {
				if base, neg := strings.CutPrefix(name, "no-"); neg && flags[base] != nil && flags[base].Tag.Negatable != "" {
					documented[base] = true
					continue
				}
				t.Errorf("README.md: --%s is in the global flag table but doppio has no such flag", name)
				continue
			}
			documented[name] = true
			for e := range env {
				if !slices.Contains(f.Envs, e) {
					t.Errorf("README.md: --%s: env %s is not read (the flag reads %v)", name, e, f.Envs)
				}
			}
			for _, e := range f.Envs {
				if strings.HasPrefix(e, "DOPPIO_") && !env[e] {
					t.Errorf("README.md: --%s reads %s, which its env column leaves out", name, e)
				}
			}
			if m := deflt.FindStringSubmatch(cells[3]); m != nil && f.Default != m[1] {
				t.Errorf("README.md: --%s: documented default %s, the flag's is %q", name, m[1], f.Default)
			}
		}
	}
	if rows < 10 {
		t.Fatalf("found %d rows in README.md's global flag table", rows)
	}
	for name, f := range flags {
		if !documented[name] && !f.Hidden && name != "help" && name != "version" {
			t.Errorf("README.md: global flag --%s is missing from the global flag table", name)
		}
	}
}
