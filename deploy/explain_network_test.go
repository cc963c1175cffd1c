package deploy

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Only reasons of a task that could not connect at start run the network
// check; an image that does not exist or a crashing container do not.
func TestNetworkFailureReasons(t *testing.T) {
	for reason, want := range map[string]bool{
		`ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp 52.46.154.97:443: i/o timeout. Please check your task network configuration.`: true,
		`CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/library/nginx:1.27: failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.27": dial tcp 54.236.113.205:443: i/o timeout`:                                                                                                             true,
		`ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): RequestCanceled: request context canceled caused by: context deadline exceeded.`:                                                                                                      true,
		`CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref x/web:v9: x/web:v9: not found`:                                                                                                                                                                                                                                                 false,
		`ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1`:                                                                                                                                               false,
		`Essential container in task exited`: false,
	} {
		if got := networkFailure.MatchString(reason); got != want {
			t.Errorf("networkFailure(%q) = %v, want %v", reason, got, want)
		}
	}
	tasks := []ecstypes.Task{
		{StoppedReason: aws.String("CannotPullContainerError: ... i/o timeout"), Attachments: []ecstypes.Attachment{{Details: []ecstypes.KeyValuePair{{Name: aws.String("subnetId"), Value: aws.String("subnet-b")}}}}},
		{StoppedReason: aws.String("Essential container in task exited"), Attachments: []ecstypes.Attachment{{Details: []ecstypes.KeyValuePair{{Name: aws.String("subnetId"), Value: aws.String("subnet-c")}}}}},
	}
	if got := taskSubnets(tasks); len(got) != 1 || got[0] != "subnet-b" {
		t.Errorf("taskSubnets = %v, want [subnet-b]", got)
	}
	if r := arnRegion("arn:aws:ecs:eu-west-1:123456789012:task/demo/abc"); r != "eu-west-1" {
		t.Errorf("arnRegion = %q", r)
	}
}
