// Package tasklogs reads what the containers of ECS tasks wrote through the
// awslogs driver: it finds each container's log stream and reads the
// streams of one log group together with FilterLogEvents, oldest first,
// once or following them.
package tasklogs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// API is what reading needs from CloudWatch Logs.
type API interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// Stream is one container's awslogs stream.
type Stream struct {
	TaskID, Container string
	Group, Name       string
	Region            string // awslogs-region; "" for the clients' own
}

// Line is one log event of a container.
type Line struct {
	TaskID, Container string
	Time              time.Time
	Message           string
}

// Streams lists the awslogs streams of the tasks' containers (only
// container, when not empty). tds holds each task's task definition by ARN.
// Containers that do not log with awslogs are named in skipped.
func Streams(tasks []ecstypes.Task, tds map[string]*ecstypes.TaskDefinition, container string) (streams []Stream, skipped []string) {
	seen := map[string]bool{}
	for _, t := range tasks {
		arn := aws.ToString(t.TaskArn)
		id := arn[strings.LastIndex(arn, "/")+1:]
		td := tds[aws.ToString(t.TaskDefinitionArn)]
		if td == nil {
			continue
		}
		for _, cd := range td.ContainerDefinitions {
			name := aws.ToString(cd.Name)
			if container != "" && name != container {
				continue
			}
			lc := cd.LogConfiguration
			if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs || lc.Options["awslogs-group"] == "" {
				if !seen[name] {
					seen[name] = true
					skipped = append(skipped, name)
				}
				continue
			}
			stream := ""
			if prefix := lc.Options["awslogs-stream-prefix"]; prefix != "" {
				stream = prefix + "/" + name + "/" + id
			} else {
				// Without a prefix (EC2 only) the stream is the container's id.
				for _, c := range t.Containers {
					if aws.ToString(c.Name) == name {
						stream = aws.ToString(c.RuntimeId)
					}
				}
			}
			if stream != "" {
				streams = append(streams, Stream{TaskID: id, Container: name, Group: lc.Options["awslogs-group"], Name: stream, Region: lc.Options["awslogs-region"]})
			}
		}
	}
	return streams, skipped
}

// Reader reads the streams from Since on; each Read returns what is new
// since the previous one.
type Reader struct {
	API API
	// In, when set, gives the client for a stream's awslogs-region (a
	// container may log to another region than the service runs in).
	In    func(region string) API
	Since time.Time // zero: from the streams' beginning

	last map[string]int64           // per group: newest timestamp returned
	seen map[string]map[string]bool // per group: ids of the events at that timestamp
}

// maxStreamsPerCall is FilterLogEvents' limit on logStreamNames.
const maxStreamsPerCall = 100

// Read returns the new lines of every stream, oldest first. A group that
// does not exist (yet) has no lines.
func (r *Reader) Read(ctx context.Context, streams []Stream) ([]Line, error) {
	if r.last == nil {
		r.last, r.seen = map[string]int64{}, map[string]map[string]bool{}
	}
	byGroup := map[string][]Stream{} // by region and group
	for _, s := range streams {
		k := s.Region + "\x00" + s.Group
		byGroup[k] = append(byGroup[k], s)
	}
	var lines []Line
	for _, k := range sortedKeys(byGroup) {
		ss := byGroup[k]
		api := r.API
		if r.In != nil {
			api = r.In(ss[0].Region)
		}
		for len(ss) > 0 {
			n := min(maxStreamsPerCall, len(ss))
			got, err := r.readGroup(ctx, api, k, ss[:n])
			if err != nil {
				return lines, err
			}
			lines = append(lines, got...)
			ss = ss[n:]
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
	return lines, nil
}

// readGroup reads streams of one log group; key names the group in the
// reader's state.
func (r *Reader) readGroup(ctx context.Context, api API, key string, streams []Stream) ([]Line, error) {
	group := streams[0].Group
	byName := map[string]Stream{}
	names := make([]string, 0, len(streams))
	for _, s := range streams {
		byName[s.Name] = s
		names = append(names, s.Name)
	}
	start, ok := r.last[key]
	if !ok && !r.Since.IsZero() {
		start = r.Since.UnixMilli()
	}
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), LogStreamNames: names}
	if start > 0 {
		// Inclusive: events of the same millisecond may arrive after a
		// read; the ids seen at that instant keep them from repeating.
		in.StartTime = aws.Int64(start)
	}
	var lines []Line
	newest, seen := start, r.seen[key]
	p := cloudwatchlogs.NewFilterLogEventsPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if isNotFound(err) {
				return nil, nil
			}
			return lines, fmt.Errorf("read log group %s: %w", group, err)
		}
		for _, e := range page.Events {
			ts, id := aws.ToInt64(e.Timestamp), aws.ToString(e.EventId)
			if ts < start || (ts == start && seen[id]) {
				continue
			}
			if ts > newest {
				newest, seen = ts, map[string]bool{}
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[id] = true
			s := byName[aws.ToString(e.LogStreamName)]
			lines = append(lines, Line{TaskID: s.TaskID, Container: s.Container, Time: time.UnixMilli(ts).UTC(), Message: strings.TrimRight(aws.ToString(e.Message), "\n")})
		}
	}
	r.last[key], r.seen[key] = newest, seen
	return lines, nil
}

func isNotFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
