package awsemu

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/tests/awsemu/ec2"
)

// Test convention for failing containers. ECS cannot know what a container
// does, so the emulator reads it from docker labels of the container
// definition:
//
//	awsemu.exit-code  = "N"    the container exits with code N
//	awsemu.exit-after = "30s"  ... after running this long (Go duration). Without
//	                           it the container exits while starting, so the
//	                           task never reaches RUNNING.
//	awsemu.start-after = "12.5s" the container's image pull and start take
//	                           this long (PENDING → RUNNING) instead of
//	                           ECSTimings.Pending; the task waits for its
//	                           slowest container. Benchmarks give services
//	                           rollouts of their own lengths with it.
//
// An essential container that exits stops its task with stoppedReason
// "Essential container in task exited", stopCode EssentialContainerExited and
// the container's exitCode. A service task stopped that way counts as a
// failed task of its deployment (and may trip the circuit breaker). RunTask
// tasks without the label exit with code 0 after ECSTimings.RunTask.
// What containers print (awsemu.log, awsemu.log-on-exit) is in ecs_logs.go.
const (
	labelExitCode   = "awsemu.exit-code"
	labelExitAfter  = "awsemu.exit-after"
	labelStartAfter = "awsemu.start-after"
)

type ecsTask struct {
	id, arn string
	cluster *ecsCluster
	svc     *ecsSvc        // nil for RunTask tasks
	dep     *ecsDeployment // nil for RunTask tasks
	td      *ecsTaskDef
	base    ecstypes.Task // fixed fields: group, startedBy, launch type, overrides...

	lastStatus, desiredStatus string
	due                       time.Time // next lifecycle transition; zero when none

	createdAt                               time.Time
	pullStartedAt, pullStoppedAt, startedAt *time.Time
	stoppingAt, stoppedAt                   *time.Time
	stopCode                                ecstypes.TaskStopCode
	stoppedReason                           string
	pullFailure                             string   // image that cannot be pulled
	logFailure                              string   // stoppedReason when the awslogs driver cannot start (ecs_logs.go)
	eni                                     *ec2.ENI // Fargate awsvpc tasks: where they reach AWS from (ecs_network.go)
	exitPlanned                             bool
	exitAfter                               time.Duration
	exitContainer                           string
	exitCode                                int32
	startAfter                              time.Duration // awsemu.start-after; 0: ECSTimings.Pending
	containers                              []ecstypes.Container
	version                                 int64 // bumped on every change, as ECS does
}

// newTask places a task; it starts PROVISIONING at now.
func (s *ecsService) newTask(c *ecsCluster, td *ecsTaskDef, spec deploySpec, now time.Time, runTask bool) *ecsTask {
	id := s.e.newID(16)
	t := &ecsTask{id: id, arn: s.arn("task/" + c.name + "/" + id), cluster: c, td: td,
		lastStatus: "PROVISIONING", desiredStatus: "RUNNING", createdAt: now, version: 1, due: now.Add(s.minDur(s.timings.Provision))}
	t.base = ecstypes.Task{
		TaskArn: aws.String(t.arn), ClusterArn: aws.String(c.arn), TaskDefinitionArn: aws.String(td.arn()),
		Cpu: td.td.Cpu, Memory: td.td.Memory, LaunchType: spec.launchType, PlatformVersion: spec.platformVersion,
		AvailabilityZone: aws.String(s.e.opts.Region + "a"), Attributes: []ecstypes.Attribute{},
		EnableExecuteCommand: spec.execCommand, HealthStatus: ecstypes.HealthStatusUnknown,
	}
	if spec.platformVersion != nil {
		// A task runs on a concrete platform version: LATEST is 1.4.0 today.
		t.base.PlatformVersion = aws.String("1.4.0")
		if v := aws.ToString(spec.platformVersion); v != "LATEST" && v != "" {
			t.base.PlatformVersion = aws.String(v)
		}
		t.base.PlatformFamily = aws.String("Linux")
	}
	if len(spec.capacityProviders) > 0 {
		t.base.CapacityProviderName = spec.capacityProviders[0].CapacityProvider
	}
	if spec.launchType == ecstypes.LaunchTypeEc2 && len(c.instances) > 0 {
		t.base.ContainerInstanceArn = aws.String(c.instances[len(c.tasks)%len(c.instances)])
	}
	t.eni = taskENI(spec)
	if spec.networkConfiguration != nil && spec.networkConfiguration.AwsvpcConfiguration != nil {
		eni := s.e.newID(9)[1:]
		ip := fmt.Sprintf("10.0.%d.%d", (len(c.tasks)/250)%250, len(c.tasks)%250+2)
		t.base.Attachments = []ecstypes.Attachment{{
			Id: aws.String(s.uuid()), Type: aws.String("ElasticNetworkInterface"), Status: aws.String("ATTACHED"),
			Details: []ecstypes.KeyValuePair{
				{Name: aws.String("subnetId"), Value: aws.String(spec.networkConfiguration.AwsvpcConfiguration.Subnets[0])},
				{Name: aws.String("networkInterfaceId"), Value: aws.String("eni-" + eni)},
				{Name: aws.String("privateIPv4Address"), Value: aws.String(ip)},
			},
		}}
	}
	for _, cd := range td.td.ContainerDefinitions {
		ctr := ecstypes.Container{
			ContainerArn: aws.String(s.arn("container/" + c.name + "/" + id + "/" + s.uuid())), TaskArn: aws.String(t.arn),
			Name: cd.Name, Image: cd.Image, LastStatus: aws.String("PENDING"), HealthStatus: ecstypes.HealthStatusUnknown,
			Cpu: aws.String(strconv.Itoa(int(cd.Cpu))), NetworkBindings: []ecstypes.NetworkBinding{}, NetworkInterfaces: []ecstypes.NetworkInterface{},
		}
		if cd.Memory != nil {
			ctr.Memory = aws.String(strconv.Itoa(int(*cd.Memory)))
		}
		if cd.MemoryReservation != nil {
			ctr.MemoryReservation = aws.String(strconv.Itoa(int(*cd.MemoryReservation)))
		}
		if t.base.Attachments != nil {
			ctr.NetworkInterfaces = []ecstypes.NetworkInterface{{AttachmentId: t.base.Attachments[0].Id, PrivateIpv4Address: t.base.Attachments[0].Details[2].Value}}
		}
		t.containers = append(t.containers, ctr)
		if d, err := time.ParseDuration(strings.TrimSpace(cd.DockerLabels[labelStartAfter])); err == nil && d > t.startAfter {
			t.startAfter = d
		}
		if t.pullFailure == "" {
			if exists, known := s.e.imageExists(aws.ToString(cd.Image)); known && !exists {
				t.pullFailure = aws.ToString(cd.Image)
			}
		}
		if !aws.ToBool(cd.Essential) {
			continue
		}
		if v, ok := cd.DockerLabels[labelExitCode]; ok {
			code, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				code = 1
			}
			after, _ := time.ParseDuration(strings.TrimSpace(cd.DockerLabels[labelExitAfter]))
			if !t.exitPlanned || after < t.exitAfter {
				t.exitPlanned, t.exitAfter, t.exitCode, t.exitContainer = true, after, int32(code), aws.ToString(cd.Name)
			}
		}
	}
	if runTask && !t.exitPlanned {
		t.exitPlanned, t.exitAfter, t.exitCode = true, s.timings.RunTask, 0
		t.exitContainer = aws.ToString(td.td.ContainerDefinitions[0].Name)
	}
	c.tasks = append(c.tasks, t)
	c.taskByID[id] = t
	return t
}

// minDur keeps every lifecycle step strictly positive so that a failing
// deployment cannot spin forever at one instant.
func (s *ecsService) minDur(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return time.Millisecond
	}
	return d
}

// transition moves t to its next lifecycle state at time at.
func (s *ecsService) transition(t *ecsTask, at time.Time) {
	t.version++
	switch t.lastStatus {
	case "PROVISIONING":
		t.lastStatus = "PENDING"
		t.pullStartedAt = aws.Time(at)
		pending := s.timings.Pending
		if t.startAfter > 0 {
			pending = t.startAfter
		}
		t.due = at.Add(s.minDur(pending))
		t.logFailure = s.startLogger(t, at)
	case "PENDING":
		if reason := s.networkFailure(t); reason != "" {
			s.stopTaskAt(t, at, ecstypes.TaskStopCodeTaskFailedToStart, reason, true)
			return
		}
		if t.pullFailure != "" {
			ref := t.pullFailure
			reason := fmt.Sprintf("CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref %s: %s: not found", ref, ref)
			for i := range t.containers {
				if aws.ToString(t.containers[i].Image) == ref {
					t.containers[i].Reason = aws.String(reason)
				}
			}
			s.stopTaskAt(t, at, ecstypes.TaskStopCodeTaskFailedToStart, reason, true)
			return
		}
		if t.logFailure != "" {
			s.stopTaskAt(t, at, ecstypes.TaskStopCodeTaskFailedToStart, t.logFailure, true)
			return
		}
		s.writeStartLogs(t, at)
		if t.exitPlanned && t.exitAfter <= 0 {
			// A container that exits at once never reaches RUNNING, so it
			// never counts as healthy for the scheduler.
			s.exitTask(t, at)
			return
		}
		t.lastStatus = "RUNNING"
		t.pullStoppedAt, t.startedAt = aws.Time(at), aws.Time(at)
		for i := range t.containers {
			t.containers[i].LastStatus = aws.String("RUNNING")
			t.containers[i].RuntimeId = aws.String(t.id + "-" + strconv.Itoa(i))
			t.containers[i].ImageDigest = aws.String(s.e.imageDigest(aws.ToString(t.containers[i].Image)))
		}
		t.due = time.Time{}
		if t.exitPlanned {
			t.due = at.Add(t.exitAfter)
		}
	case "RUNNING":
		s.exitTask(t, at)
	case "DEACTIVATING":
		t.lastStatus = "STOPPING"
		t.due = at.Add(s.minDur(s.timings.Stop))
	case "STOPPING", "DEPROVISIONING":
		t.lastStatus = "STOPPED"
		t.stoppedAt = aws.Time(at)
		t.due = time.Time{}
		for i := range t.containers {
			c := &t.containers[i]
			if aws.ToString(c.LastStatus) == "RUNNING" && c.ExitCode == nil {
				c.ExitCode = aws.Int32(0)
			}
			c.LastStatus = aws.String("STOPPED")
		}
	}
}

// exitTask is the planned exit of an essential container.
func (s *ecsService) exitTask(t *ecsTask, at time.Time) {
	s.writeExitLogs(t, t.exitContainer, t.exitCode, at)
	for i := range t.containers {
		if aws.ToString(t.containers[i].Name) == t.exitContainer {
			t.containers[i].ExitCode = aws.Int32(t.exitCode)
			t.containers[i].LastStatus = aws.String("STOPPED")
		}
	}
	s.stopTaskAt(t, at, ecstypes.TaskStopCodeEssentialContainerExited, "Essential container in task exited", t.svc != nil)
}

// stopTaskAt asks t to stop. A task that never ran stops at once; a running
// one goes through STOPPING for ECSTimings.Stop. failed counts it against
// its deployment.
func (s *ecsService) stopTaskAt(t *ecsTask, at time.Time, code ecstypes.TaskStopCode, reason string, failed bool) {
	if t.desiredStatus == "STOPPED" && !failed {
		return
	}
	t.desiredStatus = "STOPPED"
	t.version++
	if t.stopCode == "" {
		t.stopCode, t.stoppedReason = code, reason
	}
	t.stoppingAt = aws.Time(at)
	if failed && t.dep != nil {
		t.dep.failed++
		t.dep.updatedAt = at
	}
	if t.lastStatus == "RUNNING" {
		// A load-balanced service's task leaves its target groups first
		// and drains for their deregistration delay (DEACTIVATING), as ECS
		// and ELB do; a crashed container has nothing left to drain.
		if d := s.drainDelay(t); d > 0 && !failed && code != ecstypes.TaskStopCodeEssentialContainerExited {
			t.lastStatus = "DEACTIVATING"
			t.due = at.Add(d)
			return
		}
		t.lastStatus = "STOPPING"
		t.due = at.Add(s.minDur(s.timings.Stop))
		return
	}
	t.lastStatus = "STOPPING"
	t.due = time.Time{}
	s.transition(t, at) // → STOPPED now
}

func (s *ecsService) taskView(t *ecsTask, withTags bool) ecstypes.Task {
	out := t.base
	out.LastStatus, out.DesiredStatus = aws.String(t.lastStatus), aws.String(t.desiredStatus)
	out.CreatedAt = aws.Time(t.createdAt)
	out.PullStartedAt, out.PullStoppedAt, out.StartedAt = t.pullStartedAt, t.pullStoppedAt, t.startedAt
	out.StoppingAt, out.StoppedAt = t.stoppingAt, t.stoppedAt
	if t.stoppedAt != nil {
		out.ExecutionStoppedAt = t.stoppedAt
	}
	out.StopCode = t.stopCode
	if t.stoppedReason != "" {
		out.StoppedReason = aws.String(t.stoppedReason)
	}
	if t.startedAt != nil {
		out.Connectivity, out.ConnectivityAt = ecstypes.ConnectivityConnected, t.startedAt
	}
	out.Containers = append([]ecstypes.Container{}, t.containers...)
	s.addManagedAgents(t, out.Containers)
	out.Version = t.version
	if withTags {
		out.Tags = s.tagsOf(t.arn)
	}
	return out
}

// --- RunTask / StopTask / ListTasks / DescribeTasks ---

func (s *ecsService) runTask(in *ecs.RunTaskInput, now time.Time) (any, error) {
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	token, params := aws.ToString(in.ClientToken), runTaskParams(in)
	prev, err := s.checkToken(c, "RunTask", token, 64, params, now)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		return s.replayRunTask(c, prev), nil
	}
	td := s.taskDef(aws.ToString(in.TaskDefinition))
	if td == nil {
		return nil, apiErr("InvalidParameterException", "TaskDefinition not found.")
	}
	if td.td.Status == ecstypes.TaskDefinitionStatusDeleteInProgress {
		return nil, apiErr("InvalidParameterException", "TaskDefinition is being deleted.")
	}
	count := aws.ToInt32(in.Count)
	if in.Count == nil {
		count = 1
	}
	if count < 1 || count > 10 {
		return nil, apiErr("InvalidParameterException", "Count must be between 1 and 10.")
	}
	if in.Overrides != nil {
		for _, co := range in.Overrides.ContainerOverrides {
			if td.container(aws.ToString(co.Name)) == nil {
				return nil, apiErr("InvalidParameterException", "Override for container named %s is not a container in the TaskDefinition.", aws.ToString(co.Name))
			}
		}
	}
	spec, err := s.specFor(c, td, in.LaunchType, in.CapacityProviderStrategy, in.NetworkConfiguration, in.PlatformVersion)
	if err != nil {
		return nil, err
	}
	spec.execCommand = in.EnableExecuteCommand
	group := aws.ToString(in.Group)
	if group == "" {
		group = "family:" + td.family()
	}
	out := &ecs.RunTaskOutput{Tasks: []ecstypes.Task{}, Failures: []ecstypes.Failure{}}
	if spec.launchType == ecstypes.LaunchTypeEc2 && len(c.instances) == 0 {
		out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(c.arn), Reason: aws.String("No Container Instances were found in your cluster.")})
		s.keepToken(c, "RunTask", token, &idemCall{params: params, at: now, failures: out.Failures})
		return out, nil
	}
	cpu, mem := reservation(td, in.Overrides)
	for i := int32(0); i < count; i++ {
		instance := ""
		if spec.launchType == ecstypes.LaunchTypeEc2 {
			var failure *ecstypes.Failure
			if instance, failure = s.place(c, cpu, mem); failure != nil {
				out.Failures = append(out.Failures, *failure)
				continue
			}
		}
		t := s.newTask(c, td, spec, now, true)
		if instance != "" {
			t.base.ContainerInstanceArn = aws.String(instance)
		}
		t.base.Group = aws.String(group)
		t.base.StartedBy = in.StartedBy
		t.base.Overrides = in.Overrides
		if t.base.Overrides == nil {
			t.base.Overrides = &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{}, InferenceAcceleratorOverrides: []ecstypes.InferenceAcceleratorOverride{}}
		}
		tags := append([]ecstypes.Tag{}, in.Tags...)
		if in.PropagateTags == ecstypes.PropagateTagsTaskDefinition {
			tags = append(tags, s.tags[td.arn()]...)
		}
		if len(tags) > 0 {
			s.tags[t.arn] = tags
		}
		out.Tasks = append(out.Tasks, s.taskView(t, false))
	}
	s.keepToken(c, "RunTask", token, &idemCall{params: params, at: now, taskIDs: taskIDsOf(out.Tasks), failures: out.Failures})
	return out, nil
}

func (s *ecsService) findTask(c *ecsCluster, ref string) *ecsTask {
	return c.taskByID[lastSegment(ref)]
}

func (s *ecsService) stopTask(in *ecs.StopTaskInput, now time.Time) (any, error) {
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	t := s.findTask(c, aws.ToString(in.Task))
	if t == nil {
		return nil, apiErr("InvalidParameterException", "The referenced task was not found.")
	}
	reason := aws.ToString(in.Reason)
	if reason == "" {
		reason = "Task stopped by user"
	}
	if t.desiredStatus != "STOPPED" {
		s.stopTaskAt(t, now, ecstypes.TaskStopCodeUserInitiated, reason, false)
		if t.svc != nil {
			s.addEvent(t.svc, now, "has stopped 1 running tasks: (task %s).", t.id)
		}
	}
	return &ecs.StopTaskOutput{Task: ptr(s.taskView(t, false))}, nil
}

func (s *ecsService) listTasks(in *ecs.ListTasksInput, now time.Time) (any, error) {
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	var svc *ecsSvc
	if in.ServiceName != nil {
		if svc = c.service(*in.ServiceName); svc == nil {
			return nil, apiErr("ServiceNotFoundException", "Service not found.")
		}
	}
	desired := string(in.DesiredStatus)
	if desired == "" {
		desired = "RUNNING"
	}
	var arns []string
	for _, t := range c.tasks {
		if desired == "PENDING" {
			if t.desiredStatus != "RUNNING" || t.lastStatus == "RUNNING" {
				continue
			}
		} else if t.desiredStatus != desired {
			continue
		}
		if svc != nil && t.svc != svc {
			continue
		}
		if f := aws.ToString(in.Family); f != "" && t.td.family() != f {
			continue
		}
		if sb := aws.ToString(in.StartedBy); sb != "" && aws.ToString(t.base.StartedBy) != sb {
			continue
		}
		if in.LaunchType != "" && t.base.LaunchType != in.LaunchType {
			continue
		}
		if ci := aws.ToString(in.ContainerInstance); ci != "" && lastSegment(aws.ToString(t.base.ContainerInstanceArn)) != lastSegment(ci) {
			continue
		}
		arns = append(arns, t.arn)
	}
	start, end, next, err := page(len(arns), in.MaxResults, in.NextToken, 100, 100)
	if err != nil {
		return nil, err
	}
	return &ecs.ListTasksOutput{TaskArns: append([]string{}, arns[start:end]...), NextToken: next}, nil
}

func (s *ecsService) describeTasks(in *ecs.DescribeTasksInput, now time.Time) (any, error) {
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Tasks) == 0 {
		return nil, apiErr("InvalidParameterException", "Tasks cannot be empty.")
	}
	if len(in.Tasks) > 100 {
		return nil, apiErr("InvalidParameterException", "Tasks cannot have more than 100 elements.")
	}
	withTags := hasInclude(in.Include, string(ecstypes.TaskFieldTags))
	out := &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{}, Failures: []ecstypes.Failure{}}
	for _, ref := range in.Tasks {
		t := s.findTask(c, ref)
		if t == nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = s.arn("task/" + c.name + "/" + ref)
			}
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		out.Tasks = append(out.Tasks, s.taskView(t, withTags))
	}
	return out, nil
}

// drainDelay is how long a service task drains before its containers are
// stopped: the longest deregistration delay of the target groups its
// deployment registers it with (0 without a load balancer).
func (s *ecsService) drainDelay(t *ecsTask) time.Duration {
	if t.dep == nil || len(t.dep.spec.loadBalancers) == 0 {
		return 0
	}
	var arns []string
	for _, lb := range t.dep.spec.loadBalancers {
		if arn := aws.ToString(lb.TargetGroupArn); arn != "" {
			arns = append(arns, arn)
		}
	}
	return s.e.deregistrationDelay(arns)
}
