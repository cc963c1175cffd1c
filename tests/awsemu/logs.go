package awsemu

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// logsService is CloudWatch Logs: groups, streams and their events.
type logsService struct {
	e      *Emulator
	mu     sync.Mutex
	groups map[string]*logGroup
	seq    int64 // event ids
}

type logGroup struct {
	name      string
	created   time.Time
	retention *int32
	streams   map[string]*logStream
}

type logStream struct {
	name    string
	created time.Time
	events  []logEvent // sorted by timestamp
}

type logEvent struct {
	ts, ingested int64 // epoch milliseconds
	msg          string
	id           int64
}

// LogEvent is one event appended through the Go API.
type LogEvent struct {
	Time    time.Time
	Message string
}

// LogGroupSpec describes a log group to seed.
type LogGroupSpec struct {
	Name            string `json:"name" yaml:"name"`
	RetentionInDays int32  `json:"retentionInDays,omitempty" yaml:"retentionInDays,omitempty"`
}

func newLogsService(e *Emulator) *logsService {
	s := &logsService{e: e, groups: map[string]*logGroup{}}
	e.addJSONService("Logs_20140328", "Logs", true, map[string]jsonOp{
		"DescribeLogGroups":  op(s.describeLogGroups),
		"CreateLogGroup":     op(s.createLogGroup),
		"DescribeLogStreams": op(s.describeLogStreams),
		"CreateLogStream":    op(s.createLogStream),
		"PutLogEvents":       op(s.putLogEvents),
		"GetLogEvents":       op(s.getLogEvents),
		"FilterLogEvents":    op(s.filterLogEvents),
	})
	return s
}

func millis(t time.Time) int64 { return t.UnixMilli() }

// CreateLogGroup creates a log group (no-op when it exists).
func (e *Emulator) CreateLogGroup(spec LogGroupSpec) error {
	if spec.Name == "" {
		return fmt.Errorf("create log group: name is empty")
	}
	s := e.services.logs
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groupLocked(spec.Name, true)
	if spec.RetentionInDays > 0 {
		g.retention = aws.Int32(spec.RetentionInDays)
	}
	return nil
}

// LogGroupExists tells whether a log group exists, so ECS can fail tasks
// whose awslogs driver points at a missing group.
func (e *Emulator) LogGroupExists(name string) bool {
	s := e.services.logs
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.groups[name] != nil
}

// AppendLogEvents writes events to group/stream, creating both when
// missing; ECS tasks and tests use it to produce container logs.
func (e *Emulator) AppendLogEvents(group, stream string, events ...LogEvent) {
	s := e.services.logs
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groupLocked(group, true)
	st := g.streams[stream]
	if st == nil {
		st = &logStream{name: stream, created: e.now()}
		g.streams[stream] = st
	}
	now := millis(e.now())
	for _, ev := range events {
		ts := ev.Time
		if ts.IsZero() {
			ts = e.now()
		}
		s.insertLocked(st, logEvent{ts: millis(ts), ingested: now, msg: ev.Message})
	}
}

// LogEvents returns the messages of one stream in time order (for tests).
func (e *Emulator) LogEvents(group, stream string) []string {
	e.syncECS()
	s := e.services.logs
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[group]
	if g == nil || g.streams[stream] == nil {
		return nil
	}
	var out []string
	for _, ev := range g.streams[stream].events {
		out = append(out, ev.msg)
	}
	return out
}

func (s *logsService) groupLocked(name string, create bool) *logGroup {
	g := s.groups[name]
	if g == nil && create {
		g = &logGroup{name: name, created: s.e.now(), streams: map[string]*logStream{}}
		s.groups[name] = g
	}
	return g
}

func (s *logsService) insertLocked(st *logStream, ev logEvent) {
	s.seq++
	ev.id = s.seq
	i := sort.Search(len(st.events), func(i int) bool { return st.events[i].ts > ev.ts })
	st.events = append(st.events, logEvent{})
	copy(st.events[i+1:], st.events[i:])
	st.events[i] = ev
}

func (s *logsService) groupARN(name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", s.e.Region(), s.e.AccountID(), name)
}

// groupName resolves logGroupName or logGroupIdentifier (a name or an ARN).
func groupName(name, identifier *string) string {
	if name != nil {
		return *name
	}
	id := aws.ToString(identifier)
	if strings.HasPrefix(id, "arn:") {
		if _, rest, ok := strings.Cut(id, ":log-group:"); ok {
			return strings.TrimSuffix(rest, ":*")
		}
	}
	return id
}

// streamLocked finds a stream of an existing group, failing as CloudWatch
// Logs does when either is missing.
func (s *logsService) streamLocked(group, stream string) (*logStream, error) {
	g := s.groups[group]
	if g == nil {
		return nil, groupNotFound()
	}
	st := g.streams[stream]
	if st == nil {
		return nil, apiErr("ResourceNotFoundException", "The specified log stream does not exist.")
	}
	return st, nil
}

func groupNotFound() *APIError {
	return apiErr("ResourceNotFoundException", "The specified log group does not exist.")
}

func (s *logsService) describeLogGroups(in *cloudwatchlogs.DescribeLogGroupsInput) (any, error) {
	s.e.syncECS() // container logs due by now (ecs_logs.go)
	s.mu.Lock()
	defer s.mu.Unlock()
	var groups []logstypes.LogGroup
	for _, name := range sortedKeys(s.groups) {
		if in.LogGroupNamePrefix != nil && !strings.HasPrefix(name, *in.LogGroupNamePrefix) {
			continue
		}
		if in.LogGroupNamePattern != nil && !strings.Contains(strings.ToLower(name), strings.ToLower(*in.LogGroupNamePattern)) {
			continue
		}
		g := s.groups[name]
		var stored int64
		for _, st := range g.streams {
			for _, ev := range st.events {
				stored += int64(len(ev.msg))
			}
		}
		groups = append(groups, logstypes.LogGroup{
			LogGroupName: aws.String(name), Arn: aws.String(s.groupARN(name) + ":*"), LogGroupArn: aws.String(s.groupARN(name)),
			CreationTime: aws.Int64(millis(g.created)), StoredBytes: aws.Int64(stored), RetentionInDays: g.retention,
			MetricFilterCount: aws.Int32(0), LogGroupClass: logstypes.LogGroupClassStandard,
		})
	}
	pg, next, err := pageOf(groups, in.Limit, in.NextToken, 50)
	if err != nil {
		return nil, err
	}
	return &cloudwatchlogs.DescribeLogGroupsOutput{LogGroups: emptyIfNil(pg), NextToken: next}, nil
}

func (s *logsService) createLogGroup(in *cloudwatchlogs.CreateLogGroupInput) (any, error) {
	name := aws.ToString(in.LogGroupName)
	if name == "" || len(name) > 512 {
		return nil, apiErr("InvalidParameterException", "1 validation error detected: Value '%s' at 'logGroupName' failed to satisfy constraint: Member must have length greater than or equal to 1", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups[name] != nil {
		return nil, apiErr("ResourceAlreadyExistsException", "The specified log group already exists")
	}
	s.groupLocked(name, true)
	return &cloudwatchlogs.CreateLogGroupOutput{}, nil
}

func (s *logsService) describeLogStreams(in *cloudwatchlogs.DescribeLogStreamsInput) (any, error) {
	s.e.syncECS() // container logs due by now (ecs_logs.go)
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[groupName(in.LogGroupName, in.LogGroupIdentifier)]
	if g == nil {
		return nil, groupNotFound()
	}
	var streams []logstypes.LogStream
	for _, name := range sortedKeys(g.streams) {
		if in.LogStreamNamePrefix != nil && !strings.HasPrefix(name, *in.LogStreamNamePrefix) {
			continue
		}
		st := g.streams[name]
		ls := logstypes.LogStream{
			LogStreamName: aws.String(name), CreationTime: aws.Int64(millis(st.created)),
			Arn: aws.String(fmt.Sprintf("%s:log-stream:%s", s.groupARN(g.name), name)), StoredBytes: aws.Int64(0),
		}
		if n := len(st.events); n > 0 {
			ls.FirstEventTimestamp = aws.Int64(st.events[0].ts)
			ls.LastEventTimestamp = aws.Int64(st.events[n-1].ts)
			ls.LastIngestionTime = aws.Int64(st.events[n-1].ingested)
		}
		streams = append(streams, ls)
	}
	if in.OrderBy == logstypes.OrderByLastEventTime {
		sort.SliceStable(streams, func(i, j int) bool {
			return aws.ToInt64(streams[i].LastEventTimestamp) < aws.ToInt64(streams[j].LastEventTimestamp)
		})
	}
	if aws.ToBool(in.Descending) {
		for i, j := 0, len(streams)-1; i < j; i, j = i+1, j-1 {
			streams[i], streams[j] = streams[j], streams[i]
		}
	}
	pg, next, err := pageOf(streams, in.Limit, in.NextToken, 50)
	if err != nil {
		return nil, err
	}
	return &cloudwatchlogs.DescribeLogStreamsOutput{LogStreams: emptyIfNil(pg), NextToken: next}, nil
}

func (s *logsService) createLogStream(in *cloudwatchlogs.CreateLogStreamInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[aws.ToString(in.LogGroupName)]
	if g == nil {
		return nil, groupNotFound()
	}
	name := aws.ToString(in.LogStreamName)
	if name == "" || strings.ContainsAny(name, ":*") {
		return nil, apiErr("InvalidParameterException", "1 validation error detected: Value '%s' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*", name)
	}
	if g.streams[name] != nil {
		return nil, apiErr("ResourceAlreadyExistsException", "The specified log stream already exists")
	}
	g.streams[name] = &logStream{name: name, created: s.e.now()}
	return &cloudwatchlogs.CreateLogStreamOutput{}, nil
}

func (s *logsService) putLogEvents(in *cloudwatchlogs.PutLogEventsInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.streamLocked(aws.ToString(in.LogGroupName), aws.ToString(in.LogStreamName))
	if err != nil {
		return nil, err
	}
	if len(in.LogEvents) == 0 {
		return nil, apiErr("InvalidParameterException", "1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	for i := 1; i < len(in.LogEvents); i++ {
		if aws.ToInt64(in.LogEvents[i].Timestamp) < aws.ToInt64(in.LogEvents[i-1].Timestamp) {
			return nil, apiErr("InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	now := millis(s.e.now())
	for _, ev := range in.LogEvents {
		s.insertLocked(st, logEvent{ts: aws.ToInt64(ev.Timestamp), ingested: now, msg: aws.ToString(ev.Message)})
	}
	return &cloudwatchlogs.PutLogEventsOutput{NextSequenceToken: aws.String(fmt.Sprintf("%056d", s.seq))}, nil
}

func inRange(ts int64, start, end *int64) bool {
	return (start == nil || ts >= *start) && (end == nil || ts < *end)
}

func (s *logsService) getLogEvents(in *cloudwatchlogs.GetLogEventsInput) (any, error) {
	s.e.syncECS() // container logs due by now (ecs_logs.go)
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.streamLocked(groupName(in.LogGroupName, in.LogGroupIdentifier), aws.ToString(in.LogStreamName))
	if err != nil {
		return nil, err
	}
	var evs []logEvent
	for _, ev := range st.events {
		if inRange(ev.ts, in.StartTime, in.EndTime) {
			evs = append(evs, ev)
		}
	}
	limit := 10000
	if in.Limit != nil && *in.Limit > 0 {
		limit = int(*in.Limit)
	}
	var start, end int
	tok := aws.ToString(in.NextToken)
	switch {
	case strings.HasPrefix(tok, "f/"), strings.HasPrefix(tok, "b/"):
		n, err := strconv.Atoi(tok[2:])
		if err != nil || n > len(evs) {
			return nil, apiErr("InvalidParameterException", "The specified nextToken is invalid.")
		}
		if tok[0] == 'f' {
			start, end = n, min(n+limit, len(evs))
		} else {
			start, end = max(0, n-limit), n
		}
	case tok != "":
		return nil, apiErr("InvalidParameterException", "The specified nextToken is invalid.")
	case aws.ToBool(in.StartFromHead):
		start, end = 0, min(limit, len(evs))
	default:
		start, end = max(0, len(evs)-limit), len(evs)
	}
	out := &cloudwatchlogs.GetLogEventsOutput{
		Events:            []logstypes.OutputLogEvent{},
		NextForwardToken:  aws.String(fmt.Sprintf("f/%056d", end)),
		NextBackwardToken: aws.String(fmt.Sprintf("b/%056d", start)),
	}
	for _, ev := range evs[start:end] {
		out.Events = append(out.Events, logstypes.OutputLogEvent{Timestamp: aws.Int64(ev.ts), IngestionTime: aws.Int64(ev.ingested), Message: aws.String(ev.msg)})
	}
	return out, nil
}

// matchFilterPattern supports CloudWatch Logs' term patterns: every plain
// term (or "quoted phrase") must appear, ?term alternatives need one match,
// -term must not appear. JSON and space-delimited patterns match everything.
func matchFilterPattern(pattern, msg string) bool {
	pattern = strings.TrimSpace(pattern)
	if pattern == "" || strings.HasPrefix(pattern, "{") || strings.HasPrefix(pattern, "[") {
		return true
	}
	var terms []string
	for rest := pattern; rest != ""; {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			break
		}
		prefix := ""
		if rest[0] == '?' || rest[0] == '-' {
			prefix, rest = rest[:1], rest[1:]
		}
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				terms, rest = append(terms, prefix+rest[1:]), ""
				continue
			}
			terms, rest = append(terms, prefix+rest[1:end+1]), rest[end+2:]
			continue
		}
		word, after, _ := strings.Cut(rest, " ")
		terms, rest = append(terms, prefix+word), after
	}
	anyOf, anyMatched := false, false
	for _, t := range terms {
		switch {
		case strings.HasPrefix(t, "?"):
			anyOf = true
			if strings.Contains(msg, t[1:]) {
				anyMatched = true
			}
		case strings.HasPrefix(t, "-") && len(t) > 1:
			if strings.Contains(msg, t[1:]) {
				return false
			}
		default:
			if !strings.Contains(msg, t) {
				return false
			}
		}
	}
	return !anyOf || anyMatched
}

func (s *logsService) filterLogEvents(in *cloudwatchlogs.FilterLogEventsInput) (any, error) {
	s.e.syncECS() // container logs due by now (ecs_logs.go)
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[groupName(in.LogGroupName, in.LogGroupIdentifier)]
	if g == nil {
		return nil, groupNotFound()
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != nil {
		return nil, apiErr("InvalidParameterException", "You cannot specify both LogStreamNames and LogStreamNamePrefix.")
	}
	var evs []logstypes.FilteredLogEvent
	var searched []logstypes.SearchedLogStream
	for _, name := range sortedKeys(g.streams) {
		if len(in.LogStreamNames) > 0 && !hasString(in.LogStreamNames, name) {
			continue
		}
		if in.LogStreamNamePrefix != nil && !strings.HasPrefix(name, *in.LogStreamNamePrefix) {
			continue
		}
		searched = append(searched, logstypes.SearchedLogStream{LogStreamName: aws.String(name), SearchedCompletely: aws.Bool(true)})
		for _, ev := range g.streams[name].events {
			if inRange(ev.ts, in.StartTime, in.EndTime) && matchFilterPattern(aws.ToString(in.FilterPattern), ev.msg) {
				evs = append(evs, logstypes.FilteredLogEvent{
					LogStreamName: aws.String(name), Timestamp: aws.Int64(ev.ts), IngestionTime: aws.Int64(ev.ingested),
					Message: aws.String(ev.msg), EventId: aws.String(fmt.Sprintf("%056d", ev.id)),
				})
			}
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return aws.ToInt64(evs[i].Timestamp) < aws.ToInt64(evs[j].Timestamp) })
	pg, next, err := pageOf(evs, in.Limit, in.NextToken, 10000)
	if err != nil {
		return nil, err
	}
	return &cloudwatchlogs.FilterLogEventsOutput{Events: emptyIfNil(pg), NextToken: next, SearchedLogStreams: searched}, nil
}
