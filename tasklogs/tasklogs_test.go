package tasklogs

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
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
	want := []Stream{{"t1", "app", "/ecs/web", "web/app/t1", ""}, {"t1", "ec2", "/ecs/raw", "r-ec2", ""}}
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

type fakeLogs struct {
	region string
	calls  *[]string
}

func (f fakeLogs) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	*f.calls = append(*f.calls, f.region+" "+aws.ToString(in.LogGroupName))
	return &cloudwatchlogs.FilterLogEventsOutput{Events: []cwltypes.FilteredLogEvent{
		{EventId: aws.String("1"), Timestamp: aws.Int64(1000), LogStreamName: aws.String(in.LogStreamNames[0]), Message: aws.String(f.region + "\n")},
	}}, nil
}

// Each stream is read in its awslogs-region, and an event is returned once.
func TestReaderRegionsAndRepeats(t *testing.T) {
	var calls []string
	r := &Reader{API: fakeLogs{"home", &calls}, In: func(region string) API {
		if region == "" {
			return fakeLogs{"home", &calls}
		}
		return fakeLogs{region, &calls}
	}}
	streams := []Stream{{"t1", "app", "/g", "s1", ""}, {"t1", "side", "/g", "s2", "eu-west-1"}}
	lines, err := r.Read(context.Background(), streams)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0] != "home /g" || calls[1] != "eu-west-1 /g" {
		t.Fatalf("calls %v", calls)
	}
	if len(lines) != 2 || lines[0].Message != "home" || lines[1].Container != "side" {
		t.Fatalf("lines %+v", lines)
	}
	if again, _ := r.Read(context.Background(), streams); len(again) != 0 {
		t.Fatalf("second read repeated %+v", again)
	}
}
