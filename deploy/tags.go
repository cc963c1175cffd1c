package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/internal/imageref"
)

// ECRImagesAPI resolves a tag to the digest it points at now.
type ECRImagesAPI interface {
	DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
}

// MovedTag is an image tag that points at another image than the one the
// service's running tasks pulled: a push under the same tag (":latest")
// that no deployment rolled out yet.
type MovedTag struct {
	Container string `json:"container"`
	Image     string `json:"image"`
	Running   string `json:"runningDigest"`
	Current   string `json:"tagDigest"`
	Tasks     int    `json:"tasks"` // running tasks on the old digest
}

func (m MovedTag) String() string {
	return fmt.Sprintf("%s moved: running %s, tag now %s", m.Image, m.Running, m.Current)
}

// TagCheck reads the running tasks (ECS) and the registries (ECR, per
// region) to find moved tags.
type TagCheck struct {
	ECS ECSAPI
	ECR func(region string) ECRImagesAPI
}

// maxTagCheckTasks bounds the running tasks read (one ListTasks page).
const maxTagCheckTasks = 100

// MovedTags compares, for every container of the service's running tasks
// whose image is a tag in a private ECR registry, the digest the task
// pulled (DescribeTasks imageDigest) with the digest the tag points at now
// (ECR DescribeImages). Images by digest cannot move; images in other
// registries are not checked. problems are what could not be read
// (permissions, a tag deleted since); they never fail the command.
func (c TagCheck) MovedTags(ctx context.Context, cluster, service string) (moved []MovedTag, problems []string, err error) {
	list, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: ecstypes.DesiredStatusRunning, MaxResults: aws.Int32(maxTagCheckTasks)})
	if err != nil {
		return nil, nil, fmt.Errorf("list running tasks of %s: %w", service, err)
	}
	if len(list.TaskArns) == 0 {
		return nil, nil, nil
	}
	desc, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
	if err != nil {
		return nil, nil, fmt.Errorf("describe running tasks of %s: %w", service, err)
	}
	type key struct{ container, image, digest string }
	running := map[key]int{}
	for _, t := range desc.Tasks {
		for _, ctr := range t.Containers {
			img, digest := aws.ToString(ctr.Image), aws.ToString(ctr.ImageDigest)
			if e, ok := imageref.ParseECR(img); !ok || e.Digest != "" || digest == "" {
				continue
			}
			running[key{aws.ToString(ctr.Name), img, digest}]++
		}
	}
	keys := make([]key, 0, len(running))
	for k := range running {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].container+keys[i].image+keys[i].digest < keys[j].container+keys[j].image+keys[j].digest
	})
	current := map[string]string{} // image → digest of its tag now ("" when unreadable)
	for _, k := range keys {
		if _, done := current[k.image]; done {
			continue
		}
		d, problem := c.tagDigest(ctx, k.image)
		current[k.image] = d
		if problem != "" {
			problems = append(problems, problem)
		}
	}
	for _, k := range keys {
		if now := current[k.image]; now != "" && now != k.digest {
			moved = append(moved, MovedTag{Container: k.container, Image: k.image, Running: k.digest, Current: now, Tasks: running[k]})
		}
	}
	return moved, problems, nil
}

func (c TagCheck) tagDigest(ctx context.Context, img string) (digest, problem string) {
	e, _ := imageref.ParseECR(img)
	tag := e.Tag
	if tag == "" {
		tag = "latest"
	}
	out, err := c.ECR(e.Region).DescribeImages(ctx, &ecr.DescribeImagesInput{
		RegistryId: aws.String(e.Account), RepositoryName: aws.String(e.Repo),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}},
	})
	var notFound *ecrtypes.ImageNotFoundException
	switch {
	case errors.As(err, &notFound):
		return "", fmt.Sprintf("%s: the tag no longer exists in ECR; new tasks will fail to pull it", img)
	case err != nil:
		return "", fmt.Sprintf("cannot tell whether %s moved: %v", img, err)
	case len(out.ImageDetails) == 0:
		return "", ""
	}
	return aws.ToString(out.ImageDetails[0].ImageDigest), ""
}

// movedTagAdvice is what deploy says when only tags moved.
func movedTagAdvice(moved []MovedTag) string {
	var parts []string
	for _, m := range moved {
		if s := m.String(); !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	return fmt.Sprintf("%s; run doppio deploy --force-new-deployment (or --redeploy-moved-tags) to roll it out", strings.Join(parts, "; "))
}
