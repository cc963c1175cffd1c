package verify

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// fargateTD is a valid Fargate task definition; cases mutate a copy.
func fargateTD() *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("web"),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/exec"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:         aws.String("app"),
			Image:        aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1"),
			Essential:    aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80), HostPort: aws.Int32(80)}},
			Secrets:      []ecstypes.Secret{{Name: aws.String("DB"), ValueFrom: aws.String("/web/db")}},
		}},
	}
}

func fargateService() *Service {
	return &Service{
		Name:       "web",
		LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{"subnet-1"},
		}},
	}
}

func TestStaticRules(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service
		want   []string // rule ids; nil means no finding
	}{
		{"valid fargate", nil, nil},
		{"fargate bridge", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.NetworkMode = ecstypes.NetworkModeBridge
			s.NetworkConfiguration = nil
			return s
		}, []string{"fargate-awsvpc"}},
		{"fargate bad size", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.Memory = aws.String("4096")
			return s
		}, []string{"fargate-cpu-memory"}},
		{"fargate vCPU and GB spellings", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.Cpu, td.Memory = aws.String("1 vCPU"), aws.String("3 GB")
			return s
		}, nil},
		{"fargate 0.25 vcpu and 2GB", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.Cpu, td.Memory = aws.String("0.25 vcpu"), aws.String("2GB")
			return s
		}, nil},
		{"fargate 8 vCPU step", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.Cpu, td.Memory = aws.String("8192"), aws.String("17408")
			return s
		}, []string{"fargate-cpu-memory"}},
		{"fargate no cpu", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.Cpu = nil
			return s
		}, []string{"fargate-cpu-memory"}},
		{"unparsable cpu", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.Cpu = aws.String("lots")
			return s
		}, []string{"task-cpu"}},
		{"awsvpc host port differs", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.ContainerDefinitions[0].PortMappings[0].HostPort = aws.Int32(8080)
			return s
		}, []string{"awsvpc-host-port"}},
		{"awsvpc dns links hostname", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			c := &td.ContainerDefinitions[0]
			c.DnsServers, c.Links, c.Hostname = []string{"10.0.0.2"}, []string{"db"}, aws.String("app")
			return s
		}, []string{"awsvpc-dns-servers", "awsvpc-links", "awsvpc-hostname"}},
		{"fargate privileged", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.ContainerDefinitions[0].Privileged = aws.Bool(true)
			return s
		}, []string{"fargate-privileged"}},
		{"fargate capabilities", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.ContainerDefinitions[0].LinuxParameters = &ecstypes.LinuxParameters{Capabilities: &ecstypes.KernelCapabilities{Add: []string{"SYS_PTRACE", "NET_ADMIN", "CAP_SYS_ADMIN"}}}
			return s
		}, []string{"fargate-capabilities", "fargate-capabilities"}},
		{"ec2 allows capabilities and privileged", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.RequiresCompatibilities = []ecstypes.Compatibility{ecstypes.CompatibilityEc2}
			td.ContainerDefinitions[0].Privileged = aws.Bool(true)
			td.ContainerDefinitions[0].LinuxParameters = &ecstypes.LinuxParameters{Capabilities: &ecstypes.KernelCapabilities{Add: []string{"NET_ADMIN"}}}
			td.Volumes = []ecstypes.Volume{{Name: aws.String("d"), Host: &ecstypes.HostVolumeProperties{SourcePath: aws.String("/data")}}}
			s.LaunchType = ecstypes.LaunchTypeEc2
			return s
		}, nil},
		{"fargate host volume", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.Volumes = []ecstypes.Volume{
				{Name: aws.String("d"), Host: &ecstypes.HostVolumeProperties{SourcePath: aws.String("/data")}},
				{Name: aws.String("scratch"), Host: &ecstypes.HostVolumeProperties{}},
			}
			return s
		}, []string{"fargate-host-volume"}},
		{"container memory above task", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.ContainerDefinitions[0].Memory = aws.Int32(1024)
			return s
		}, []string{"memory-sum", "container-memory"}},
		{"memory sum", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.ContainerDefinitions[0].MemoryReservation = aws.Int32(300)
			td.ContainerDefinitions = append(td.ContainerDefinitions, ecstypes.ContainerDefinition{
				Name: aws.String("side"), Image: aws.String("busybox:1"), MemoryReservation: aws.Int32(300),
			})
			return s
		}, []string{"memory-sum"}},
		{"reservation above memory", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.ContainerDefinitions[0].Memory = aws.Int32(128)
			td.ContainerDefinitions[0].MemoryReservation = aws.Int32(256)
			return s
		}, []string{"memory-reservation"}},
		{"ec2 container without memory", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.RequiresCompatibilities = nil
			td.NetworkMode = ecstypes.NetworkModeBridge
			td.Cpu, td.Memory = nil, nil
			td.ContainerDefinitions[0].PortMappings[0].HostPort = aws.Int32(0)
			return nil
		}, []string{"container-memory"}},
		{"no essential", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.ContainerDefinitions[0].Essential = aws.Bool(false)
			return s
		}, []string{"essential-container"}},
		{"duplicate names", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.ContainerDefinitions = append(td.ContainerDefinitions, ecstypes.ContainerDefinition{Name: aws.String("app"), Image: aws.String("busybox:1")})
			return s
		}, []string{"container-name-unique"}},
		{"duplicate port in container", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			c := &td.ContainerDefinitions[0]
			c.PortMappings = append(c.PortMappings, ecstypes.PortMapping{ContainerPort: aws.Int32(80), Protocol: ecstypes.TransportProtocolTcp})
			return s
		}, []string{"port-mapping-unique"}},
		{"duplicate port across awsvpc containers", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.ContainerDefinitions = append(td.ContainerDefinitions, ecstypes.ContainerDefinition{
				Name: aws.String("side"), Image: aws.String("busybox:1"), PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80)}},
			})
			return s
		}, []string{"port-mapping-unique"}},
		{"udp and tcp on the same port is fine", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			c := &td.ContainerDefinitions[0]
			c.PortMappings = append(c.PortMappings, ecstypes.PortMapping{ContainerPort: aws.Int32(80), Protocol: ecstypes.TransportProtocolUdp})
			return s
		}, nil},
		{"secrets need an execution role", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.ExecutionRoleArn = nil
			return s
		}, []string{"execution-role"}},
		{"no name no image", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.ContainerDefinitions[0].Name = nil
			td.ContainerDefinitions[0].Image = aws.String(" ")
			return s
		}, []string{"container-name", "container-image"}},
		{"awsvpc service without network configuration", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			s.NetworkConfiguration = nil
			return s
		}, []string{"service-network-configuration"}},
		{"grace period without load balancer", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			s.HealthCheckGracePeriodSeconds = aws.Int32(60)
			return s
		}, []string{"health-check-grace-period"}},
		{"launch type and capacity providers", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			s.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT")}}
			return s
		}, []string{"launch-type-or-capacity-providers"}},
		{"fargate service, EC2-only task definition", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.RequiresCompatibilities = []ecstypes.Compatibility{ecstypes.CompatibilityEc2}
			return s
		}, []string{"fargate-compatibility"}},
		{"capacity provider FARGATE makes Fargate rules apply", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			td.RequiresCompatibilities = nil
			td.ContainerDefinitions[0].Privileged = aws.Bool(true)
			s.LaunchType = ""
			s.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE")}}
			return s
		}, []string{"fargate-privileged"}},
		{"blue/green complete", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			s.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen}
			s.LoadBalancers = []ecstypes.LoadBalancer{blueGreenLB("arn:tg/green")}
			return s
		}, nil},
		{"blue/green alternate group is the primary", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			s.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyCanary}
			s.LoadBalancers = []ecstypes.LoadBalancer{blueGreenLB("arn:tg/blue")}
			return s
		}, []string{"blue-green-load-balancer"}},
		{"linear without advancedConfiguration", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			s.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear}
			lb := blueGreenLB("arn:tg/green")
			lb.AdvancedConfiguration = nil
			s.LoadBalancers = []ecstypes.LoadBalancer{lb}
			return s
		}, []string{"blue-green-load-balancer"}},
		{"linear and canary ranges", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			s.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear, BakeTimeInMinutes: aws.Int32(1441),
				LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(2.5), StepBakeTimeInMinutes: aws.Int32(6)},
				CanaryConfiguration: &ecstypes.CanaryConfiguration{CanaryPercent: aws.Float64(0.05)},
				LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause, LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostScaleUp},
					TimeoutConfiguration: &ecstypes.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: aws.Int32(20161)}}}}
			return s
		}, []string{"deployment-configuration-range", "deployment-configuration-range", "deployment-configuration-range", "deployment-configuration-range"}},
		{"linear and canary within range", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			s.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyCanary, BakeTimeInMinutes: aws.Int32(1440),
				CanaryConfiguration: &ecstypes.CanaryConfiguration{CanaryPercent: aws.Float64(0.1), CanaryBakeTimeInMinutes: aws.Int32(0)},
				LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause, LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostScaleUp},
					TimeoutConfiguration: &ecstypes.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: aws.Int32(20160)}}}}
			return s
		}, nil},
		{"pause hook at a traffic shift, hooks on a rolling service", func(td *ecs.RegisterTaskDefinitionInput, s *Service) *Service {
			s.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause,
				LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStageTestTrafficShift}}}}
			return s
		}, []string{"lifecycle-hooks-strategy", "pause-hook-stage"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			td, svc := fargateTD(), fargateService()
			if tc.mutate != nil {
				svc = tc.mutate(td, svc)
			}
			in := Input{TaskDefinition: td, Service: svc}
			var got []string
			var msgs []string
			all := TaskRules(in)
			for _, c := range td.ContainerDefinitions {
				all = append(all, ContainerRules(in, c)...)
			}
			all = append(all, ServiceRules(in)...)
			for _, f := range all {
				got = append(got, f.Rule)
				msgs = append(msgs, f.Message)
				if f.Message == "" || f.Status != NG {
					t.Errorf("finding %+v: want NG with a message", f)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("rules = %v, want %v\nmessages:\n  %s", got, want, strings.Join(msgs, "\n  "))
			}
		})
	}
}

func TestLoadBalancerTarget(t *testing.T) {
	td := fargateTD()
	cases := []struct {
		lb      ecstypes.LoadBalancer
		wantErr string
	}{
		{ecstypes.LoadBalancer{ContainerName: aws.String("app"), ContainerPort: aws.Int32(80)}, ""},
		{ecstypes.LoadBalancer{ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}, "does not map containerPort 8080 (it maps 80)"},
		{ecstypes.LoadBalancer{ContainerName: aws.String("web"), ContainerPort: aws.Int32(80)}, `no container named "web" in the task definition (containers: app)`},
		{ecstypes.LoadBalancer{ContainerPort: aws.Int32(80)}, "containerName is missing"},
	}
	for _, tc := range cases {
		_, err := LoadBalancerTarget(td, tc.lb)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%v: unexpected error %v", aws.ToString(tc.lb.ContainerName), err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%v: error %v, want %q", aws.ToString(tc.lb.ContainerName), err, tc.wantErr)
		}
	}
}

func TestFargateSizes(t *testing.T) {
	ok := [][2]int64{{256, 512}, {256, 2048}, {512, 4096}, {1024, 8192}, {2048, 16384}, {4096, 30720}, {8192, 61440}, {16384, 122880}, {16384, 40960}}
	bad := [][2]int64{{256, 1536}, {256, 4096}, {512, 512}, {1024, 9216}, {8192, 18432}, {3072, 8192}, {16384, 36864}}
	for _, p := range ok {
		if why := fargateSize(p[0], p[1]); why != "" {
			t.Errorf("%v: %s", p, why)
		}
	}
	for _, p := range bad {
		if fargateSize(p[0], p[1]) == "" {
			t.Errorf("%v accepted", p)
		}
	}
}

// blueGreenLB is a load balancer of fargateService's container with an
// advancedConfiguration whose alternate target group is alt.
func blueGreenLB(alt string) ecstypes.LoadBalancer {
	return ecstypes.LoadBalancer{TargetGroupArn: aws.String("arn:tg/blue"), ContainerName: aws.String("app"), ContainerPort: aws.Int32(80),
		AdvancedConfiguration: &ecstypes.AdvancedConfiguration{AlternateTargetGroupArn: aws.String(alt), ProductionListenerRule: aws.String("arn:rule/prod"), RoleArn: aws.String("arn:role/infra")}}
}
