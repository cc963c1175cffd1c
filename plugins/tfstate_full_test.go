//go:build !no_gcs && !no_azurerm && !no_tfe

package plugins

import (
	"context"
	"strings"
	"testing"
)

// The full build (no build tags: go install, make build, doppio-full)
// hands gs://, azurerm:// and remote:// states to their backends. Without
// credentials each backend fails before reaching the network, with its own
// error, never the default build's "not available".
func TestTFStateFullBuildHasEveryBackend(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", home+"/absent.json")
	t.Setenv("TFE_TOKEN", "")
	t.Setenv("TF_TOKEN_app_terraform_io", "")
	for url, want := range map[string]string{
		"gs://bucket/terraform.tfstate":        "absent.json",
		"azurerm://rg/account/container/key":   "azure",
		"remote://app.terraform.io/org/ws-app": "token",
	} {
		_, err := Load(context.Background(), []Spec{{Name: "tfstate", Config: map[string]any{"url": url}}}, Env{BaseDir: "testdata"})
		if err == nil {
			t.Errorf("%s: no error without credentials", url)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "not available") || strings.Contains(msg, "doppio-full") || !strings.Contains(strings.ToLower(msg), want) {
			t.Errorf("%s: got %v, want the backend's own error (mentioning %q)", url, err, want)
		}
	}
}
