package awsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doppio-ecs/doppio/tests/awsemu/ec2"
)

// awsCLI finds the AWS CLI: $AWSEMU_AWSCLI, else `aws` on PATH. The test is
// skipped without one unless AWSEMU_REQUIRE_AWSCLI=1 (CI installs Debian's
// awscli package and sets it).
func awsCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AWSEMU_AWSCLI"); p != "" {
		return p
	}
	p, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("AWSEMU_REQUIRE_AWSCLI") == "1" {
			t.Fatal("AWSEMU_REQUIRE_AWSCLI=1 but the AWS CLI (`aws`) is not on PATH: install it (apt-get install awscli)")
		}
		t.Skip("the AWS CLI (`aws`) is not on PATH; install it (apt-get install awscli) to run this test, or set AWSEMU_REQUIRE_AWSCLI=1 to make its absence a failure")
	}
	return p
}

// cliRunner runs AWS CLI commands against e in an isolated environment: no
// user config or credentials, no pager, --endpoint-url on every call (CLI
// releases before 2.13 ignore AWS_ENDPOINT_URL).
type cliRunner struct {
	t    *testing.T
	bin  string
	e    *Emulator
	env  []string
	home string
}

func newCLIRunner(t *testing.T, e *Emulator) *cliRunner {
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION=" + e.Region(),
		"AWS_REGION=" + e.Region(),
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"AWS_CLI_AUTO_PROMPT=off",
		"AWS_MAX_ATTEMPTS=1",
	}
	// pyenv shims need to know where they live.
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return &cliRunner{t: t, bin: awsCLI(t), e: e, env: env, home: home}
}

// run executes one command and decodes its JSON output (nil when empty);
// a failure fails the test.
func (c *cliRunner) run(args ...string) map[string]any {
	c.t.Helper()
	start := time.Now()
	out, stderr, err := c.try(args...)
	c.t.Logf("aws %s (%s)", strings.Join(args[:min(2, len(args))], " "), time.Since(start).Round(time.Millisecond))
	if err != nil {
		c.t.Fatalf("aws %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// try runs one command and returns its JSON output (nil when empty), its
// stderr and its error, without failing the test.
func (c *cliRunner) try(args ...string) (map[string]any, string, error) {
	full := append(append([]string{}, args...), "--endpoint-url", c.e.URL(), "--region", c.e.Region(), "--output", "json")
	cmd := exec.Command(c.bin, full...)
	cmd.Env, cmd.Dir = c.env, c.home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, stderr.String(), err
	}
	if len(bytes.TrimSpace(stdout.Bytes())) == 0 {
		return nil, stderr.String(), nil
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, stderr.String(), fmt.Errorf("output is not JSON: %v\n%s", err, stdout.String())
	}
	return out, stderr.String(), nil
}

// dig walks a decoded JSON tree: dig(m, "services", 0, "status").
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func TestAWSCLIScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("the AWS CLI scenario takes tens of seconds (one Python start per command)")
	}
	clock := NewManualClock(time.Time{})
	e := startEmulator(t, Options{Clock: clock})
	cli := newCLIRunner(t, e)
	if _, err := e.PutImage(ImageSpec{Repository: "web", Tags: []string{"v1", "v2"}, Platforms: []string{"linux/amd64"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.PutParameter(ParameterSpec{Name: "/web/db_password", Type: "SecureString", Value: "hunter2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutRole(RoleSpec{Name: "ecsTaskExecutionRole"}); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateCluster("demo"); err != nil {
		t.Fatal(err)
	}

	// Services other than ECS.
	imgs := cli.run("ecr", "describe-images", "--repository-name", "web")
	if tags := dig(imgs, "imageDetails", 0, "imageTags"); tags == nil || len(tags.([]any)) != 2 {
		t.Fatalf("ecr describe-images = %v", imgs)
	}
	prm := cli.run("ssm", "get-parameter", "--name", "/web/db_password", "--with-decryption")
	if dig(prm, "Parameter", "Value") != "hunter2" || dig(prm, "Parameter", "Type") != "SecureString" {
		t.Fatalf("ssm get-parameter = %v", prm)
	}
	role := cli.run("iam", "get-role", "--role-name", "ecsTaskExecutionRole")
	if dig(role, "Role", "Arn") != "arn:aws:iam::123456789012:role/ecsTaskExecutionRole" {
		t.Fatalf("iam get-role = %v", role)
	}
	// The CLI decodes the URL-encoded trust policy into an object.
	if doc := dig(role, "Role", "AssumeRolePolicyDocument"); doc == nil {
		t.Fatalf("iam get-role has no trust policy: %v", role)
	}
	// Role policies and the policy simulator, as ECS Exec's checks use them.
	cli.run("iam", "put-role-policy", "--role-name", "ecsTaskExecutionRole", "--policy-name", "exec",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssmmessages:*","Resource":"*"}]}`)
	sim := cli.run("iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
		"--action-names", "ssmmessages:OpenDataChannel", "kms:Decrypt")
	if dig(sim, "EvaluationResults", 0, "EvalDecision") != "allowed" || dig(sim, "EvaluationResults", 1, "EvalDecision") != "implicitDeny" {
		t.Fatalf("iam simulate-principal-policy = %v", sim)
	}
	if names := cli.run("iam", "list-role-policies", "--role-name", "ecsTaskExecutionRole"); dig(names, "PolicyNames", 0) != "exec" {
		t.Fatalf("iam list-role-policies = %v", names)
	}

	// ECS: register, create, describe, update, wait.
	td := map[string]any{
		"family":                  "web",
		"networkMode":             "awsvpc",
		"requiresCompatibilities": []string{"FARGATE"},
		"cpu":                     "256",
		"memory":                  "512",
		"executionRoleArn":        "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
		"containerDefinitions": []any{map[string]any{
			"name": "web", "image": e.ImageURI("web", "v1"), "essential": true,
			"portMappings": []any{map[string]any{"containerPort": 80, "protocol": "tcp"}},
		}},
	}
	tdFile := filepath.Join(cli.home, "td.json")
	b, _ := json.Marshal(td)
	if err := os.WriteFile(tdFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	reg := cli.run("ecs", "register-task-definition", "--cli-input-json", "file://"+tdFile)
	if dig(reg, "taskDefinition", "revision") != float64(1) {
		t.Fatalf("register-task-definition = %v", reg)
	}
	net := "awsvpcConfiguration={subnets=[subnet-0a],securityGroups=[sg-0a],assignPublicIp=DISABLED}"
	created := cli.run("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "2", "--launch-type", "FARGATE", "--network-configuration", net)
	if dig(created, "service", "status") != "ACTIVE" {
		t.Fatalf("create-service = %v", created)
	}
	clock.Advance(10 * time.Minute)
	cli.run("ecs", "wait", "services-stable", "--cluster", "demo", "--services", "web")
	desc := cli.run("ecs", "describe-services", "--cluster", "demo", "--services", "web")
	if dig(desc, "services", 0, "runningCount") != float64(2) {
		t.Fatalf("describe-services after create = %v", desc)
	}

	td["containerDefinitions"].([]any)[0].(map[string]any)["image"] = e.ImageURI("web", "v2")
	b, _ = json.Marshal(td)
	if err := os.WriteFile(tdFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cli.run("ecs", "register-task-definition", "--cli-input-json", "file://"+tdFile)
	upd := cli.run("ecs", "update-service", "--cluster", "demo", "--service", "web", "--task-definition", "web:2")
	if n := len(dig(upd, "service", "deployments").([]any)); n != 2 {
		t.Fatalf("update-service: %d deployments, want a new PRIMARY and the old ACTIVE: %v", n, upd)
	}
	clock.Advance(10 * time.Minute)
	cli.run("ecs", "wait", "services-stable", "--cluster", "demo", "--services", "web")
	desc = cli.run("ecs", "describe-services", "--cluster", "demo", "--services", "web")
	if dig(desc, "services", 0, "taskDefinition") != "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2" ||
		len(dig(desc, "services", 0, "deployments").([]any)) != 1 ||
		dig(desc, "services", 0, "deployments", 0, "rolloutState") != "COMPLETED" {
		t.Fatalf("describe-services after update = %v", desc)
	}
	if !strings.Contains(dig(desc, "services", 0, "events", 0, "message").(string), "has reached a steady state.") {
		t.Fatalf("latest event = %v", dig(desc, "services", 0, "events", 0))
	}
}

// A user's AWS CLI script can build the network a Fargate service runs in.
func TestAWSCLIEC2(t *testing.T) {
	if testing.Short() {
		t.Skip("one Python start per command")
	}
	e := startEmulator(t, Options{})
	cli := newCLIRunner(t, e)
	vpc := dig(cli.run("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"), "Vpc", "VpcId").(string)
	subnet := dig(cli.run("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.1.0/24"), "Subnet", "SubnetId").(string)
	sg := dig(cli.run("ec2", "create-security-group", "--vpc-id", vpc, "--group-name", "web", "--description", "web"), "GroupId").(string)
	cli.run("ec2", "revoke-security-group-egress", "--group-id", sg, "--ip-permissions", "IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]")
	cli.run("ec2", "authorize-security-group-egress", "--group-id", sg, "--ip-permissions", "IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0}]")
	groups := cli.run("ec2", "describe-security-groups", "--group-ids", sg)
	if dig(groups, "SecurityGroups", 0, "IpPermissionsEgress", 0, "FromPort") != float64(443) {
		t.Fatalf("describe-security-groups = %v", groups)
	}
	subnets := cli.run("ec2", "describe-subnets", "--filters", "Name=vpc-id,Values="+vpc)
	if dig(subnets, "Subnets", 0, "SubnetId") != subnet {
		t.Fatalf("describe-subnets = %v", subnets)
	}
	if ok, known := e.EC2().Reach(ec2.ENI{Subnet: subnet, SecurityGroups: []string{sg}}, "ecr.api"); ok || !known {
		t.Fatalf("a subnet without a route out reaches ECR (ok %v, known %v)", ok, known)
	}
}

// The commands doppio init --compose prints for a missing Cloud Map service
// (ecs-params service_discovery) work as printed, and ECS takes the result.
func TestAWSCLICloudMap(t *testing.T) {
	if testing.Short() {
		t.Skip("one Python start per command")
	}
	e := startEmulator(t, Options{})
	cli := newCLIRunner(t, e)
	opID := dig(cli.run("servicediscovery", "create-private-dns-namespace", "--name", "corp.internal", "--vpc", "vpc-0a"), "OperationId").(string)
	nsID := dig(cli.run("servicediscovery", "get-operation", "--operation-id", opID), "Operation", "Targets", "NAMESPACE").(string)
	svc := cli.run("servicediscovery", "create-service", "--name", "shop", "--namespace-id", nsID,
		"--dns-config", "RoutingPolicy=MULTIVALUE,DnsRecords=[{Type=A,TTL=60}]", "--health-check-custom-config", "FailureThreshold=1")
	arn, _ := dig(svc, "Service", "Arn").(string)
	if dig(svc, "Service", "DnsConfig", "DnsRecords", 0, "Type") != "A" || arn == "" {
		t.Fatalf("create-service = %v", svc)
	}
	list := cli.run("servicediscovery", "list-services", "--filters", "Name=NAMESPACE_ID,Values="+nsID+",Condition=EQ")
	if dig(list, "Services", 0, "Arn") != arn {
		t.Fatalf("list-services = %v", list)
	}
	if err := e.CreateCluster("demo"); err != nil {
		t.Fatal(err)
	}
	cli.run("ecs", "register-task-definition", "--family", "shop", "--network-mode", "awsvpc", "--requires-compatibilities", "FARGATE",
		"--cpu", "256", "--memory", "512", "--container-definitions", `[{"name":"web","image":"nginx","portMappings":[{"containerPort":8080}]}]`)
	out := cli.run("ecs", "create-service", "--cluster", "demo", "--service-name", "shop", "--task-definition", "shop",
		"--desired-count", "1", "--launch-type", "FARGATE",
		"--network-configuration", "awsvpcConfiguration={subnets=[subnet-1]}", "--service-registries", "registryArn="+arn)
	if dig(out, "service", "serviceRegistries", 0, "registryArn") != arn {
		t.Fatalf("ecs create-service = %v", out)
	}
}

// A user's own setup reads and sets a target group's deregistration delay
// (how long the emulator drains a load-balanced service's old tasks) with
// the AWS CLI, as against ELB: 300 s by default, 0-3600 accepted.
func TestAWSCLITargetGroupDeregistrationDelay(t *testing.T) {
	if testing.Short() {
		t.Skip("one Python start per command")
	}
	e := startEmulator(t, Options{})
	cli := newCLIRunner(t, e)
	tg := dig(cli.run("elbv2", "create-target-group", "--name", "web", "--protocol", "HTTP", "--port", "80", "--vpc-id", "vpc-made-up", "--target-type", "ip"),
		"TargetGroups", 0, "TargetGroupArn").(string)
	delay := func(out map[string]any) any {
		attrs, _ := dig(out, "Attributes").([]any)
		for _, a := range attrs {
			if dig(a, "Key") == "deregistration_delay.timeout_seconds" {
				return dig(a, "Value")
			}
		}
		return nil
	}
	if got := delay(cli.run("elbv2", "describe-target-group-attributes", "--target-group-arn", tg)); got != "300" {
		t.Fatalf("default deregistration delay %v, want 300", got)
	}
	if got := delay(cli.run("elbv2", "modify-target-group-attributes", "--target-group-arn", tg, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=30")); got != "30" {
		t.Fatalf("modify answered a delay of %v, want 30", got)
	}
	if got := delay(cli.run("elbv2", "describe-target-group-attributes", "--target-group-arn", tg)); got != "30" {
		t.Fatalf("deregistration delay after modify %v, want 30", got)
	}
	if _, stderr, err := cli.try("elbv2", "modify-target-group-attributes", "--target-group-arn", tg, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=4000"); err == nil || !strings.Contains(stderr, "ValidationError") {
		t.Fatalf("a delay of 4000 s: err %v, stderr %s", err, stderr)
	}
}
