package awsemu

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// ecrService is the private registry of the emulated account: repositories,
// images (with their manifests and blobs) and the registry password that
// GetAuthorizationToken hands out.
type ecrService struct {
	e        *Emulator
	mu       sync.Mutex
	repos    map[string]*ecrRepo
	password string
}

type ecrRepo struct {
	name    string
	created time.Time
	images  []*ecrImage // in push order
	blobs   map[string]blob
}

type ecrImage struct {
	m        *builtManifest
	tags     []string
	pushedAt time.Time
}

func newECRService(e *Emulator) *ecrService {
	s := &ecrService{e: e, repos: map[string]*ecrRepo{}, password: "ecr-" + e.newID(24)}
	e.registry = registryHandler{e: e}
	e.addJSONService("AmazonEC2ContainerRegistry_V20150921", "ECR", true, map[string]jsonOp{
		"GetAuthorizationToken": op(s.getAuthorizationToken),
		"DescribeRepositories":  op(s.describeRepositories),
		"CreateRepository":      op(s.createRepository),
		"DescribeImages":        op(s.describeImages),
		"ListImages":            op(s.listImages),
		"BatchGetImage":         op(s.batchGetImage),
		"PutImage":              op(s.putImage),
	})
	return s
}

func (s *ecrService) validPassword(p string) bool { return p == s.password }

// RegistryHost is the emulated ECR registry host,
// <account>.dkr.ecr.<region>.amazonaws.com: task definitions name images
// under it, and the emulator serves them at its own URL under /v2/.
func (e *Emulator) RegistryHost() string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", e.opts.AccountID, e.opts.Region)
}

func (e *Emulator) registryHost() string { return e.RegistryHost() }

// ImageURI is the image reference a task definition would use.
func (e *Emulator) ImageURI(repository, tag string) string {
	return e.RegistryHost() + "/" + repository + ":" + tag
}

// RegistryCredentials are the Basic-auth credentials the /v2/ endpoint
// accepts (what GetAuthorizationToken returns, decoded).
func (e *Emulator) RegistryCredentials() (user, password string) {
	return "AWS", e.services.ecr.password
}

var ecrRepoName = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

func validRepoName(name string) error {
	if len(name) < 2 || len(name) > 256 || !ecrRepoName.MatchString(name) {
		return apiErr("InvalidParameterException", "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''")
	}
	return nil
}

// CreateRepository creates an ECR repository (no-op when it exists).
func (e *Emulator) CreateRepository(name string) error {
	s := e.services.ecr
	if err := validRepoName(name); err != nil {
		return fmt.Errorf("create ECR repository %q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(name, true)
	return nil
}

func (s *ecrService) repoLocked(name string, create bool) *ecrRepo {
	r := s.repos[name]
	if r == nil && create {
		r = &ecrRepo{name: name, created: s.e.now(), blobs: map[string]blob{}}
		s.repos[name] = r
	}
	return r
}

// ImageSpec describes an image to seed into the emulated ECR.
type ImageSpec struct {
	Repository string `json:"repository" yaml:"repository"`
	// Tags point at the image; a tag already used in the repository moves.
	Tags []string `json:"tags,omitempty" yaml:"tags,omitempty"`
	// Platforms as os/arch[/variant]; default linux/amd64. More than one
	// makes a manifest list (Docker) or an image index (OCI).
	Platforms []string `json:"platforms,omitempty" yaml:"platforms,omitempty"`
	// OCI serves OCI media types instead of Docker's.
	OCI bool `json:"oci,omitempty" yaml:"oci,omitempty"`
	// Index makes a list/index even for a single platform.
	Index bool `json:"index,omitempty" yaml:"index,omitempty"`
	// Labels go into the image configuration.
	Labels map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
}

// PutImage stores a generated image (creating the repository when needed)
// and returns the digest of its top-level manifest.
func (e *Emulator) PutImage(spec ImageSpec) (string, error) {
	s := e.services.ecr
	if err := validRepoName(spec.Repository); err != nil {
		return "", fmt.Errorf("put image in %q: %w", spec.Repository, err)
	}
	platStrs := spec.Platforms
	if len(platStrs) == 0 {
		platStrs = []string{"linux/amd64"}
	}
	var plats []platform
	for _, ps := range platStrs {
		p, err := parsePlatform(ps)
		if err != nil {
			return "", fmt.Errorf("put image %s: %w", spec.Repository, err)
		}
		plats = append(plats, p)
	}
	identity := spec.Repository + ":" + strings.Join(spec.Tags, ",")
	var m *builtManifest
	var err error
	if len(plats) == 1 && !spec.Index {
		m, err = buildImageManifest(identity, plats[0], spec.Labels, spec.OCI)
	} else {
		m, err = buildImageIndex(identity, plats, spec.Labels, spec.OCI)
	}
	if err != nil {
		return "", fmt.Errorf("build image %s: %w", identity, err)
	}
	// Tasks due to pull before now must pull the tags where they were.
	e.syncECS()
	s.mu.Lock()
	defer s.mu.Unlock()
	repo := s.repoLocked(spec.Repository, true)
	now := s.e.now()
	for _, child := range m.children {
		repo.addImageLocked(child, nil, now)
	}
	repo.addImageLocked(m, spec.Tags, now)
	return m.digest, nil
}

func (r *ecrRepo) addImageLocked(m *builtManifest, tags []string, now time.Time) {
	for d, b := range m.blobs {
		r.blobs[d] = b
	}
	for _, tag := range tags {
		for _, img := range r.images {
			img.tags = removeString(img.tags, tag)
		}
	}
	for _, img := range r.images {
		if img.m.digest == m.digest {
			img.tags = sortedUnique(append(img.tags, tags...))
			img.pushedAt = now
			return
		}
	}
	r.images = append(r.images, &ecrImage{m: m, tags: sortedUnique(tags), pushedAt: now})
}

func removeString(list []string, s string) []string {
	out := list[:0:0]
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// DeleteImage removes an image by tag or digest, so tests can make a
// deployed image disappear.
func (e *Emulator) DeleteImage(repository, tagOrDigest string) error {
	s := e.services.ecr
	s.mu.Lock()
	defer s.mu.Unlock()
	repo := s.repos[repository]
	if repo == nil {
		return fmt.Errorf("delete image %s:%s: repository does not exist", repository, tagOrDigest)
	}
	img := repo.findLocked(tagOrDigest)
	if img == nil {
		return fmt.Errorf("delete image %s:%s: no such image", repository, tagOrDigest)
	}
	if strings.HasPrefix(tagOrDigest, "sha256:") {
		kept := repo.images[:0:0]
		for _, i := range repo.images {
			if i != img {
				kept = append(kept, i)
			}
		}
		repo.images = kept
		return nil
	}
	// Deleting by tag only untags, as BatchDeleteImage does; an untagged
	// image stays reachable by digest.
	img.tags = removeString(img.tags, tagOrDigest)
	return nil
}

func (r *ecrRepo) findLocked(ref string) *ecrImage {
	for _, img := range r.images {
		if strings.HasPrefix(ref, "sha256:") {
			if img.m.digest == ref {
				return img
			}
			continue
		}
		for _, t := range img.tags {
			if t == ref {
				return img
			}
		}
	}
	return nil
}

// imageRef is a parsed image reference.
type imageRef struct {
	host, repo, tag, digest string
}

func parseImageRef(image string) imageRef {
	var ref imageRef
	rest := image
	if i := strings.Index(rest, "/"); i > 0 {
		first := rest[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			ref.host, rest = first, rest[i+1:]
		}
	}
	if i := strings.Index(rest, "@"); i >= 0 {
		ref.digest, rest = rest[i+1:], rest[:i]
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		ref.tag, rest = rest[i+1:], rest[:i]
	}
	ref.repo = rest
	if ref.tag == "" && ref.digest == "" {
		ref.tag = "latest"
	}
	return ref
}

// emulatedHost tells whether host is the emulated ECR registry (by its AWS
// name or by the emulator's own address).
func (e *Emulator) emulatedHost(host string) bool {
	if host == e.RegistryHost() {
		return true
	}
	return e.url != "" && host == strings.TrimPrefix(e.url, "http://")
}

// lookupImage finds the image an ECS task would pull. known is false when the
// image lives outside the emulated registry (Docker Hub, another account...).
func (e *Emulator) lookupImage(image string) (img *ecrImage, known bool) {
	ref := parseImageRef(image)
	if !e.emulatedHost(ref.host) {
		return nil, false
	}
	s := e.services.ecr
	s.mu.Lock()
	defer s.mu.Unlock()
	repo := s.repos[ref.repo]
	if repo == nil {
		return nil, true
	}
	if ref.digest != "" {
		return repo.findLocked(ref.digest), true
	}
	return repo.findLocked(ref.tag), true
}

// imageExists tells whether image can be pulled from the emulated ECR.
// known is false for images outside the emulated registry host, which the
// emulator cannot judge (ECS treats them as pullable).
func (e *Emulator) imageExists(image string) (exists bool, known bool) {
	img, known := e.lookupImage(image)
	return img != nil, known
}

// imagePlatforms lists the os/arch[/variant] platforms of an image in the
// emulated ECR (nil when it does not exist), so a task whose
// runtimePlatform is missing from the image can fail to pull like on ECS.
func (e *Emulator) imagePlatforms(image string) (platforms []string, known bool) {
	img, known := e.lookupImage(image)
	if img == nil {
		return nil, known
	}
	if img.m.platform != nil {
		return []string{img.m.platform.String()}, true
	}
	for _, c := range img.m.children {
		platforms = append(platforms, c.platform.String())
	}
	return platforms, true
}

// lookupManifest serves /v2/<repo>/manifests/<ref>; repoOK is false for an
// unknown repository.
func (s *ecrService) lookupManifest(repo, ref string) (m *builtManifest, repoOK bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[repo]
	if r == nil {
		return nil, false
	}
	if img := r.findLocked(ref); img != nil {
		return img.m, true
	}
	return nil, true
}

func (s *ecrService) lookupBlob(repo, digest string) (*blob, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[repo]
	if r == nil {
		return nil, false
	}
	if b, ok := r.blobs[digest]; ok {
		return &b, true
	}
	return nil, true
}

func (s *ecrService) tagList(repo string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[repo]
	if r == nil {
		return nil, false
	}
	tags := []string{}
	for _, img := range r.images {
		tags = append(tags, img.tags...)
	}
	return sortedUnique(tags), true
}

// --- API operations ---

func (s *ecrService) checkRegistry(id *string) error {
	if id != nil && *id != s.e.AccountID() {
		return apiErr("InvalidParameterException", "Invalid parameter at 'registryId' failed to satisfy constraint: 'the registry %s is not accessible from this account'", *id)
	}
	return nil
}

// findRepoLocked resolves the registry and repository of an image request,
// with the errors ECR answers for either; s.mu must be held.
func (s *ecrService) findRepoLocked(registryID, repoName *string) (*ecrRepo, error) {
	if err := s.checkRegistry(registryID); err != nil {
		return nil, err
	}
	name := aws.ToString(repoName)
	r := s.repos[name]
	if r == nil {
		return nil, s.repoNotFound(name)
	}
	return r, nil
}

func (s *ecrService) repoNotFound(name string) *APIError {
	return apiErr("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, s.e.AccountID())
}

func (s *ecrService) getAuthorizationToken(in *ecr.GetAuthorizationTokenInput) (any, error) {
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + s.password))
	return &ecr.GetAuthorizationTokenOutput{AuthorizationData: []ecrtypes.AuthorizationData{{
		AuthorizationToken: aws.String(token),
		ExpiresAt:          aws.Time(s.e.now().Add(12 * time.Hour)),
		ProxyEndpoint:      aws.String(s.e.URL()),
	}}}, nil
}

func (s *ecrService) repository(r *ecrRepo) ecrtypes.Repository {
	return ecrtypes.Repository{
		RepositoryName:             aws.String(r.name),
		RepositoryArn:              aws.String(fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", s.e.Region(), s.e.AccountID(), r.name)),
		RegistryId:                 aws.String(s.e.AccountID()),
		RepositoryUri:              aws.String(s.e.RegistryHost() + "/" + r.name),
		CreatedAt:                  aws.Time(r.created),
		ImageTagMutability:         ecrtypes.ImageTagMutabilityMutable,
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: false},
		EncryptionConfiguration:    &ecrtypes.EncryptionConfiguration{EncryptionType: ecrtypes.EncryptionTypeAes256},
	}
}

func (s *ecrService) createRepository(in *ecr.CreateRepositoryInput) (any, error) {
	name := aws.ToString(in.RepositoryName)
	if err := validRepoName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repos[name] != nil {
		return nil, apiErr("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", name, s.e.AccountID())
	}
	return &ecr.CreateRepositoryOutput{Repository: new(s.repository(s.repoLocked(name, true)))}, nil
}

// pageOf slices items for maxResults/nextToken pagination; tokens are opaque
// offsets.
func pageOf[T any](items []T, maxResults *int32, nextToken *string, def int) ([]T, *string, error) {
	start := 0
	if nextToken != nil && *nextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(*nextToken)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
		if err != nil || err2 != nil || n < 0 || n > len(items) {
			return nil, nil, apiErr("InvalidParameterException", "Invalid parameter at 'nextToken' failed to satisfy constraint: 'the token is invalid or expired'")
		}
		start = n
	}
	limit := def
	if maxResults != nil && *maxResults > 0 {
		limit = int(*maxResults)
	}
	end := min(start+limit, len(items))
	var next *string
	if end < len(items) {
		next = aws.String(base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(end))))
	}
	return items[start:end], next, nil
}

func (s *ecrService) describeRepositories(in *ecr.DescribeRepositoriesInput) (any, error) {
	if err := s.checkRegistry(in.RegistryId); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var repos []ecrtypes.Repository
	if len(in.RepositoryNames) > 0 {
		for _, n := range in.RepositoryNames {
			r := s.repos[n]
			if r == nil {
				return nil, s.repoNotFound(n)
			}
			repos = append(repos, s.repository(r))
		}
	} else {
		for _, n := range sortedKeys(s.repos) {
			repos = append(repos, s.repository(s.repos[n]))
		}
	}
	pg, next, err := pageOf(repos, in.MaxResults, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &ecr.DescribeRepositoriesOutput{Repositories: emptyIfNil(pg), NextToken: next}, nil
}

func emptyIfNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *ecrService) imageDetail(r *ecrRepo, img *ecrImage) ecrtypes.ImageDetail {
	d := ecrtypes.ImageDetail{
		RegistryId:             aws.String(s.e.AccountID()),
		RepositoryName:         aws.String(r.name),
		ImageDigest:            aws.String(img.m.digest),
		ImageSizeInBytes:       aws.Int64(img.m.size),
		ImagePushedAt:          aws.Time(img.pushedAt),
		ImageManifestMediaType: aws.String(img.m.mediaType),
	}
	if len(img.tags) > 0 {
		d.ImageTags = append([]string(nil), img.tags...)
	}
	if img.m.platform != nil {
		cfgMT := mediaTypeDockerConfig
		if img.m.mediaType == mediaTypeOCIManifest {
			cfgMT = mediaTypeOCIConfig
		}
		d.ArtifactMediaType = aws.String(cfgMT)
	}
	return d
}

// imageIDString renders an image id the way ECR's error messages do.
func imageIDString(id ecrtypes.ImageIdentifier) string {
	q := func(p *string) string {
		if p == nil {
			return "null"
		}
		return "'" + *p + "'"
	}
	return fmt.Sprintf("{imageDigest:%s, imageTag:%s}", q(id.ImageDigest), q(id.ImageTag))
}

// findByID resolves an ImageIdentifier; failure is the ECR failure code when
// it does not resolve.
func (r *ecrRepo) findByIDLocked(id ecrtypes.ImageIdentifier) (*ecrImage, ecrtypes.ImageFailureCode) {
	switch {
	case id.ImageDigest == nil && id.ImageTag == nil:
		return nil, ecrtypes.ImageFailureCodeMissingDigestAndTag
	case id.ImageDigest != nil:
		img := r.findLocked(*id.ImageDigest)
		if img == nil {
			return nil, ecrtypes.ImageFailureCodeImageNotFound
		}
		if id.ImageTag != nil {
			if tagged := r.findLocked(*id.ImageTag); tagged != img {
				return nil, ecrtypes.ImageFailureCodeImageTagDoesNotMatchDigest
			}
		}
		return img, ""
	default:
		img := r.findLocked(*id.ImageTag)
		if img == nil {
			return nil, ecrtypes.ImageFailureCodeImageNotFound
		}
		return img, ""
	}
}

func (s *ecrService) describeImages(in *ecr.DescribeImagesInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.findRepoLocked(in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var details []ecrtypes.ImageDetail
	if len(in.ImageIds) > 0 {
		for _, id := range in.ImageIds {
			img, fail := r.findByIDLocked(id)
			if fail == ecrtypes.ImageFailureCodeMissingDigestAndTag {
				return nil, apiErr("InvalidParameterException", "Invalid parameter at 'imageIds' failed to satisfy constraint: 'imageDigest or imageTag must be specified'")
			}
			if img == nil {
				return nil, apiErr("ImageNotFoundException", "The image with imageId %s does not exist within the repository with name '%s' in the registry with id '%s'", imageIDString(id), r.name, s.e.AccountID())
			}
			details = append(details, s.imageDetail(r, img))
		}
		return &ecr.DescribeImagesOutput{ImageDetails: details}, nil
	}
	tagStatus := ecrtypes.TagStatusAny
	if in.Filter != nil && in.Filter.TagStatus != "" {
		tagStatus = in.Filter.TagStatus
	}
	for _, img := range r.images {
		tagged := len(img.tags) > 0
		if (tagStatus == ecrtypes.TagStatusTagged && !tagged) || (tagStatus == ecrtypes.TagStatusUntagged && tagged) {
			continue
		}
		details = append(details, s.imageDetail(r, img))
	}
	pg, next, err := pageOf(details, in.MaxResults, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &ecr.DescribeImagesOutput{ImageDetails: emptyIfNil(pg), NextToken: next}, nil
}

func (s *ecrService) listImages(in *ecr.ListImagesInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.findRepoLocked(in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	tagStatus := ecrtypes.TagStatusAny
	if in.Filter != nil && in.Filter.TagStatus != "" {
		tagStatus = in.Filter.TagStatus
	}
	var ids []ecrtypes.ImageIdentifier
	for _, img := range r.images {
		if len(img.tags) == 0 {
			if tagStatus != ecrtypes.TagStatusTagged {
				ids = append(ids, ecrtypes.ImageIdentifier{ImageDigest: aws.String(img.m.digest)})
			}
			continue
		}
		if tagStatus == ecrtypes.TagStatusUntagged {
			continue
		}
		for _, t := range img.tags {
			ids = append(ids, ecrtypes.ImageIdentifier{ImageDigest: aws.String(img.m.digest), ImageTag: aws.String(t)})
		}
	}
	pg, next, err := pageOf(ids, in.MaxResults, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return &ecr.ListImagesOutput{ImageIds: emptyIfNil(pg), NextToken: next}, nil
}

func (s *ecrService) batchGetImage(in *ecr.BatchGetImageInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.findRepoLocked(in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	out := &ecr.BatchGetImageOutput{Images: []ecrtypes.Image{}, Failures: []ecrtypes.ImageFailure{}}
	for _, id := range in.ImageIds {
		img, fail := r.findByIDLocked(id)
		if img == nil {
			reason := map[ecrtypes.ImageFailureCode]string{
				ecrtypes.ImageFailureCodeImageNotFound:              "Requested image not found",
				ecrtypes.ImageFailureCodeImageTagDoesNotMatchDigest: "Invalid image tag and digest combination",
				ecrtypes.ImageFailureCodeMissingDigestAndTag:        "Invalid request parameters: both tag and digest cannot be null",
			}[fail]
			idCopy := id
			out.Failures = append(out.Failures, ecrtypes.ImageFailure{ImageId: &idCopy, FailureCode: fail, FailureReason: aws.String(reason)})
			continue
		}
		resolved := ecrtypes.ImageIdentifier{ImageDigest: aws.String(img.m.digest), ImageTag: id.ImageTag}
		out.Images = append(out.Images, ecrtypes.Image{
			RegistryId:             aws.String(s.e.AccountID()),
			RepositoryName:         aws.String(r.name),
			ImageId:                &resolved,
			ImageManifest:          aws.String(string(img.m.body)),
			ImageManifestMediaType: aws.String(img.m.mediaType),
		})
	}
	return out, nil
}

// putImage tags a manifest the repository already holds: AWS's documented
// way to retag is BatchGetImage then PutImage with the same manifest. The
// tag moves off the image it was on. A manifest whose layers the
// repository lacks cannot be pushed through this API.
func (s *ecrService) putImage(in *ecr.PutImageInput) (any, error) {
	if aws.ToString(in.ImageManifest) == "" {
		return nil, apiErr("InvalidParameterException", "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must not be null'")
	}
	digest := fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(aws.ToString(in.ImageManifest))))
	if d := aws.ToString(in.ImageDigest); d != "" && d != digest {
		return nil, apiErr("ImageDigestDoesNotMatchException", "Invalid parameter at 'imageDigest': the digest %s does not match the digest of the manifest %s", d, digest)
	}
	// Tasks due to pull before now must pull the tag where it was.
	s.e.syncECS()
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.findRepoLocked(in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	img := r.findLocked(digest)
	if img == nil {
		return nil, apiErr("LayersNotFoundException", "The image manifest references layers that are not in repository %s (awsemu accepts only manifests it already holds)", r.name)
	}
	tag := aws.ToString(in.ImageTag)
	if tag != "" {
		for _, t := range img.tags {
			if t == tag {
				return nil, apiErr("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", digest, tag, r.name, s.e.AccountID())
			}
		}
		r.addImageLocked(img.m, []string{tag}, s.e.now())
	}
	id := ecrtypes.ImageIdentifier{ImageDigest: aws.String(digest)}
	if tag != "" {
		id.ImageTag = aws.String(tag)
	}
	return &ecr.PutImageOutput{Image: &ecrtypes.Image{RegistryId: aws.String(s.e.AccountID()), RepositoryName: aws.String(r.name),
		ImageId: &id, ImageManifest: in.ImageManifest, ImageManifestMediaType: aws.String(img.m.mediaType)}}, nil
}
