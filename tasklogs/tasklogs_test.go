package tasklogs

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestStreams(t *testing.T) {
	awslogs := func(group, prefix string) *ecstypes.LogConfiguration {
		opts := map[string]string{"awslogs-group": group}
		if prefix != "" {
			opts["awslogs-stream-prefix"] = prefix
		}
		return &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: opts}
	}
	td := &ecstypes.TaskDefinition{ContainerDefinitions: []ecstypes.ContainerDefinition{
		{Name: aws.String("app"), LogConfiguration: awslogs("/ecs/web", "web")},
		{Name: aws.String("ec2"), LogConfiguration: awslogs("/ecs/raw", "")},
		{Name: aws.String("splunk"), LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverSplunk}},
	}}
	tasks := []ecstypes.Task{{TaskArn: aws.String("arn:aws:ecs:us-east-1:1:task/demo/t1"), TaskDefinitionArn: aws.String("td:1"),
		Containers: []ecstypes.Container{{Name: aws.String("app"), RuntimeId: aws.String("r-app")}, {Name: aws.String("ec2"), RuntimeId: aws.String("r-ec2")}}}}
	tds := map[string]*ecstypes.TaskDefinition{"td:1": td}

	streams, skipped := Streams(tasks, tds, "")
	want := []Stream{{"t1", "app", "/ecs/web", "web/app/t1"}, {"t1", "ec2", "/ecs/raw", "r-ec2"}}
	if len(streams) != 2 || streams[0] != want[0] || streams[1] != want[1] {
		t.Fatalf("streams %+v, want %+v", streams, want)
	}
	if len(skipped) != 1 || skipped[0] != "splunk" {
		t.Fatalf("skipped %v, want [splunk]", skipped)
	}
	if streams, _ := Streams(tasks, tds, "app"); len(streams) != 1 || streams[0].Container != "app" {
		t.Fatalf("--container app: %+v", streams)
	}
}
