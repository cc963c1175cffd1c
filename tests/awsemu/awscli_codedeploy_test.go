package awsemu

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestAWSCLICodeDeploy sets up and runs a CodeDeploy blue/green deployment
// with the unmodified AWS CLI, as a user's own scripts would: the hook
// function created with `aws lambda create-function` answers IN_PROGRESS
// (it reports nothing), so the deployment waits at BeforeInstall until
// `aws deploy put-lifecycle-event-hook-execution-status` reports Succeeded.
func TestAWSCLICodeDeploy(t *testing.T) {
	if testing.Short() {
		t.Skip("one Python start per command")
	}
	clock := NewManualClock(time.Time{})
	e := startEmulator(t, Options{Clock: clock})
	cli := newCLIRunner(t, e)
	zip := filepath.Join(cli.home, "hook.zip")
	if err := os.WriteFile(zip, []byte("PK\x05\x06"+string(make([]byte, 18))), 0o644); err != nil {
		t.Fatal(err)
	}
	// The ECS side is seeded (one Python start per command is slow); the
	// Lambda and CodeDeploy side is the user's own AWS CLI setup.
	seed, err := ParseSeed([]byte(`
ecs:
  clusters: [{name: demo}]
  taskDefinitions:
    - {family: web, networkMode: awsvpc, requiresCompatibilities: [FARGATE], cpu: "256", memory: "512",
       containerDefinitions: [{name: app, image: "nginx:1.27", essential: true, portMappings: [{containerPort: 80}]}]}
    - {family: web, networkMode: awsvpc, requiresCompatibilities: [FARGATE], cpu: "256", memory: "512",
       containerDefinitions: [{name: app, image: "nginx:1.28", essential: true, portMappings: [{containerPort: 80}]}]}
  services:
    - {cluster: demo, serviceName: web, taskDefinition: "web:1", desiredCount: 1, launchType: FARGATE,
       deploymentController: {type: CODE_DEPLOY}, networkConfiguration: {awsvpcConfiguration: {subnets: [subnet-1]}},
       loadBalancers: [{targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1", containerName: app, containerPort: 80}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}
	cli.run("lambda", "create-function", "--function-name", "pre-install", "--runtime", "python3.12", "--handler", "index.handler",
		"--role", "arn:aws:iam::123456789012:role/hook", "--zip-file", "fileb://"+zip,
		"--environment", "Variables={AWSEMU_HOOK_IN_PROGRESS_CALLS=1}")
	cli.run("deploy", "create-application", "--application-name", "web", "--compute-platform", "ECS")
	cli.run("deploy", "create-deployment-group", "--application-name", "web", "--deployment-group-name", "web-dg",
		"--service-role-arn", "arn:aws:iam::123456789012:role/codedeploy",
		"--ecs-services", "clusterName=demo,serviceName=web",
		"--deployment-style", "deploymentType=BLUE_GREEN,deploymentOption=WITH_TRAFFIC_CONTROL",
		"--blue-green-deployment-configuration", `{"terminateBlueInstancesOnDeploymentSuccess":{"action":"TERMINATE","terminationWaitTimeInMinutes":0}}`,
		"--load-balancer-info", `{"targetGroupPairInfoList":[{"targetGroups":[{"name":"blue"},{"name":"green"}],"prodTrafficRoute":{"listenerArns":["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/1"]}}]}`)
	appspec := "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/web:2\n        LoadBalancerInfo: {ContainerName: app, ContainerPort: 80}\nHooks:\n  - BeforeInstall: pre-install\n"
	rev, _ := json.Marshal(map[string]any{"revisionType": "AppSpecContent", "appSpecContent": map[string]string{"content": appspec}})
	id, _ := dig(cli.run("deploy", "create-deployment", "--application-name", "web", "--deployment-group-name", "web-dg", "--revision", string(rev)), "deploymentId").(string)
	if id == "" {
		t.Fatal("create-deployment returned no deploymentId")
	}
	clock.Advance(10 * time.Minute)
	target := cli.run("deploy", "get-deployment-target", "--deployment-id", id, "--target-id", "demo:web")
	if st := dig(target, "deploymentTarget", "ecsTarget", "lifecycleEvents", 0, "status"); st != "InProgress" {
		t.Fatalf("BeforeInstall waits for its hook's report: %v", st)
	}
	exec := e.CodeDeploy().HookExecutions(id)["BeforeInstall"]
	cli.run("deploy", "put-lifecycle-event-hook-execution-status", "--deployment-id", id,
		"--lifecycle-event-hook-execution-id", exec, "--status", "Succeeded")
	clock.Advance(time.Minute)
	if st := dig(cli.run("deploy", "get-deployment", "--deployment-id", id), "deploymentInfo", "status"); st != "Succeeded" {
		t.Fatalf("deployment after the hook reported: %v", st)
	}
	svc := cli.run("ecs", "describe-services", "--cluster", "demo", "--services", "web")
	if td := dig(svc, "services", 0, "taskDefinition"); td != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2" {
		t.Fatalf("the service runs %v", td)
	}
}
