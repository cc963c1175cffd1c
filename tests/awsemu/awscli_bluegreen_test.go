package awsemu

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A user's AWS CLI setup script for an ECS-native blue/green service: the
// infrastructure role, two target groups, a load balancer, a listener and
// its rule, a Lambda hook, the service; then a deployment that walks the
// stages and shifts the rule's weights, read back with the CLI alone.
func TestAWSCLIBlueGreenScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("one Python start per command")
	}
	clock := NewManualClock(time.Time{})
	e := startEmulator(t, Options{Clock: clock})
	cli := newCLIRunner(t, e)
	if err := e.CreateCluster("demo"); err != nil {
		t.Fatal(err)
	}
	file := func(name string, v any) string {
		b, _ := json.Marshal(v)
		p := filepath.Join(cli.home, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return "file://" + p
	}
	role := dig(cli.run("iam", "create-role", "--role-name", "ecsInfrastructureRole", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`), "Role", "Arn").(string)
	cli.run("iam", "attach-role-policy", "--role-name", "ecsInfrastructureRole", "--policy-arn", "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers")
	// Target groups keep ELB's 300 s deregistration delay: CLEAN_UP drains
	// blue that long on the emulator clock.
	tg := func(name string) string {
		return dig(cli.run("elbv2", "create-target-group", "--name", name, "--protocol", "HTTP", "--port", "80", "--vpc-id", "vpc-made-up", "--target-type", "ip"),
			"TargetGroups", 0, "TargetGroupArn").(string)
	}
	blue, green := tg("web-blue"), tg("web-green")
	lb := dig(cli.run("elbv2", "create-load-balancer", "--name", "web", "--subnets", "subnet-made-up-a", "subnet-made-up-b"), "LoadBalancers", 0, "LoadBalancerArn").(string)
	listener := dig(cli.run("elbv2", "create-listener", "--load-balancer-arn", lb, "--protocol", "HTTP", "--port", "80",
		"--default-actions", "Type=fixed-response,FixedResponseConfig={StatusCode=404}"), "Listeners", 0, "ListenerArn").(string)
	rule := dig(cli.run("elbv2", "create-rule", "--listener-arn", listener, "--priority", "10",
		"--conditions", "Field=path-pattern,Values=/*", "--actions", "Type=forward,TargetGroupArn="+blue), "Rules", 0, "RuleArn").(string)
	zip := filepath.Join(cli.home, "hook.zip")
	if err := os.WriteFile(zip, []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o644); err != nil {
		t.Fatal(err)
	}
	hook := dig(cli.run("lambda", "create-function", "--function-name", "smoke", "--runtime", "python3.12", "--handler", "hook.handler",
		"--role", role, "--zip-file", "fileb://"+zip, "--environment", "Variables={AWSEMU_HOOK_STATUS=SUCCEEDED}"), "FunctionArn").(string)

	td := map[string]any{"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": []string{"FARGATE"}, "cpu": "256", "memory": "512",
		"containerDefinitions": []any{map[string]any{"name": "app", "image": "nginx:1", "essential": true, "portMappings": []any{map[string]any{"containerPort": 80}}}}}
	cli.run("ecs", "register-task-definition", "--cli-input-json", file("td1.json", td))
	td["containerDefinitions"].([]any)[0].(map[string]any)["image"] = "nginx:2"
	cli.run("ecs", "register-task-definition", "--cli-input-json", file("td2.json", td))
	svc := map[string]any{
		"cluster": "demo", "serviceName": "web", "taskDefinition": "web:1", "desiredCount": 2, "launchType": "FARGATE",
		"networkConfiguration": map[string]any{"awsvpcConfiguration": map[string]any{"subnets": []string{"subnet-made-up-a"}}},
		"loadBalancers": []any{map[string]any{"targetGroupArn": blue, "containerName": "app", "containerPort": 80,
			"advancedConfiguration": map[string]any{"alternateTargetGroupArn": green, "productionListenerRule": rule, "roleArn": role}}},
		"deploymentConfiguration": map[string]any{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1,
			"lifecycleHooks": []any{map[string]any{"hookTargetArn": hook, "roleArn": role, "lifecycleStages": []string{"POST_TEST_TRAFFIC_SHIFT"}}}},
	}
	if out, stderr, err := cli.try("ecs", "create-service", "--cli-input-json", file("svc.json", svc)); err != nil {
		if strings.Contains(stderr, "Unknown parameter") {
			t.Skipf("this AWS CLI predates ECS blue/green deployments (July 2025): %s", strings.TrimSpace(stderr))
		}
		t.Fatalf("create-service: %v\n%s", err, stderr)
	} else if dig(out, "service", "deploymentConfiguration", "strategy") != "BLUE_GREEN" {
		t.Fatalf("create-service = %v", out)
	}
	clock.Advance(5 * time.Minute)
	cli.run("ecs", "wait", "services-stable", "--cluster", "demo", "--services", "web")

	upd := cli.run("ecs", "update-service", "--cluster", "demo", "--service", "web", "--task-definition", "web:2")
	sdArn, _ := dig(upd, "service", "currentServiceDeployment").(string)
	if sdArn == "" {
		t.Fatalf("update-service has no currentServiceDeployment: %v", upd)
	}
	var stages []string
	var sd any
	checked := false
	for i := 0; i < 20; i++ {
		sd = dig(cli.run("ecs", "describe-service-deployments", "--service-deployment-arns", sdArn), "serviceDeployments", 0)
		if st, _ := dig(sd, "lifecycleStage").(string); len(stages) == 0 || stages[len(stages)-1] != st {
			stages = append(stages, st)
		}
		if dig(sd, "status") != "IN_PROGRESS" {
			break
		}
		if dig(sd, "lifecycleStage") == "BAKE_TIME" && !checked {
			checked = true
			// Production traffic is on green while the deployment bakes.
			rules := cli.run("elbv2", "describe-rules", "--rule-arns", rule)
			for _, g := range dig(rules, "Rules", 0, "Actions", 0, "ForwardConfig", "TargetGroups").([]any) {
				want := float64(0)
				if dig(g, "TargetGroupArn") == green {
					want = 100
				}
				if dig(g, "Weight") != want {
					t.Errorf("during the bake: %v", rules)
				}
			}
		}
		step := time.Minute
		if dig(sd, "lifecycleStage") == "CLEAN_UP" {
			step = 6 * time.Minute // blue drains for the 300 s deregistration delay
		}
		clock.Advance(step)
	}
	if dig(sd, "status") != "SUCCESSFUL" {
		t.Fatalf("service deployment = %v", sd)
	}
	if !checked {
		t.Errorf("never saw BAKE_TIME; stages seen: %v", stages)
	}
	desc := cli.run("ecs", "describe-services", "--cluster", "demo", "--services", "web")
	if dig(desc, "services", 0, "taskDefinition") != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2" || len(dig(desc, "services", 0, "deployments").([]any)) != 1 {
		t.Fatalf("describe-services after the deployment = %v", desc)
	}
}
