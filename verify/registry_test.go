package verify

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRegistry is go-containerregistry's in-memory registry on 127.0.0.1,
// which the library reaches over plain http.
type testRegistry struct {
	host     string
	requests atomic.Int64
	status   atomic.Int64 // when non-zero, every request answers this status
}

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	tr := &testRegistry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.requests.Add(1)
		if st := tr.status.Load(); st != 0 {
			w.WriteHeader(int(st))
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	tr.host = strings.TrimPrefix(srv.URL, "http://")
	return tr
}

func platformImage(t *testing.T, os, arch string) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = os, arch
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func (tr *testRegistry) push(t *testing.T, ref string, plats ...string) string {
	t.Helper()
	r, err := name.ParseReference(tr.host + "/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(plats) == 1 {
		os, arch, _ := strings.Cut(plats[0], "/")
		if err := remote.Write(r, platformImage(t, os, arch)); err != nil {
			t.Fatal(err)
		}
		return r.String()
	}
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range plats {
		os, arch, _ := strings.Cut(p, "/")
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        platformImage(t, os, arch),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: os, Architecture: arch}},
		})
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	return r.String()
}

func TestCheckImageRegistry(t *testing.T) {
	tr := newTestRegistry(t)
	single := tr.push(t, "app:v1", "linux/amd64")
	multi := tr.push(t, "multi:v1", "linux/amd64", "linux/arm64", "unknown/unknown")
	armOnly := tr.push(t, "arm:v1", "linux/arm64")
	latest := tr.push(t, "app:latest", "linux/amd64")
	d, err := remote.Head(mustRef(t, single))
	if err != nil {
		t.Fatal(err)
	}
	byDigest := tr.host + "/app@" + d.Digest.String()

	amd, arm := platform{"linux", "amd64"}, platform{"linux", "arm64"}
	cases := []struct {
		name      string
		img       string
		target    platform
		hasTarget bool
		status    Status
		reason    string
	}{
		{"tag exists, platform unknown", single, platform{}, false, OK, "exists"},
		{"tag exists for amd64", single, amd, true, OK, "exists for linux/amd64"},
		{"single arch mismatch", armOnly, amd, true, NG, "is built for linux/arm64, but the task runs on linux/amd64"},
		{"index has arm64", multi, arm, true, OK, "exists for linux/arm64"},
		{"index lacks windows", multi, platform{"windows", "amd64"}, true, NG, "has no windows/amd64 variant (it provides linux/amd64, linux/arm64)"},
		{"digest", byDigest, amd, true, OK, "exists for linux/amd64"},
		{"missing tag", tr.host + "/app:v9", amd, true, NG, "not found"},
		{"missing repository", tr.host + "/nope:v1", platform{}, false, NG, "not found"},
		{"latest warns", latest, amd, true, WARN, "mutable tag"},
		{"no tag warns", tr.host + "/app", platform{}, false, WARN, "mutable tag"},
	}
	r := &runner{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Check{Name: tc.img}
			r.checkImage(context.Background(), c, tc.img, tc.target, tc.hasTarget, false)
			if c.Status != tc.status || !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("got [%s] %s; want [%s] containing %q", c.Status, c.Reason, tc.status, tc.reason)
			}
		})
	}
}

func TestCheckImageRegistryErrors(t *testing.T) {
	r := &runner{}
	for _, tc := range []struct {
		status  int
		private bool
		want    Status
		reason  string
	}{
		{http.StatusTooManyRequests, false, SKIP, "rate limit"},
		{http.StatusUnauthorized, false, WARN, "cannot be read anonymously"},
		{http.StatusUnauthorized, true, SKIP, "repositoryCredentials"},
	} {
		tr := newTestRegistry(t)
		tr.status.Store(int64(tc.status))
		c := &Check{}
		r.checkImage(context.Background(), c, tr.host+"/app:v1", platform{}, false, tc.private)
		if c.Status != tc.want || !strings.Contains(c.Reason, tc.reason) {
			t.Errorf("HTTP %d: got [%s] %s; want [%s] containing %q", tc.status, c.Status, c.Reason, tc.want, tc.reason)
		}
		if n := tr.requests.Load(); n > 2 {
			t.Errorf("HTTP %d: %d requests; a rate limit or denial must not be retried", tc.status, n)
		}
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
