package mask

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestStringMasksPlainSecrets(t *testing.T) {
	var s Set
	s.Add("hunter22", "x", "")
	got := s.String("password=hunter22; again hunter22")
	if got != "password=********; again ********" {
		t.Errorf("got %q", got)
	}
	if vals := s.Values(); len(vals) != 1 || vals[0] != "hunter22" {
		t.Errorf("one-character and empty values must not be kept: %q", vals)
	}
}

func TestStringReplacesTheLongestSecretWhole(t *testing.T) {
	var s Set
	s.Add("abc", "abcdef")
	if got := s.String("v=abcdef"); got != "v=********" {
		t.Errorf("got %q", got)
	}
}

// Secrets travel through JSON encoders (diff --output json, render, status
// --output json) and %q (slog, errors); their escaped spellings must be
// masked too.
func TestStringMasksEncodedSecrets(t *testing.T) {
	secrets := []string{
		`pa"ss\word`,
		"<tag>&amp",
		"line1\nline2",
		"tab\there",
		"pässwört",
		"\u2028sep",
	}
	var s Set
	s.Add(secrets...)
	for _, secret := range secrets {
		outputs := map[string]string{}
		b, _ := json.Marshal(map[string]string{"v": secret})
		outputs["json"] = string(b)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(map[string]string{"v": secret})
		outputs["json-no-html-escape"] = buf.String()
		outputs["%q"] = fmt.Sprintf("%q", secret)
		outputs["%+q"] = fmt.Sprintf("%+q", secret)
		buf.Reset()
		slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "v", secret)
		outputs["slog-text"] = buf.String()
		buf.Reset()
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", secret)
		outputs["slog-json"] = buf.String()
		for name, out := range outputs {
			masked := s.String(out)
			if !strings.Contains(masked, Replacement) {
				t.Errorf("%s of %q not masked: %s", name, secret, masked)
			}
			for _, part := range []string{"ss", "amp", "line2", "here", "wört", "sep"} {
				if strings.Contains(secret, part) && strings.Contains(masked, part) {
					t.Errorf("%s of %q leaks %q: %s", name, secret, part, masked)
				}
			}
		}
	}
}

func TestWriterMasksEachWrite(t *testing.T) {
	var s Set
	s.Add("t0ps3cret")
	var buf bytes.Buffer
	w := s.Writer(&buf)
	n, err := fmt.Fprintln(w, "token t0ps3cret")
	if err != nil || n != len("token t0ps3cret\n") {
		t.Fatalf("write: n=%d err=%v", n, err)
	}
	if buf.String() != "token ********\n" {
		t.Errorf("got %q", buf.String())
	}
}

func TestNilSetPassesTextThrough(t *testing.T) {
	var s *Set
	if got := s.String("x"); got != "x" {
		t.Errorf("got %q", got)
	}
	if s.Values() != nil {
		t.Error("nil set has values")
	}
}
