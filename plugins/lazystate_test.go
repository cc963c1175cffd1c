package plugins

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/fujiwara/tfstate-lookup/tfstate"

	"github.com/doppio-ecs/doppio/plugins/tfstatetest"
)

// TestLazyStateMatchesTFStateLookup checks that the lazy index answers every
// address exactly as tfstate-lookup does with the whole state decoded.
func TestLazyStateMatchesTFStateLookup(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.tfstate")
	if _, err := tfstatetest.Write(big, 200<<10); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"testdata/terraform.tfstate", big} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		full, err := tfstate.Read(ctx, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		lazy, err := parseLazy(ctx, data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		keys, _ := full.List()
		addrs := []string{"", "output", "output.", "output.nope", "aws_eip", "aws_eip.nat.", "nope.nope",
			`aws_subnet.private`, `aws_subnet.private["a"]`, `aws_subnet.private.a`, `aws_eip.nat`, `aws_eip.nat[1].public_ip`,
			`aws_eip.nat_extra.id`, `data.terraform_remote_state.net.outputs.vpc_id`, `data.terraform_remote_state.net.outputs.azs[1]`,
			`aws_lb.escaped"name.dns_name`, tfstatetest.Addr(3, "url"), tfstatetest.Addr(3, "")}
		for _, k := range keys {
			addrs = append(addrs, k, k+".id", k+".name", k+".nope", k+".tags.tag-1", k+".ingress[1].to_port", k+"[0]", k+"x.id")
		}
		for _, a := range addrs {
			want, wantErr := full.Lookup(a)
			got, gotErr := lazy.Lookup(a)
			if (wantErr != nil) != (gotErr != nil) {
				t.Errorf("%s: %q: error %v, tfstate-lookup says %v", file, a, gotErr, wantErr)
				continue
			}
			if wantErr == nil && !reflect.DeepEqual(got.Value, want.Value) {
				t.Errorf("%s: %q = %#v, tfstate-lookup says %#v", file, a, got.Value, want.Value)
			}
		}
	}
}

func TestParseLazyFallsBack(t *testing.T) {
	for name, doc := range map[string]string{
		"backend":       `{"version":3,"backend":{"type":"s3","config":{"bucket":"b"}}}`,
		"version 3":     `{"version":3,"resources":[]}`,
		"trailing":      `{"version":4} x`,
		"broken":        `{"version":4,"resources":[{"mode":"managed",]}`,
		"not an object": `[]`,
		"empty":         ``,
	} {
		if _, err := parseLazy(context.Background(), []byte(doc)); err == nil {
			t.Errorf("%s: parsed lazily", name)
		}
	}
	if _, err := parseLazy(context.Background(), []byte(`{"version":4,"resources":null,"outputs":null,"backend":null}`)); err != nil {
		t.Errorf("nulls: %v", err)
	}
}

func TestLazyStateConcurrentLookups(t *testing.T) {
	data, err := os.ReadFile("testdata/terraform.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	lazy, err := parseLazy(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	st := &state{where: "test", tf: lazy, found: map[string]any{}}
	addrs := []string{"output.vpc_id", `aws_subnet.private["a"].id`, "aws_ecr_repository.web.name", "aws_eip.nat[1].public_ip"}
	done := make(chan error)
	for g := range 8 {
		go func() {
			for i := range 50 {
				if _, err := st.lookup("tfstate", addrs[(g+i)%len(addrs)]); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// FuzzParseLazy: whatever the bytes, indexing must not panic, and a state it
// accepts must answer lookups like tfstate-lookup does (or fail cleanly).
func FuzzParseLazy(f *testing.F) {
	seed, err := os.ReadFile("testdata/terraform.tfstate")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"version":4,"resources":[{"mode":"managed","type":"a","name":"b","instances":[{"attributes":{"x":"\\\""}}]}]}`))
	f.Add([]byte(`{"version":4,"outputs":{"o":{"value":1,"type":"number"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ls, err := parseLazy(context.Background(), data)
		if err != nil {
			return
		}
		for _, a := range []string{"output.o", "a.b.x", "aws_subnet.private", "output.vpc_id"} {
			_, _ = ls.Lookup(a)
		}
		_, _ = ls.List()
	})
}
