package render

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadConfig: any config text gives a config or an error, never a panic,
// and errors are one line.
func FuzzLoadConfig(f *testing.F) {
	for _, name := range []string{"ecspresso.yml", "ecspresso.yaml", "ecspresso.json", "ecspresso.jsonnet"} {
		b, err := os.ReadFile(filepath.Join("testdata", "formats", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(len(name)), b)
	}
	f.Add(uint8(0), []byte("cluster: [a\n"))
	f.Add(uint8(2), []byte(`{"timeout": 1e400}`))
	dir := f.TempDir()
	exts := []string{".yml", ".yaml", ".json", ".jsonnet"}
	f.Fuzz(func(t *testing.T, ext uint8, content []byte) {
		if len(content) > 4096 {
			t.Skip("large inputs only slow Jsonnet down")
		}
		p := filepath.Join(dir, "config"+exts[int(ext)%len(exts)])
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(context.Background(), p, nil, nil)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
			return
		}
		if cfg.Cluster == "" {
			t.Error("cluster default not applied")
		}
	})
}

// FuzzDecodeTaskDefinition: any JSON gives a task definition or a one-line
// error, never a panic.
func FuzzDecodeTaskDefinition(f *testing.F) {
	f.Add([]byte(`{"family":"web","containerDefinitions":[{"name":"a","image":"nginx","memory":512,"portMappings":[{"containerPort":80}]}]}`))
	f.Add([]byte(`{"taskDefinition":{"family":"web","revision":3,"registeredAt":"2024-01-01T00:00:00Z"},"tags":[{"key":"a","value":"b"}]}`))
	f.Add([]byte(`{"containerDefinitions":[{"enviroment":[]}],"memory":512}`))
	f.Add([]byte(`{"volumes":[{"efsVolumeConfiguration":{"fileSystemId":"fs-1","transitEncryptionPort":2049}}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, src []byte) {
		td, err := DecodeTaskDefinition("td.json", src)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
			return
		}
		if td == nil {
			t.Error("nil task definition without error")
		}
	})
}
