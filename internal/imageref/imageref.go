// Package imageref parses container image references the way doppio needs
// them: private ECR images (account, region, repository, tag, digest) and
// whether a reference names a mutable tag.
package imageref

import (
	"regexp"
	"strings"
)

// ECR is an image hosted in a private ECR registry.
type ECR struct {
	Account string
	Region  string
	Host    string // e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com
	Repo    string
	Tag     string // "" when Digest is set or no tag was given
	Digest  string // sha256:...
}

// ecrHost matches private ECR registry hosts, FIPS and China partitions included.
var ecrHost = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// ParseECR recognises a private ECR image reference.
func ParseECR(img string) (ECR, bool) {
	host, rest, ok := strings.Cut(img, "/")
	if !ok {
		return ECR{}, false
	}
	m := ecrHost.FindStringSubmatch(host)
	if m == nil {
		return ECR{}, false
	}
	e := ECR{Account: m[1], Region: m[2], Host: host}
	e.Repo, e.Tag, e.Digest = SplitRepoRef(rest)
	if e.Repo == "" {
		return ECR{}, false
	}
	return e, true
}

// SplitRepoRef splits "repo[:tag][@digest]".
func SplitRepoRef(s string) (repo, tag, digest string) {
	if i := strings.Index(s, "@"); i >= 0 {
		s, digest = s[:i], s[i+1:]
	}
	// A colon after the last slash starts the tag; before it, it is a port.
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		s, tag = s[:i], s[i+1:]
	}
	return s, tag, digest
}
