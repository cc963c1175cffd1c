package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/doppio-ecs/doppio/internal/imageref"
)

// ecrImage is an image hosted in a private ECR registry.
type ecrImage = imageref.ECR

func parseECRImage(img string) (ecrImage, bool) { return imageref.ParseECR(img) }

func splitRepoRef(s string) (repo, tag, digest string) { return imageref.SplitRepoRef(s) }

// mutableTag says whether img has no tag and no digest, or the tag latest.
func mutableTag(img string) bool {
	host, rest, ok := strings.Cut(img, "/")
	if !ok || !strings.ContainsAny(host, ".:") && host != "localhost" {
		rest = img // Docker Hub short name: no registry host
	}
	_, tag, digest := splitRepoRef(rest)
	return digest == "" && (tag == "" || tag == "latest")
}

// platform is the OS and CPU architecture a task needs its images built for.
type platform struct{ OS, Arch string }

func (p platform) String() string { return p.OS + "/" + p.Arch }

// targetPlatform works out what the images must provide. It is only known
// on Fargate (always amd64 unless runtimePlatform says otherwise) or when
// runtimePlatform names the architecture; on EC2 it depends on the instances.
func targetPlatform(in Input) (platform, bool) {
	td := in.TaskDefinition
	rp := td.RuntimePlatform
	onlyFargate := len(td.RequiresCompatibilities) == 1 && td.RequiresCompatibilities[0] == ecstypes.CompatibilityFargate
	s := in.Service
	fargate := onlyFargate || serviceOnFargate(s) || (s != nil && aws.ToString(s.PlatformVersion) != "")
	if !fargate && (rp == nil || rp.CpuArchitecture == "") {
		return platform{}, false
	}
	p := platform{OS: "linux", Arch: "amd64"}
	if rp != nil {
		if rp.CpuArchitecture == ecstypes.CPUArchitectureArm64 {
			p.Arch = "arm64"
		}
		if rp.OperatingSystemFamily != "" && rp.OperatingSystemFamily != ecstypes.OSFamilyLinux {
			p.OS = "windows"
		}
	}
	return p, true
}

var (
	// 429 is a pull rate limit: report it instead of waiting it out.
	registryRetryCodes = []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}
	registryBackoff    = remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 3}
)

// ecrTransport is an authenticated transport for one ECR endpoint, shared by
// every image on it: the registry is pinged once, not once per image.
func (r *runner) ecrTransport(ctx context.Context, reg name.Registry, tok ecrToken) (http.RoundTripper, error) {
	v, err := r.memo.do("ecr-transport:"+reg.RegistryStr(), func() (any, error) {
		base := r.opts.RegistryTransport
		if base == nil {
			base = remote.DefaultTransport
		}
		rt := transport.NewRetry(base, transport.WithRetryBackoff(registryBackoff), transport.WithRetryStatusCodes(registryRetryCodes...))
		rt = transport.NewUserAgent(rt, "doppio-verify")
		return transport.NewWithContext(ctx, reg, &authn.Basic{Username: tok.User, Password: tok.Password}, rt, nil)
	})
	if err != nil {
		return nil, err
	}
	return v.(http.RoundTripper), nil
}

// registryOptions are the go-containerregistry options shared by every image check.
func (r *runner) registryOptions(ctx context.Context) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithUserAgent("doppio-verify"),
		remote.WithRetryStatusCodes(registryRetryCodes...),
		remote.WithRetryBackoff(registryBackoff),
	}
	if r.opts.RegistryTransport != nil {
		opts = append(opts, remote.WithTransport(r.opts.RegistryTransport))
	}
	return opts
}

// ecrToken is a decoded ECR authorization token.
type ecrToken struct {
	User, Password string
	Endpoint       *url.URL
}

func (r *runner) ecrAuth(ctx context.Context, region, account string) (ecrToken, error) {
	v, err := r.memo.do("ecr-token:"+region+":"+account, func() (any, error) {
		out, err := r.clients.ECRIn(region).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{
			RegistryIds: []string{account}, //nolint:staticcheck // still the way to get another account's proxy endpoint
		})
		if err != nil {
			return nil, fmt.Errorf("ECR GetAuthorizationToken in %s: %w", region, err)
		}
		if len(out.AuthorizationData) == 0 {
			return nil, fmt.Errorf("ECR GetAuthorizationToken in %s returned no authorization data", region)
		}
		d := out.AuthorizationData[0]
		raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
		if err != nil {
			return nil, fmt.Errorf("decode ECR authorization token: %w", err)
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return nil, fmt.Errorf("ECR authorization token is not user:password")
		}
		ep := aws.ToString(d.ProxyEndpoint)
		if !strings.Contains(ep, "://") {
			ep = "https://" + ep
		}
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("ECR proxyEndpoint %q is not a URL", aws.ToString(d.ProxyEndpoint))
		}
		return ecrToken{User: user, Password: pass, Endpoint: u}, nil
	})
	if err != nil {
		return ecrToken{}, err
	}
	return v.(ecrToken), nil
}

// checkImage fills c for one container image.
func (r *runner) checkImage(ctx context.Context, c *Check, img string, target platform, hasTarget, privateCreds bool) {
	var (
		ref  name.Reference
		err  error
		opts = r.registryOptions(ctx)
	)
	ecrImg, isECR := parseECRImage(img)
	if isECR {
		tok, err := r.ecrAuth(ctx, ecrImg.Region, ecrImg.Account)
		if err != nil {
			r.awsError(c, err, "cannot get an ECR token to check "+img)
			return
		}
		var nopts []name.Option
		if tok.Endpoint.Scheme == "http" {
			nopts = append(nopts, name.Insecure)
		}
		ref, err = name.ParseReference(tok.Endpoint.Host+"/"+refSuffix(ecrImg.Repo, ecrImg.Tag, ecrImg.Digest), nopts...)
		if err != nil {
			c.set(NG, "image reference %q: %v", img, err)
			return
		}
		rt, err := r.ecrTransport(ctx, ref.Context().Registry, tok)
		if err != nil {
			r.registryError(ctx, c, img, isECR, ecrImg, privateCreds, err)
			return
		}
		opts = append(opts, remote.WithTransport(rt))
	} else {
		ref, err = name.ParseReference(img)
		if err != nil {
			c.set(NG, "image reference %q is invalid: %v", img, err)
			return
		}
		opts = append(opts, remote.WithAuth(authn.Anonymous))
	}

	var desc *remote.Descriptor
	if hasTarget {
		desc, err = remote.Get(ref, opts...)
	} else {
		_, err = remote.Head(ref, opts...)
	}
	if err != nil {
		r.registryError(ctx, c, img, isECR, ecrImg, privateCreds, err)
		return
	}
	reason := "exists"
	if hasTarget {
		st, why := checkPlatform(desc, target)
		if st != OK {
			c.set(st, "%s", strings.ReplaceAll(why, "IMAGE", img))
			return
		}
		reason = why
	}
	if mutableTag(img) {
		c.set(WARN, "%s, but a mutable tag (latest or none): a rollback cannot return to the image it replaces; pin a version tag or digest", reason)
		return
	}
	c.set(OK, "%s", reason)
}

func refSuffix(repo, tag, digest string) string {
	switch {
	case digest != "":
		return repo + "@" + digest
	case tag != "":
		return repo + ":" + tag
	}
	return repo + ":latest"
}

func (r *runner) registryError(ctx context.Context, c *Check, img string, isECR bool, e ecrImage, privateCreds bool, err error) {
	var terr *transport.Error
	status := 0
	if errors.As(err, &terr) {
		status = terr.StatusCode
	}
	switch {
	case status == http.StatusNotFound:
		if isECR {
			c.set(NG, "%s", r.ecrNotFound(ctx, img, e))
			return
		}
		c.set(NG, "image %s not found in its registry; check the repository name and tag", img)
	case status == http.StatusTooManyRequests:
		c.set(SKIP, "registry pull rate limit reached; image %s not checked", img)
	case (status == http.StatusUnauthorized || status == http.StatusForbidden) && !isECR:
		if privateCreds {
			c.set(SKIP, "private registry (repositoryCredentials); image %s not checked", img)
			return
		}
		c.set(WARN, "image %s cannot be read anonymously (HTTP %d): private image without repositoryCredentials, or missing", img, status)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		c.set(WARN, "access denied reading %s from ECR (HTTP %d); allow ecr:BatchGetImage for the verifying identity", img, status)
	case errors.Is(err, remote.ErrSchema1):
		c.set(SKIP, "image %s uses the deprecated Docker schema 1 manifest; platform not checked", img)
	default:
		c.set(NG, "could not check image %s: %v", img, err)
	}
}

// ecrNotFound explains a missing ECR image, naming what the repository holds.
func (r *runner) ecrNotFound(ctx context.Context, img string, e ecrImage) string {
	cl := r.clients.ECRIn(e.Region)
	p := ecr.NewDescribeImagesPaginator(cl, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(e.Repo),
		RegistryId:     aws.String(e.Account),
		Filter:         &ecrtypes.DescribeImagesFilter{TagStatus: ecrtypes.TagStatusTagged},
	})
	type pushed struct {
		tag string
		at  time.Time
	}
	var tags []pushed
	for pages := 0; p.HasMorePages() && pages < 5; pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			var rnf *ecrtypes.RepositoryNotFoundException
			if errors.As(err, &rnf) {
				return fmt.Sprintf("image %s not found: repository %q does not exist in account %s region %s", img, e.Repo, e.Account, e.Region)
			}
			return fmt.Sprintf("image %s not found (listing pushed tags failed: %v)", img, err)
		}
		for _, d := range out.ImageDetails {
			for _, t := range d.ImageTags {
				tags = append(tags, pushed{t, aws.ToTime(d.ImagePushedAt)})
			}
		}
	}
	if len(tags) == 0 {
		return fmt.Sprintf("image %s not found; repository %q has no tagged images: push the image first", img, e.Repo)
	}
	sort.SliceStable(tags, func(i, j int) bool {
		if !tags[i].at.Equal(tags[j].at) {
			return tags[i].at.After(tags[j].at)
		}
		return tags[i].tag < tags[j].tag
	})
	const show = 10
	var names []string
	for i, t := range tags {
		if i == show {
			names = append(names, fmt.Sprintf("and %d more", len(tags)-show))
			break
		}
		names = append(names, t.tag)
	}
	return fmt.Sprintf("image %s not found; pushed tags: %s", img, strings.Join(names, ", "))
}

// checkPlatform says whether the manifest (or index) provides target. The
// reason may contain IMAGE, replaced by the caller with the image reference.
func checkPlatform(desc *remote.Descriptor, target platform) (Status, string) {
	mt := desc.MediaType
	switch {
	case mt.IsSchema1():
		return SKIP, "IMAGE uses the deprecated Docker schema 1 manifest; platform not checked"
	case mt.IsIndex():
		idx, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return NG, fmt.Sprintf("IMAGE: cannot parse the image index: %v", err)
		}
		var have []string
		for _, m := range idx.Manifests {
			if m.Platform == nil {
				return OK, "exists (index entry without platform)"
			}
			if m.Platform.OS == "unknown" { // attestations
				continue
			}
			if m.Platform.OS == target.OS && m.Platform.Architecture == target.Arch {
				return OK, "exists for " + target.String()
			}
			have = append(have, platformName(m.Platform))
		}
		slices.Sort(have)
		have = slices.Compact(have)
		return NG, fmt.Sprintf("IMAGE has no %s variant (it provides %s); build and push a %s image or change runtimePlatform", target, orNone(have), target)
	case mt.IsImage():
		m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return NG, fmt.Sprintf("IMAGE: cannot parse the manifest: %v", err)
		}
		var got *v1.Platform
		if m.Config.Platform != nil && m.Config.Platform.Architecture != "" {
			got = m.Config.Platform
		} else {
			img, err := desc.Image()
			if err != nil {
				return NG, fmt.Sprintf("IMAGE: %v", err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				return NG, fmt.Sprintf("IMAGE: cannot read the image config: %v", err)
			}
			got = &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
		}
		if got.OS == target.OS && got.Architecture == target.Arch {
			return OK, "exists for " + target.String()
		}
		return NG, fmt.Sprintf("IMAGE is built for %s, but the task runs on %s; build and push a %s image or change runtimePlatform", platformName(got), target, target)
	}
	return SKIP, fmt.Sprintf("IMAGE has media type %s, not an image; platform not checked", mt)
}

func platformName(p *v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}
