package awsemu

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Media types served by the emulated registry, as Docker and OCI define them.
const (
	mediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
	mediaTypeDockerLayer        = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mediaTypeOCIManifest        = "application/vnd.oci.image.manifest.v1+json"
	mediaTypeOCIIndex           = "application/vnd.oci.image.index.v1+json"
	mediaTypeOCIConfig          = "application/vnd.oci.image.config.v1+json"
	mediaTypeOCILayer           = "application/vnd.oci.image.layer.v1.tar+gzip"
)

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

type descriptor struct {
	MediaType string    `json:"mediaType"`
	Size      int64     `json:"size"`
	Digest    string    `json:"digest"`
	Platform  *platform `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

func (p platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// parsePlatform reads "linux/amd64" or "linux/arm64/v8".
func parsePlatform(s string) (platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return platform{}, fmt.Errorf("platform %q: want os/architecture[/variant], e.g. linux/amd64", s)
	}
	p := platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

type imageManifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        *descriptor  `json:"config,omitempty"`
	Layers        []descriptor `json:"layers,omitempty"`
	Manifests     []descriptor `json:"manifests,omitempty"`
}

type imageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
	Config       struct {
		Env    []string          `json:"Env,omitempty"`
		Cmd    []string          `json:"Cmd,omitempty"`
		Labels map[string]string `json:"Labels,omitempty"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// builtManifest is one manifest (or index) with the blobs it references.
type builtManifest struct {
	mediaType string
	body      []byte
	digest    string
	size      int64 // image size as ECR reports it: config + layers
	blobs     map[string]blob
	children  []*builtManifest
	platform  *platform
}

type blob struct {
	mediaType string
	body      []byte
}

// buildImageManifest generates a small but valid single-platform image whose
// layer holds a file naming the image, so every repository/tag/platform has
// its own digests.
func buildImageManifest(identity string, p platform, labels map[string]string, oci bool) (*builtManifest, error) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	content := []byte(identity + " " + p.String() + "\n")
	if err := tw.WriteHeader(&tar.Header{Name: "etc/awsemu-image", Mode: 0o644, Size: int64(len(content))}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(content); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var gzBuf bytes.Buffer
	gz := gzip.NewWriter(&gzBuf) // zero ModTime: the bytes are the same on every run
	if _, err := gz.Write(tarBuf.Bytes()); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	layer := gzBuf.Bytes()

	var cfg imageConfig
	cfg.Architecture, cfg.OS, cfg.Variant = p.Architecture, p.OS, p.Variant
	cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cfg.Config.Cmd = []string{"/bin/sh"}
	cfg.Config.Labels = labels
	cfg.RootFS.Type = "layers"
	cfg.RootFS.DiffIDs = []string{sha256Digest(tarBuf.Bytes())}
	cfgBody, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}

	mt, cfgMT, layerMT := mediaTypeDockerManifest, mediaTypeDockerConfig, mediaTypeDockerLayer
	if oci {
		mt, cfgMT, layerMT = mediaTypeOCIManifest, mediaTypeOCIConfig, mediaTypeOCILayer
	}
	m := imageManifest{
		SchemaVersion: 2,
		MediaType:     mt,
		Config:        &descriptor{MediaType: cfgMT, Size: int64(len(cfgBody)), Digest: sha256Digest(cfgBody)},
		Layers:        []descriptor{{MediaType: layerMT, Size: int64(len(layer)), Digest: sha256Digest(layer)}},
	}
	body, err := json.MarshalIndent(m, "", "   ")
	if err != nil {
		return nil, err
	}
	pc := p
	return &builtManifest{
		mediaType: mt,
		body:      body,
		digest:    sha256Digest(body),
		size:      int64(len(cfgBody) + len(layer)),
		blobs: map[string]blob{
			m.Config.Digest:    {mediaType: cfgMT, body: cfgBody},
			m.Layers[0].Digest: {mediaType: layerMT, body: layer},
		},
		platform: &pc,
	}, nil
}

// buildImageIndex wraps one manifest per platform in a manifest list (Docker)
// or an image index (OCI).
func buildImageIndex(identity string, platforms []platform, labels map[string]string, oci bool) (*builtManifest, error) {
	mt := mediaTypeDockerManifestList
	if oci {
		mt = mediaTypeOCIIndex
	}
	idx := &builtManifest{mediaType: mt, blobs: map[string]blob{}}
	list := imageManifest{SchemaVersion: 2, MediaType: mt}
	for _, p := range platforms {
		child, err := buildImageManifest(identity, p, labels, oci)
		if err != nil {
			return nil, err
		}
		pc := p
		list.Manifests = append(list.Manifests, descriptor{MediaType: child.mediaType, Size: int64(len(child.body)), Digest: child.digest, Platform: &pc})
		idx.children = append(idx.children, child)
		// ECR reports the largest manifest's size for a list.
		idx.size = max(idx.size, child.size)
	}
	body, err := json.MarshalIndent(list, "", "   ")
	if err != nil {
		return nil, err
	}
	idx.body, idx.digest = body, sha256Digest(body)
	return idx, nil
}

// registryHandler serves the Docker Registry HTTP API v2 for the emulated ECR
// registry, authenticated with the Basic credentials from
// GetAuthorizationToken, as ECR does.
type registryHandler struct {
	e *Emulator
}

type registryError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

func writeRegistryError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	body, _ := json.Marshal(map[string][]registryError{"errors": {{Code: code, Message: msg}}})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func (h registryHandler) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return false
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	return ok && user == "AWS" && h.e.services.ecr.validPassword(pass)
}

func (h registryHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Basic realm="https://%s/",service="ecr.amazonaws.com"`, h.e.registryHost()))
		writeRegistryError(w, r, http.StatusUnauthorized, "DENIED", "Not Authorized")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v2")
	if path == "" || path == "/" {
		w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte("{}"))
		}
		return
	}
	path = strings.TrimPrefix(path, "/")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeRegistryError(w, r, http.StatusMethodNotAllowed, "UNSUPPORTED", "The operation is unsupported by the emulated registry.")
		return
	}
	ecr := h.e.services.ecr
	switch {
	case strings.HasSuffix(path, "/tags/list"):
		repo := strings.TrimSuffix(path, "/tags/list")
		tags, ok := ecr.tagList(repo)
		if !ok {
			writeRegistryError(w, r, http.StatusNotFound, "NAME_UNKNOWN", fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", repo, h.e.AccountID()))
			return
		}
		body, _ := json.Marshal(map[string]any{"name": repo, "tags": tags})
		writeRegistryContent(w, r, "application/json; charset=utf-8", "", body)
	case strings.Contains(path, "/manifests/"):
		i := strings.LastIndex(path, "/manifests/")
		repo, ref := path[:i], path[i+len("/manifests/"):]
		m, repoOK := ecr.lookupManifest(repo, ref)
		switch {
		case !repoOK:
			writeRegistryError(w, r, http.StatusNotFound, "NAME_UNKNOWN", fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", repo, h.e.AccountID()))
		case m == nil:
			writeRegistryError(w, r, http.StatusNotFound, "MANIFEST_UNKNOWN", "Requested image not found")
		default:
			writeRegistryContent(w, r, m.mediaType, m.digest, m.body)
		}
	case strings.Contains(path, "/blobs/"):
		i := strings.LastIndex(path, "/blobs/")
		repo, digest := path[:i], path[i+len("/blobs/"):]
		b, repoOK := ecr.lookupBlob(repo, digest)
		switch {
		case !repoOK:
			writeRegistryError(w, r, http.StatusNotFound, "NAME_UNKNOWN", fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", repo, h.e.AccountID()))
		case b == nil:
			writeRegistryError(w, r, http.StatusNotFound, "BLOB_UNKNOWN", fmt.Sprintf("The blob %s does not exist in the repository", digest))
		default:
			writeRegistryContent(w, r, "application/octet-stream", digest, b.body)
		}
	default:
		writeRegistryError(w, r, http.StatusNotFound, "UNSUPPORTED", "The operation is unsupported by the emulated registry.")
	}
}

func writeRegistryContent(w http.ResponseWriter, r *http.Request, contentType, digest string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	if digest != "" {
		w.Header().Set("Docker-Content-Digest", digest)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func sortedUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
