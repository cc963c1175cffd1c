package awsemu

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/tests/awsemu/ec2"
)

// A Fargate task starts through its own network interface: before its
// containers run it fetches the registry token (ECR API), secrets (Secrets
// Manager, SSM) and environment files (S3), pulls the images (ECR registry
// and S3 for layers, or the internet), and starts the awslogs driver
// (CloudWatch Logs). When the task's subnet is one the emulated EC2 holds,
// each of those must be reachable (ec2.Service.Reach), or the task stops at
// the end of PENDING with the stoppedReason Fargate gives for a connection
// that times out. Unknown subnets (subnet-1 in older seeds and tests) keep
// the network working, as before EC2 existed.

// taskENI is the network interface of a Fargate awsvpc task; nil otherwise.
func taskENI(spec deploySpec) *ec2.ENI {
	nc := spec.networkConfiguration
	if nc == nil || nc.AwsvpcConfiguration == nil || len(nc.AwsvpcConfiguration.Subnets) == 0 {
		return nil
	}
	fargate := spec.launchType == ecstypes.LaunchTypeFargate
	for _, cp := range spec.capacityProviders {
		fargate = fargate || strings.HasPrefix(aws.ToString(cp.CapacityProvider), "FARGATE")
	}
	if !fargate {
		return nil // on EC2 the agent pulls through the instance's network
	}
	c := nc.AwsvpcConfiguration
	return &ec2.ENI{Subnet: c.Subnets[0], PublicIP: c.AssignPublicIp == ecstypes.AssignPublicIpEnabled, SecurityGroups: c.SecurityGroups}
}

// isECRImage tells whether image is in an ECR private registry (the
// emulated one or any ACCOUNT.dkr.ecr.REGION.amazonaws.com).
func (e *Emulator) isECRImage(image string) bool {
	host := parseImageRef(image).host
	return e.emulatedHost(host) || strings.Contains(host, ".dkr.ecr.") && strings.Contains(host, ".amazonaws.com")
}

// Public addresses quoted in the time-out messages, as a real resolver
// would have answered.
const (
	ecrAddr    = "52.46.154.97"
	s3Addr     = "52.217.164.112"
	dockerAddr = "54.236.113.205"
)

// networkFailure is the stoppedReason of a task whose ENI cannot reach
// what it needs at start, in the order Fargate needs it; "" when it can
// (or when the subnet is unknown).
func (s *ecsService) networkFailure(t *ecsTask) string {
	if t.eni == nil || !s.e.services.ec2.Known(t.eni.Subnet) {
		return ""
	}
	reach := func(service string) bool {
		ok, _ := s.e.services.ec2.Reach(*t.eni, service)
		return ok
	}
	region := s.e.opts.Region
	const retrieval = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
	const timeout = "RequestCanceled: request context canceled caused by: context deadline exceeded. Please check your task network configuration."
	cds := t.td.td.ContainerDefinitions
	for _, cd := range cds {
		if s.e.isECRImage(aws.ToString(cd.Image)) && !reach("ecr.api") {
			return retrieval + fmt.Sprintf("unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: "+
				"Post \"https://api.ecr.%s.amazonaws.com/\": dial tcp %s:443: i/o timeout. Please check your task network configuration.", region, ecrAddr)
		}
	}
	for _, cd := range cds {
		for _, sec := range cd.Secrets {
			from := aws.ToString(sec.ValueFrom)
			if strings.Contains(from, ":secretsmanager:") {
				if !reach("secretsmanager") {
					return retrieval + "unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch secret " + from + " from secrets manager: " + timeout
				}
			} else if !reach("ssm") {
				return retrieval + "unable to retrieve secrets from ssm: service call has been retried 5 time(s): " + timeout
			}
		}
		if len(cd.EnvironmentFiles) > 0 && !reach("s3") {
			return "ResourceInitializationError: failed to download env files: file download command: non empty error stream: service call has been retried 5 time(s): " + timeout
		}
	}
	for _, cd := range cds {
		img := aws.ToString(cd.Image)
		ref := parseImageRef(img)
		switch {
		case s.e.isECRImage(img) && !reach("ecr.dkr"):
			return fmt.Sprintf("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref %s: failed to do request: "+
				"Head \"https://%s/v2/%s/manifests/%s\": dial tcp %s:443: i/o timeout", img, ref.host, ref.repo, ref.tag+ref.digest, ecrAddr)
		case s.e.isECRImage(img) && !reach("s3"):
			return fmt.Sprintf("CannotPullContainerError: failed to copy: httpReadSeeker: failed open: failed to do request: "+
				"Get \"https://prod-%s-starport-layer-bucket.s3.%s.amazonaws.com/\": dial tcp %s:443: i/o timeout", region, region, s3Addr)
		case !s.e.isECRImage(img) && !reach(ec2.Internet):
			host, repo := ref.host, ref.repo
			if host == "" {
				host = "registry-1.docker.io"
				if !strings.Contains(repo, "/") {
					repo = "library/" + repo
				}
			}
			return fmt.Sprintf("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref %s: failed to do request: "+
				"Head \"https://%s/v2/%s/manifests/%s\": dial tcp %s:443: i/o timeout", img, host, repo, ref.tag+ref.digest, dockerAddr)
		}
	}
	for i := range cds {
		if _, ok := awslogsOf(t, i); ok && !reach("logs") {
			return "ResourceInitializationError: failed to validate logger args: : signal: killed"
		}
	}
	return ""
}

// imageDigest is the digest a container pulled, as ECS reports it in
// containers[].imageDigest: the digest the tag points at when the task
// starts (a tag moved later does not change it). Images outside the
// emulated registry get a stable stand-in.
func (e *Emulator) imageDigest(image string) string {
	ref := parseImageRef(image)
	if ref.digest != "" {
		return ref.digest
	}
	if img, _ := e.lookupImage(image); img != nil {
		return img.m.digest
	}
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(image)))
}
