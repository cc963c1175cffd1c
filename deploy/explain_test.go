package deploy

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

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

// "Last service events:" heads only events it can show: none, or only blank
// ones (as a rolled-back fleet service once printed), leave no bare header,
// and the next step then points nowhere "above".
func TestExplanationEventsHeaderOnlyOverEvents(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 1, 20, 0, time.UTC)
	stopped := []StoppedGroup{{Count: 1, Reason: "Essential container in task exited", TaskIDs: []string{"t1"}}}
	for _, tc := range []struct {
		name   string
		events []ServiceEvent
		want   []string // event lines expected under the header; nil: no header
	}{
		{name: "no events"},
		{name: "blank events", events: []ServiceEvent{{Time: at, Message: ""}, {Time: at, Message: "  "}}},
		{name: "events", events: []ServiceEvent{{Time: at, Message: ""}, {Time: at, Message: "(service web) rolling back to deployment ecs-svc/1."}},
			want: []string{"(service web) rolling back to deployment ecs-svc/1."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, ex := range []*Explanation{{Events: tc.events}, {Events: tc.events, StoppedTasks: stopped}} {
				lines := ex.Lines()
				i := slices.Index(lines, "Last service events:")
				if tc.want == nil {
					if i >= 0 {
						t.Fatalf("header without events:\n%s", strings.Join(lines, "\n"))
					}
					if strings.Contains(ex.NextStep(), "above") {
						t.Errorf("next step points at events not shown: %s", ex.NextStep())
					}
					continue
				}
				if i < 0 || len(lines) < i+1+len(tc.want) {
					t.Fatalf("no header over the events:\n%s", strings.Join(lines, "\n"))
				}
				for j, w := range tc.want {
					if got := lines[i+1+j]; !strings.HasPrefix(got, "  ") || !strings.HasSuffix(got, " "+w) {
						t.Errorf("line %d under the header = %q, want the event %q", j, got, w)
					}
				}
				if n := i + 1 + len(tc.want); n < len(lines) && strings.HasPrefix(lines[n], "  ") {
					t.Errorf("more event lines than events: %q", lines[n])
				}
			}
		})
	}
}
