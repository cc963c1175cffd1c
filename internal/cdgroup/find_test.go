package cdgroup

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

func TestDeploys(t *testing.T) {
	g := &cdtypes.DeploymentGroupInfo{EcsServices: []cdtypes.ECSService{
		{ClusterName: aws.String("arn:aws:ecs:us-east-1:123456789012:cluster/demo"), ServiceName: aws.String("web")},
		{ClusterName: aws.String("default"), ServiceName: aws.String("api")},
	}}
	cases := []struct {
		cluster, service string
		want             bool
	}{
		{"demo", "web", true},
		{"arn:aws:ecs:us-east-1:123456789012:cluster/demo", "web", true},
		{"demo", "api", false},
		{"", "api", true}, // no cluster in the config: the default one
		{"other", "web", false},
	}
	for _, c := range cases {
		if got := Deploys(g, c.cluster, c.service); got != c.want {
			t.Errorf("Deploys(%q, %q) = %v, want %v", c.cluster, c.service, got, c.want)
		}
	}
}
