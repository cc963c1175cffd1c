package awsemu

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func seedImages(t *testing.T, e *Emulator) (multiDigest, singleDigest string) {
	t.Helper()
	var err error
	multiDigest, err = e.PutImage(ImageSpec{Repository: "app", Tags: []string{"v1", "latest"}, Platforms: []string{"linux/amd64", "linux/arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	singleDigest, err = e.PutImage(ImageSpec{Repository: "team/worker", Tags: []string{"v2"}, OCI: true})
	if err != nil {
		t.Fatal(err)
	}
	return multiDigest, singleDigest
}

func TestECRAPIThroughSDK(t *testing.T) {
	e := startEmulator(t, Options{})
	multi, single := seedImages(t, e)
	client := ecr.NewFromConfig(sdkConfig(t, e, 1))
	ctx := context.Background()

	tok, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	ad := tok.AuthorizationData[0]
	if aws.ToString(ad.ProxyEndpoint) != e.URL() || ad.ExpiresAt == nil {
		t.Fatalf("auth data = %+v", ad)
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(ad.AuthorizationToken))
	if user, pass := e.RegistryCredentials(); string(raw) != user+":"+pass {
		t.Fatalf("token decodes to %q", raw)
	}

	repos, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(repos.Repositories) != 2 || aws.ToString(repos.Repositories[0].RepositoryUri) != e.RegistryHost()+"/app" {
		t.Fatalf("repositories = %+v", repos.Repositories)
	}
	_, err = client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"nope"}})
	var rnf *ecrtypes.RepositoryNotFoundException
	if !errors.As(err, &rnf) || !strings.Contains(err.Error(), "The repository with name 'nope' does not exist in the registry with id '123456789012'") {
		t.Fatalf("want RepositoryNotFoundException, got %v", err)
	}

	imgs, err := client.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}})
	if err != nil {
		t.Fatal(err)
	}
	d := imgs.ImageDetails[0]
	if aws.ToString(d.ImageDigest) != multi || aws.ToString(d.ImageManifestMediaType) != mediaTypeDockerManifestList || len(d.ImageTags) != 2 {
		t.Fatalf("image detail = %+v", d)
	}
	_, err = client.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v9")}}})
	var inf *ecrtypes.ImageNotFoundException
	if !errors.As(err, &inf) || !strings.Contains(err.Error(), "imageTag:'v9'") {
		t.Fatalf("want ImageNotFoundException, got %v", err)
	}
	_, err = client.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("nope")})
	if !errors.As(err, &rnf) {
		t.Fatalf("want RepositoryNotFoundException, got %v", err)
	}
	// The two per-platform manifests are untagged images of their own, as in ECR.
	all, err := client.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), Filter: &ecrtypes.DescribeImagesFilter{TagStatus: ecrtypes.TagStatusUntagged}})
	if err != nil || len(all.ImageDetails) != 2 {
		t.Fatalf("untagged images = %v, %v", all, err)
	}
	// Pagination.
	p := ecr.NewDescribeImagesPaginator(client, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), MaxResults: aws.Int32(1)})
	n := 0
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(pg.ImageDetails)
	}
	if n != 3 {
		t.Fatalf("paginated %d images, want 3", n)
	}

	got, err := client.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("team/worker"), ImageIds: []ecrtypes.ImageIdentifier{
		{ImageTag: aws.String("v2")}, {ImageTag: aws.String("gone")}, {ImageDigest: aws.String(single), ImageTag: aws.String("other")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Images) != 1 || aws.ToString(got.Images[0].ImageId.ImageDigest) != single || aws.ToString(got.Images[0].ImageManifestMediaType) != mediaTypeOCIManifest {
		t.Fatalf("images = %+v", got.Images)
	}
	if sha256Digest([]byte(aws.ToString(got.Images[0].ImageManifest))) != single {
		t.Fatal("manifest bytes do not hash to the digest")
	}
	if len(got.Failures) != 2 || got.Failures[0].FailureCode != ecrtypes.ImageFailureCodeImageNotFound || got.Failures[1].FailureCode != ecrtypes.ImageFailureCodeImageTagDoesNotMatchDigest {
		t.Fatalf("failures = %+v", got.Failures)
	}
}

func TestImageExists(t *testing.T) {
	e := startEmulator(t, Options{})
	multi, _ := seedImages(t, e)
	host := e.RegistryHost()
	for image, want := range map[string][2]bool{
		host + "/app:v1":               {true, true},
		host + "/app":                  {true, true}, // latest
		host + "/app@" + multi:         {true, true},
		host + "/app:v9":               {false, true},
		host + "/missing:v1":           {false, true},
		host + "/team/worker:v2":       {true, true},
		"nginx:latest":                 {false, false},
		"public.ecr.aws/nginx/nginx:1": {false, false},
		"999999999999.dkr.ecr.us-east-1.amazonaws.com/app:v1": {false, false},
		strings.TrimPrefix(e.URL(), "http://") + "/app:v1":    {true, true},
	} {
		exists, known := e.imageExists(image)
		if exists != want[0] || known != want[1] {
			t.Errorf("imageExists(%q) = %v, %v; want %v, %v", image, exists, known, want[0], want[1])
		}
	}
	plats, _ := e.imagePlatforms(host + "/app:v1")
	if strings.Join(plats, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("platforms = %v", plats)
	}
	if err := e.DeleteImage("app", "v1"); err != nil {
		t.Fatal(err)
	}
	if exists, _ := e.imageExists(host + "/app:v1"); exists {
		t.Error("v1 still exists after DeleteImage")
	}
}

func TestRegistryV2WithGoContainerRegistry(t *testing.T) {
	e := startEmulator(t, Options{})
	multi, single := seedImages(t, e)
	host := strings.TrimPrefix(e.URL(), "http://")
	user, pass := e.RegistryCredentials()
	auth := remote.WithAuth(&authn.Basic{Username: user, Password: pass})

	ref, err := name.ParseReference(host + "/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref, auth)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest.String() != multi || string(desc.MediaType) != mediaTypeDockerManifestList {
		t.Fatalf("descriptor = %s %s", desc.Digest, desc.MediaType)
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 || im.Manifests[1].Platform.Architecture != "arm64" {
		t.Fatalf("index = %+v", im.Manifests)
	}
	// Resolve the arm64 image and read its config blob.
	img, err := remote.Image(ref, auth, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "arm64" || cf.OS != "linux" {
		t.Fatalf("config = %s/%s", cf.OS, cf.Architecture)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); err != nil {
		t.Fatal(err)
	}
	rc.Close()

	// HEAD by digest for the OCI single-platform image.
	wref, _ := name.ParseReference(host + "/team/worker@" + single)
	hd, err := remote.Head(wref, auth)
	if err != nil {
		t.Fatal(err)
	}
	if hd.Digest.String() != single || string(hd.MediaType) != mediaTypeOCIManifest {
		t.Fatalf("head = %+v", hd)
	}

	// Unknown tag: MANIFEST_UNKNOWN.
	mref, _ := name.ParseReference(host + "/app:v9")
	_, err = remote.Head(mref, auth)
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != http.StatusNotFound {
		t.Fatalf("want 404, got %v", err)
	}
	_, err = remote.Get(mref, auth)
	if !errors.As(err, &terr) || len(terr.Errors) == 0 || terr.Errors[0].Code != transport.ManifestUnknownErrorCode {
		t.Fatalf("want MANIFEST_UNKNOWN, got %v", err)
	}
	// Without credentials the registry answers 401.
	if _, err := remote.Get(ref); !errors.As(err, &terr) || terr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("want 401 without auth, got %v", err)
	}
}

func TestRegistryV2RawHTTP(t *testing.T) {
	e := startEmulator(t, Options{})
	multi, _ := seedImages(t, e)
	resp, err := http.Get(e.URL() + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic realm=") {
		t.Fatalf("GET /v2/ = %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	user, pass := e.RegistryCredentials()
	req, _ := http.NewRequest(http.MethodGet, e.URL()+"/v2/app/manifests/latest", nil)
	req.SetBasicAuth(user, pass)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Docker-Content-Digest") != multi || sha256Digest(body) != multi || resp.Header.Get("Content-Type") != mediaTypeDockerManifestList {
		t.Fatalf("GET manifest = %d %v", resp.StatusCode, resp.Header)
	}
	req, _ = http.NewRequest(http.MethodGet, e.URL()+"/v2/app/manifests/nope", nil)
	req.SetBasicAuth(user, pass)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var errBody struct {
		Errors []struct{ Code, Message string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&errBody)
	resp.Body.Close()
	if resp.StatusCode != 404 || len(errBody.Errors) != 1 || errBody.Errors[0].Code != "MANIFEST_UNKNOWN" {
		t.Fatalf("unknown manifest = %d %+v", resp.StatusCode, errBody)
	}
	if e.Log.Count("Registry.GetManifest") != 2 {
		t.Fatalf("registry calls not logged: %+v", e.Log.All())
	}
}
