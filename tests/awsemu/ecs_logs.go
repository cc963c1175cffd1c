package awsemu

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Container logs. ECS cannot know what a container prints, so the emulator
// reads it from docker labels of the container definition, like the
// exit-code convention (ecs_tasks.go):
//
//	awsemu.log         = "line 1\nline 2"  written when the container starts
//	awsemu.log-on-exit = "FATAL: ..."      written when it exits non-zero
//
// Lines are the label split on "\n" (one trailing newline is ignored); all
// lines of one moment share its timestamp and keep their order.
//
// They reach CloudWatch Logs only through the awslogs driver, modelled as
// ECS (Fargate) runs it: logConfiguration awslogs with awslogs-group, stream
// "<awslogs-stream-prefix>/<container>/<task-id>" (without a prefix, the
// container's runtime id, as on EC2). The stream is created when the
// container starts, even when it prints nothing. A missing group is created
// when awslogs-create-group is "true"; otherwise the task fails to start
// at the end of PENDING with ResourceInitializationError (stopCode
// TaskFailedToStart), the message Fargate gives. Seeded services start
// RUNNING and skip that check: a seed describes containers already running.
const (
	labelLog       = "awsemu.log"
	labelLogOnExit = "awsemu.log-on-exit"
)

// loggerFailureReason is Fargate's stoppedReason for an awslogs group that
// does not exist and may not be created.
const loggerFailureReason = "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: " +
	"failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1"

// awslogsTarget is where one container's awslogs driver writes.
type awslogsTarget struct {
	group, stream string
	createGroup   bool
	// multiline is awslogs-multiline-pattern: a line matching it starts a
	// new log event, the others join the previous event (stack traces).
	multiline *regexp.Regexp
}

// events groups a container's output lines into log events as the awslogs
// driver does.
func (lt awslogsTarget) events(lines []string) []string {
	if lt.multiline == nil || len(lines) == 0 {
		return lines
	}
	var out []string
	for _, l := range lines {
		if len(out) == 0 || lt.multiline.MatchString(l) {
			out = append(out, l)
			continue
		}
		out[len(out)-1] += "\n" + l
	}
	return out
}

// awslogsOf returns the awslogs destination of the i-th container of t;
// false when it does not log with awslogs to a group.
func awslogsOf(t *ecsTask, i int) (awslogsTarget, bool) {
	cd := t.td.td.ContainerDefinitions[i]
	lc := cd.LogConfiguration
	if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs || lc.Options["awslogs-group"] == "" {
		return awslogsTarget{}, false
	}
	stream := t.id + "-" + strconv.Itoa(i) // the container's runtime id
	if prefix := lc.Options["awslogs-stream-prefix"]; prefix != "" {
		stream = prefix + "/" + aws.ToString(cd.Name) + "/" + t.id
	}
	lt := awslogsTarget{group: lc.Options["awslogs-group"], stream: stream, createGroup: lc.Options["awslogs-create-group"] == "true"}
	if p := lc.Options["awslogs-multiline-pattern"]; p != "" {
		lt.multiline, _ = regexp.Compile(p) // an invalid pattern: one event per line
	}
	return lt, true
}

// startLogger validates the awslogs configuration when the task leaves
// PROVISIONING: it creates groups the task may create and returns the
// stoppedReason the task must fail with, "" when logging can start.
func (s *ecsService) startLogger(t *ecsTask, at time.Time) string {
	for i := range t.td.td.ContainerDefinitions {
		lt, ok := awslogsOf(t, i)
		if !ok || s.e.LogGroupExists(lt.group) {
			continue
		}
		if !lt.createGroup {
			return loggerFailureReason
		}
		s.e.appendContainerLog(lt.group, "", at, nil)
	}
	return ""
}

// writeStartLogs creates each awslogs container's stream and writes its
// awsemu.log lines at time at, when its process starts.
func (s *ecsService) writeStartLogs(t *ecsTask, at time.Time) {
	for i, cd := range t.td.td.ContainerDefinitions {
		if lt, ok := awslogsOf(t, i); ok && (lt.createGroup || s.e.LogGroupExists(lt.group)) {
			s.e.appendContainerLog(lt.group, lt.stream, at, lt.events(logLines(cd.DockerLabels[labelLog])))
		}
	}
}

// writeExitLogs writes the awsemu.log-on-exit lines of a container that
// exited with a non-zero code at time at.
func (s *ecsService) writeExitLogs(t *ecsTask, container string, code int32, at time.Time) {
	if code == 0 {
		return
	}
	for i, cd := range t.td.td.ContainerDefinitions {
		if aws.ToString(cd.Name) != container {
			continue
		}
		lines := logLines(cd.DockerLabels[labelLogOnExit])
		if lt, ok := awslogsOf(t, i); ok && len(lines) > 0 && (lt.createGroup || s.e.LogGroupExists(lt.group)) {
			s.e.appendContainerLog(lt.group, lt.stream, at, lt.events(lines))
		}
	}
}

func logLines(label string) []string {
	if label == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(label, "\n"), "\n")
}

// appendContainerLog writes lines to group/stream at time at, creating the
// group and (when stream is not empty) the stream with that creation time.
func (e *Emulator) appendContainerLog(group, stream string, at time.Time, lines []string) {
	s := e.services.logs
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groupLocked(group, true)
	if stream == "" {
		return
	}
	st := g.streams[stream]
	if st == nil {
		st = &logStream{name: stream, created: at}
		g.streams[stream] = st
	}
	ingested := millis(e.now())
	for _, l := range lines {
		s.insertLocked(st, logEvent{ts: millis(at), ingested: ingested, msg: l})
	}
}

// syncECS replays ECS up to the clock's now, so that a CloudWatch Logs read
// sees every container line due by then even when no ECS request came in
// since the clock moved. It must be called without the logs lock held: ECS
// takes it while replaying.
func (e *Emulator) syncECS() {
	s := e.services.ecs
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(e.now())
}
