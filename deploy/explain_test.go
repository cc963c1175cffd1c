package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

type explainECS struct {
	ECSAPI
	td *ecstypes.TaskDefinition
}

func (f explainECS) DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: f.td}, nil
}

type explainLogs struct{ asked []string }

func (f *explainLogs) GetLogEvents(_ context.Context, in *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	f.asked = append(f.asked, aws.ToString(in.LogGroupName)+" "+aws.ToString(in.LogStreamName))
	return &cloudwatchlogs.GetLogEventsOutput{Events: []logstypes.OutputLogEvent{
		{Message: aws.String("connecting to db\n")}, {Message: aws.String("panic: no DB_HOST")},
	}}, nil
}

// The failing container's awslogs stream is <prefix>/<container>/<task id>;
// containers that exited 0 and non-awslogs containers are not read.
func TestLastLogLinesOfFailingContainer(t *testing.T) {
	awslogs := func(prefix string) *ecstypes.LogConfiguration {
		return &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/web", "awslogs-stream-prefix": prefix}}
	}
	td := &ecstypes.TaskDefinition{ContainerDefinitions: []ecstypes.ContainerDefinition{
		{Name: aws.String("app"), LogConfiguration: awslogs("web")},
		{Name: aws.String("sidecar"), LogConfiguration: awslogs("web")},
	}}
	tasks := []ecstypes.Task{{
		TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/demo/abc123"), TaskDefinitionArn: aws.String(tdNew),
		Containers: []ecstypes.Container{
			{Name: aws.String("app"), ExitCode: aws.Int32(1)},
			{Name: aws.String("sidecar"), ExitCode: aws.Int32(0)},
		},
	}}
	logs := &explainLogs{}
	got, problems := lastLogLines(context.Background(), explainECS{td: td}, logs, tasks)
	if len(problems) != 0 || len(got) != 1 {
		t.Fatalf("logs %+v problems %v", got, problems)
	}
	if strings.Join(logs.asked, ",") != "/ecs/web web/app/abc123" {
		t.Errorf("read %v", logs.asked)
	}
	ex := &Explanation{Logs: got}
	text := strings.Join(ex.Lines(), "\n")
	if !strings.Contains(text, "  | connecting to db\n  | panic: no DB_HOST") {
		t.Errorf("explanation:\n%s", text)
	}
}
