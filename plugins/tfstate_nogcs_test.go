//go:build no_gcs

package plugins

import (
	"context"
	"strings"
	"testing"
)

// A build without the GCS backend, given a gs:// state, names the build
// that has it.
func TestTFStateGCSInADefaultBuild(t *testing.T) {
	_, err := Load(context.Background(), []Spec{{Name: "tfstate", Config: map[string]any{"url": "gs://bucket/terraform.tfstate"}}}, Env{BaseDir: "testdata"})
	if err == nil || !strings.Contains(err.Error(), "doppio-full") || !strings.Contains(err.Error(), "gs://bucket/terraform.tfstate") {
		t.Fatalf("got %v, want an error naming the full build", err)
	}
}
