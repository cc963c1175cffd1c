package awsemu

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The capacity model, for RunTask on the EC2 launch type only: when a
// cluster's seed gives its container instances resources
// (instanceResources: {cpu: 1024, memory: 2048}, CPU units and MiB, the same
// for every instance), a task reserves its task-level cpu and memory (after
// overrides), else the sum of its containers' cpu and memory (or
// memoryReservation), on the first instance with room; tasks that are not
// STOPPED hold what they reserved, service tasks included. A task no
// instance has room for is not started: RunTask answers it in `failures`
// as ECS does, {arn: <a container instance>, reason: "RESOURCE:MEMORY"} (or
// "RESOURCE:CPU" when memory fits but CPU does not), beside the tasks that
// did start. Service placement does not consult the model, and without
// instanceResources capacity is unlimited.

// ECSInstanceResources is what each container instance of a cluster
// registers.
type ECSInstanceResources struct {
	CPU    int `json:"cpu" yaml:"cpu"`
	Memory int `json:"memory" yaml:"memory"`
}

// reservation is what a task of td (with overrides) reserves on an instance.
func reservation(td *ecsTaskDef, ov *ecstypes.TaskOverride) (cpu, mem int) {
	taskCPU, taskMem := aws.ToString(td.td.Cpu), aws.ToString(td.td.Memory)
	if ov != nil {
		if v := aws.ToString(ov.Cpu); v != "" {
			taskCPU = v
		}
		if v := aws.ToString(ov.Memory); v != "" {
			taskMem = v
		}
	}
	for _, cd := range td.td.ContainerDefinitions {
		cpu += int(cd.Cpu)
		if cd.Memory != nil {
			mem += int(*cd.Memory)
		} else if cd.MemoryReservation != nil {
			mem += int(*cd.MemoryReservation)
		}
	}
	if n, err := strconv.Atoi(taskCPU); err == nil {
		cpu = n
	}
	if n, err := strconv.Atoi(taskMem); err == nil {
		mem = n
	}
	return cpu, mem
}

// remaining is what an instance has left after the tasks that hold a share.
func (s *ecsService) remaining(c *ecsCluster, instance string) (cpu, mem int) {
	cpu, mem = c.instanceResources.CPU, c.instanceResources.Memory
	for _, t := range c.tasks {
		if t.lastStatus == "STOPPED" || aws.ToString(t.base.ContainerInstanceArn) != instance {
			continue
		}
		tc, tm := reservation(t.td, t.base.Overrides)
		cpu, mem = cpu-tc, mem-tm
	}
	return cpu, mem
}

// place picks the instance for a task that reserves cpu and mem, or says
// why none can take it. ok with instance "" means the model is off.
func (s *ecsService) place(c *ecsCluster, cpu, mem int) (instance string, failure *ecstypes.Failure) {
	if c.instanceResources == nil {
		return "", nil
	}
	reason := "RESOURCE:MEMORY"
	for _, arn := range c.instances {
		rc, rm := s.remaining(c, arn)
		if rc >= cpu && rm >= mem {
			return arn, nil
		}
		if rm >= mem {
			reason = "RESOURCE:CPU"
		}
	}
	return "", &ecstypes.Failure{Arn: aws.String(c.instances[0]), Reason: aws.String(reason)}
}

// instanceResourcesView is DescribeContainerInstances' registered and
// remaining resources, when the model is on.
func (s *ecsService) instanceResourcesView(c *ecsCluster, arn string) (registered, remaining []ecstypes.Resource) {
	if c.instanceResources == nil {
		return nil, nil
	}
	res := func(cpu, mem int) []ecstypes.Resource {
		return []ecstypes.Resource{
			{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: int32(cpu)},
			{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: int32(mem)},
		}
	}
	rc, rm := s.remaining(c, arn)
	return res(c.instanceResources.CPU, c.instanceResources.Memory), res(rc, rm)
}
