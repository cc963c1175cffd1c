package plugins

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/doppio-ecs/doppio/plugins/tfstatetest"
)

const benchStateSize = 20 << 20

// benchAddresses are 300 lookups shaped like a 100-container task
// definition: per container an image URL, a log group name and a port
// inside a list, spread over the state and repeated, as real definitions do.
func benchAddresses(resources int) []string {
	var addrs []string
	for c := range 100 {
		i := (c * 37) % (resources - 4)
		if i%4 == 3 {
			i++ // keep to single-instance resources
		}
		addrs = append(addrs,
			tfstatetest.Addr(i, "url"),
			tfstatetest.Addr(i, "ingress[2].from_port"),
			tfstatetest.Addr((c%8)*4, "tags.tag-1"), // shared by many containers
		)
	}
	return addrs
}

// BenchmarkTFStateLookups measures one render's plugin work: read a 20 MB
// state and resolve 300 addresses through the template function.
func BenchmarkTFStateLookups(b *testing.B) {
	dir := b.TempDir()
	n, err := tfstatetest.Write(filepath.Join(dir, "terraform.tfstate"), benchStateSize)
	if err != nil {
		b.Fatal(err)
	}
	addrs := benchAddresses(n)
	ctx := context.Background()
	specs := []Spec{{Name: "tfstate", Config: map[string]any{"path": "terraform.tfstate"}}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := Load(ctx, specs, Env{BaseDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		tf := s.TemplateFuncs(ctx)["tfstate"].(func(...any) (any, error))
		for _, a := range addrs {
			if _, err := tf(a); err != nil {
				b.Fatal(err)
			}
		}
	}
}
