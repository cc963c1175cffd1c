package ghactions

import (
	"os"
	"path/filepath"
	"testing"
)

// A message that starts with an existing file names it whole, however odd
// its name; other messages fall back to plain names.
func TestFindLocationOddFileNames(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, name := range []string{"b,d:1 é.json", "sub dir/x.yml"} {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string]Location{
		"b,d:1 é.json:1:83: containerDefinitions[0].memory: expected integer": {File: "b,d:1 é.json", Line: 1, Col: 83},
		"sub dir/x.yml:4: unknown field":                                      {File: "sub dir/x.yml", Line: 4},
		"read definition: td.json:3:5: bad":                                   {File: "td.json", Line: 3, Col: 5},
		"nope, gone.json:2: x":                                                {File: "gone.json", Line: 2},
	}
	for msg, want := range cases {
		got, ok := FindLocation(msg)
		if !ok || got != want {
			t.Errorf("FindLocation(%q) = %+v, %v; want %+v", msg, got, ok, want)
		}
	}
}
