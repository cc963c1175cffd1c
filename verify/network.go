package verify

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/doppio-ecs/doppio/netcheck"
)

// networkCheck judges an awsvpc service's placement: subnets and security
// groups exist in one VPC and, on Fargate, each subnet reaches what the
// task needs at start (netcheck). On EC2 the container instance pulls
// images and secrets through its own network, so only the placement is
// checked.
func (r *runner) networkCheck(parent *Check) {
	s := r.in.Service
	if s == nil || s.NetworkConfiguration == nil || s.NetworkConfiguration.AwsvpcConfiguration == nil {
		return
	}
	vc := s.NetworkConfiguration.AwsvpcConfiguration
	if len(vc.Subnets) == 0 {
		return // reported by the service rules
	}
	in := netcheck.Input{Subnets: vc.Subnets, SecurityGroups: vc.SecurityGroups, AssignPublicIP: vc.AssignPublicIp == "ENABLED", Region: r.in.Region}
	fargate := fargateTarget(r.in)
	if fargate {
		in.Needs = netcheck.Needs(r.in.TaskDefinition.ContainerDefinitions, r.in.Region)
	}
	c := parent.add(&Check{Name: "Network[awsvpc]", group: true})
	r.tasks = append(r.tasks, task{prio: prioOther, nodes: []*Check{c}, run: func(ctx context.Context) {
		r.checkNetwork(ctx, c, in, fargate)
	}})
}

func (r *runner) checkNetwork(ctx context.Context, c *Check, in netcheck.Input, fargate bool) {
	api := r.clients.EC2
	if in.Region != r.clients.Region() {
		api = ec2.NewFromConfig(r.clients.Config, func(o *ec2.Options) { o.Region = in.Region })
	}
	res, err := netcheck.Analyze(ctx, api, in)
	if err != nil {
		c.group = false
		r.awsError(c, err, "cannot describe the VPC")
		return
	}
	if res.Denied != "" {
		c.group = false
		c.set(WARN, "not checked: access denied (%s)", res.Denied)
		return
	}
	for _, f := range res.Findings {
		st := OK
		if !f.OK {
			st = NG
		}
		c.add(&Check{Name: f.Subject, Status: st, Reason: f.Message})
	}
	if !fargate {
		c.add(&Check{Name: "Reachability", Status: SKIP, Reason: "not on Fargate: the container instance pulls images and secrets through its own network"})
	}
}
