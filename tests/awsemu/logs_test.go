package awsemu

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

func TestCloudWatchLogs(t *testing.T) {
	e := startEmulator(t, Options{})
	if err := e.CreateLogGroup(LogGroupSpec{Name: "/ecs/app", RetentionInDays: 7}); err != nil {
		t.Fatal(err)
	}
	t0 := e.now()
	e.AppendLogEvents("/ecs/app", "web/app/task1",
		LogEvent{Time: t0, Message: "starting"},
		LogEvent{Time: t0.Add(2 * time.Second), Message: "ERROR boom"},
		LogEvent{Time: t0.Add(time.Second), Message: "listening on :80"},
	)
	client := cloudwatchlogs.NewFromConfig(sdkConfig(t, e, 1))
	ctx := context.Background()

	groups, err := client.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/")})
	if err != nil || len(groups.LogGroups) != 1 || aws.ToInt32(groups.LogGroups[0].RetentionInDays) != 7 {
		t.Fatalf("groups = %+v, %v", groups, err)
	}
	if _, err := client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/other")}); err != nil {
		t.Fatal(err)
	}
	_, err = client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/other")})
	var exists *logstypes.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("want ResourceAlreadyExistsException, got %v", err)
	}
	groups, _ = client.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/o")})
	if len(groups.LogGroups) != 1 {
		t.Fatalf("prefix filter = %+v", groups.LogGroups)
	}
	_, err = client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/missing"), LogStreamName: aws.String("s")})
	var rnf *logstypes.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Fatalf("want ResourceNotFoundException, got %v", err)
	}
	if _, err := client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/ecs/other"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	ms := t0.UnixMilli()
	if _, err := client.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/ecs/other"), LogStreamName: aws.String("s"),
		LogEvents: []logstypes.InputLogEvent{{Timestamp: aws.Int64(ms), Message: aws.String("one")}, {Timestamp: aws.Int64(ms + 1), Message: aws.String("two")}}}); err != nil {
		t.Fatal(err)
	}
	if got := e.LogEvents("/ecs/other", "s"); len(got) != 2 || got[1] != "two" {
		t.Fatalf("stored events = %v", got)
	}

	ev, err := client.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/app"), LogStreamName: aws.String("web/app/task1"), StartFromHead: aws.Bool(true)})
	if err != nil || len(ev.Events) != 3 || aws.ToString(ev.Events[1].Message) != "listening on :80" {
		t.Fatalf("get events = %+v, %v", ev, err)
	}
	// Paging forward ends when the token stops changing, as the SDK's paginator expects.
	p := cloudwatchlogs.NewGetLogEventsPaginator(client, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/app"), LogStreamName: aws.String("web/app/task1"), StartFromHead: aws.Bool(true), Limit: aws.Int32(2)},
		func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	n := 0
	for i := 0; p.HasMorePages() && i < 10; i++ {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(pg.Events)
	}
	if n != 3 || p.HasMorePages() {
		t.Fatalf("paged %d events, more=%v", n, p.HasMorePages())
	}

	f, err := client.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/app"), FilterPattern: aws.String("ERROR")})
	if err != nil || len(f.Events) != 1 || aws.ToString(f.Events[0].LogStreamName) != "web/app/task1" {
		t.Fatalf("filter = %+v, %v", f, err)
	}
	f, err = client.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/app"), StartTime: aws.Int64(ms + 1000)})
	if err != nil || len(f.Events) != 2 {
		t.Fatalf("filter by time = %+v, %v", f, err)
	}
	_, err = client.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/nope")})
	if !errors.As(err, &rnf) {
		t.Fatalf("want ResourceNotFoundException, got %v", err)
	}
}

func TestMatchFilterPattern(t *testing.T) {
	for _, c := range []struct {
		pattern, msg string
		want         bool
	}{
		{"", "x", true},
		{"ERROR", "an ERROR here", true},
		{"ERROR timeout", "ERROR boom", false},
		{`"connection refused"`, "dial: connection refused", true},
		{"?WARN ?ERROR", "WARN x", true},
		{"?WARN ?ERROR", "INFO x", false},
		{"ERROR -healthcheck", "ERROR healthcheck", false},
	} {
		if got := matchFilterPattern(c.pattern, c.msg); got != c.want {
			t.Errorf("match(%q, %q) = %v", c.pattern, c.msg, got)
		}
	}
}
