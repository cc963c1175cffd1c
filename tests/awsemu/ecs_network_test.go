package awsemu

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/tests/awsemu/ec2"
)

const privateVPC = `
ec2:
  vpcs: [{id: vpc-1, cidrBlock: 10.0.0.0/16}]
  subnets:
    - {id: subnet-private, vpcId: vpc-1, cidrBlock: 10.0.1.0/24}
    - {id: subnet-public, vpcId: vpc-1, cidrBlock: 10.0.0.0/24}
  internetGateways: [{id: igw-1, vpcId: vpc-1}]
  routeTables:
    - {id: rtb-public, vpcId: vpc-1, subnets: [subnet-public], routes: [{destination: 0.0.0.0/0, gatewayId: igw-1}]}
`

func (f *ecsFixture) runIn(td, subnet string, publicIP bool) string {
	f.t.Helper()
	nc := &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{subnet}}}
	if publicIP {
		nc.AwsvpcConfiguration.AssignPublicIp = ecstypes.AssignPublicIpEnabled
	}
	out, err := f.c.RunTask(f.ctx, &ecs.RunTaskInput{Cluster: aws.String("app"), TaskDefinition: aws.String(td), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: nc})
	if err != nil || len(out.Tasks) != 1 {
		f.t.Fatalf("run task: %v %+v", err, out)
	}
	return aws.ToString(out.Tasks[0].TaskArn)
}

// A Fargate task in a subnet EC2 knows reaches ECR only along a real path;
// in an unknown subnet it starts as before EC2 existed.
func TestECSFargateNetworkFailure(t *testing.T) {
	f := newECSFixture(t)
	seed, err := ParseSeed([]byte(privateVPC))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}
	digest, err := f.e.PutImage(ImageSpec{Repository: "web", Tags: []string{"latest"}})
	if err != nil {
		t.Fatal(err)
	}
	td := f.register(fargateTD("web", f.e.ImageURI("web", "latest")))
	private := f.runIn(td, "subnet-private", false)
	public := f.runIn(td, "subnet-public", true)
	unknown := f.runIn(td, "subnet-1", false)
	f.clk.Advance(4 * time.Second)

	got := f.task(private)
	if got.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || !strings.HasPrefix(aws.ToString(got.StoppedReason),
		"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth") ||
		!strings.Contains(aws.ToString(got.StoppedReason), "i/o timeout. Please check your task network configuration.") {
		t.Fatalf("private subnet task: %s %q", got.StopCode, aws.ToString(got.StoppedReason))
	}
	for name, arn := range map[string]string{"public": public, "unknown": unknown} {
		got := f.task(arn)
		if aws.ToString(got.LastStatus) != "RUNNING" || aws.ToString(got.Containers[0].ImageDigest) != digest {
			t.Fatalf("%s subnet task: %s %q digest %s", name, aws.ToString(got.LastStatus), aws.ToString(got.StoppedReason), aws.ToString(got.Containers[0].ImageDigest))
		}
	}

	// A Docker Hub image through VPC endpoints only: the pull times out.
	for _, svc := range []string{"ecr.api", "ecr.dkr", "logs"} {
		if err := f.e.EC2().ApplySeed(&ec2.Seed{VpcEndpoints: []ec2.VpcEndpointSeed{{VpcID: "vpc-1", Service: svc, Subnets: []string{"subnet-private"}}}}); err != nil {
			t.Fatal(err)
		}
	}
	hub := f.register(fargateTD("hub", "nginx:1.27"))
	arn := f.runIn(hub, "subnet-private", false)
	f.clk.Advance(4 * time.Second)
	if r := aws.ToString(f.task(arn).StoppedReason); !strings.HasPrefix(r, `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref nginx:1.27: failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.27"`) {
		t.Fatalf("docker hub image without internet: %q", r)
	}
	// The ECR image still lacks S3 for its layers.
	arn = f.runIn(td, "subnet-private", false)
	f.clk.Advance(4 * time.Second)
	if r := aws.ToString(f.task(arn).StoppedReason); !strings.Contains(r, "starport-layer-bucket") {
		t.Fatalf("ECR image without the S3 gateway endpoint: %q", r)
	}
}

// A tag moves through ECR's own API (BatchGetImage + PutImage); a running
// task keeps the digest it pulled.
func TestECRRetagThroughPutImage(t *testing.T) {
	f := newECSFixture(t)
	old, _ := f.e.PutImage(ImageSpec{Repository: "web", Tags: []string{"latest", "v1"}})
	next, _ := f.e.PutImage(ImageSpec{Repository: "web", Tags: []string{"v2"}})
	td := f.register(fargateTD("web", f.e.ImageURI("web", "latest")))
	arn := f.runIn(td, "subnet-1", false)
	f.clk.Advance(4 * time.Second)

	c := ecr.NewFromConfig(sdkConfig(t, f.e, 1))
	got, err := c.BatchGetImage(f.ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("web"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v2")}}})
	if err != nil || len(got.Images) != 1 {
		t.Fatalf("batch get image: %v", err)
	}
	if _, err := c.PutImage(f.ctx, &ecr.PutImageInput{RepositoryName: aws.String("web"), ImageTag: aws.String("latest"), ImageManifest: got.Images[0].ImageManifest}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutImage(f.ctx, &ecr.PutImageInput{RepositoryName: aws.String("web"), ImageTag: aws.String("latest"), ImageManifest: got.Images[0].ImageManifest}); err == nil || !strings.Contains(err.Error(), "ImageAlreadyExistsException") {
		t.Fatalf("retag to the same digest: %v", err)
	}
	imgs, err := c.DescribeImages(f.ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("web"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("latest")}}})
	if err != nil || aws.ToString(imgs.ImageDetails[0].ImageDigest) != next {
		t.Fatalf("latest after retag: %v %+v", err, imgs)
	}
	if d := aws.ToString(f.task(arn).Containers[0].ImageDigest); d != old {
		t.Fatalf("running task's digest = %s, want the one it pulled %s", d, old)
	}
}
