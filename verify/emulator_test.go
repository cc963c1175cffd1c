package verify_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/tests/awsemu"
	"github.com/doppio-ecs/doppio/tests/awsemu/ec2"
	"github.com/doppio-ecs/doppio/verify"
)

// startEmulator runs the AWS emulator and returns clients pointed at it
// through the real SDK and the standard environment variables.
func startEmulator(t testing.TB) (*awsemu.Emulator, *awsapi.Clients) {
	t.Helper()
	emu := awsemu.New(awsemu.Options{Seed: 1})
	if err := emu.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
	})
	for _, kv := range emu.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_PROFILE", "")
	// No fault is injected here: one attempt, so an error is never hidden.
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	clients, err := awsapi.New(context.Background(), awsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.EC2().ApplySeed(privateVPC); err != nil {
		t.Fatal(err)
	}
	return emu, clients
}

// privateVPC is where the tests' services run: subnet-1 is private and
// reaches AWS through a NAT gateway.
var privateVPC = &ec2.Seed{
	Vpcs:             []ec2.VpcSeed{{ID: "vpc-1", CidrBlock: "10.0.0.0/16"}},
	Subnets:          []ec2.SubnetSeed{{ID: "subnet-1", VpcID: "vpc-1", CidrBlock: "10.0.1.0/24"}, {ID: "subnet-public", VpcID: "vpc-1", CidrBlock: "10.0.0.0/24"}},
	InternetGateways: []ec2.InternetGatewaySeed{{ID: "igw-1", VpcID: "vpc-1"}},
	NatGateways:      []ec2.NatGatewaySeed{{ID: "nat-1", SubnetID: "subnet-public"}},
	RouteTables: []ec2.RouteTableSeed{
		{ID: "rtb-public", VpcID: "vpc-1", Subnets: []string{"subnet-public"}, Routes: []ec2.RouteSeed{{Destination: "0.0.0.0/0", GatewayID: "igw-1"}}},
		{ID: "rtb-private", VpcID: "vpc-1", Subnets: []string{"subnet-1"}, Routes: []ec2.RouteSeed{{Destination: "0.0.0.0/0", NatGatewayID: "nat-1"}}},
	},
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	td       *ecs.RegisterTaskDefinitionInput
	svc      *verify.Service
	cluster  string
	tgIP     string
	tgInst   string
	secretDB string
}

// seedWorld creates what the sample definitions point at, plus a few
// deliberately broken neighbours.
func seedWorld(t testing.TB, emu *awsemu.Emulator) fixture {
	str := must[string](t)
	exec := str(emu.PutRole(awsemu.RoleSpec{Name: "web-exec"}))
	task := str(emu.PutRole(awsemu.RoleSpec{Name: "web-task", Path: "/app/"}))
	_ = str(emu.PutRole(awsemu.RoleSpec{Name: "ec2-only", TrustPolicy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":["sts:AssumeRole"]}}`}))
	for _, spec := range []awsemu.ImageSpec{
		{Repository: "web", Tags: []string{"v1"}},
		{Repository: "web", Tags: []string{"v3"}},
		{Repository: "multi", Tags: []string{"v1"}, Platforms: []string{"linux/amd64", "linux/arm64"}},
		{Repository: "armonly", Tags: []string{"v1"}, Platforms: []string{"linux/arm64"}},
		{Repository: "tools", Tags: []string{"latest"}},
		{Repository: "oci", Tags: []string{"v1"}, OCI: true, Index: true},
	} {
		_ = str(emu.PutImage(spec))
	}
	noErr(t, emu.PutParameter(awsemu.ParameterSpec{Name: "/web/db-host", Value: "db.internal"}))
	noErr(t, emu.PutParameter(awsemu.ParameterSpec{Name: "/web/api-key", Type: "SecureString", Value: "k3y-s3cr3t"}))
	secretDB := str(emu.PutSecret(awsemu.SecretSpec{Name: "web/db", Value: map[string]any{"username": "app", "password": "pw-123456"}}))
	noErr(t, emu.CreateLogGroup(awsemu.LogGroupSpec{Name: "/ecs/web"}))
	noErr(t, emu.PutS3Object("config", "web/app.env", []byte("A=1\n")))
	tgIP := str(emu.PutTargetGroup(awsemu.TargetGroupSpec{Name: "web", LoadBalancerArns: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1"}}))
	tgInst := str(emu.PutTargetGroup(awsemu.TargetGroupSpec{Name: "web-inst", TargetType: "instance", LoadBalancerArns: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1"}}))

	img := func(repoTag string) *string { return aws.String(emu.RegistryHost() + "/" + repoTag) }
	awslogs := func(group string, create bool) *ecstypes.LogConfiguration {
		o := map[string]string{"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}
		if create {
			o["awslogs-create-group"] = "true"
		}
		return &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: o}
	}
	td := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("web"),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("1024"),
		Memory:                  aws.String("2048"),
		ExecutionRoleArn:        aws.String(exec),
		TaskRoleArn:             aws.String(task),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{
				Name: aws.String("web"), Image: img("web:v1"), Essential: aws.Bool(true),
				PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80)}},
				Secrets: []ecstypes.Secret{
					{Name: aws.String("DB_HOST"), ValueFrom: aws.String("/web/db-host")},
					{Name: aws.String("API_KEY"), ValueFrom: aws.String("arn:aws:ssm:us-east-1:123456789012:parameter/web/api-key")},
					{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String(secretDB + ":password::")},
				},
				EnvironmentFiles: []ecstypes.EnvironmentFile{{Type: ecstypes.EnvironmentFileTypeS3, Value: aws.String("arn:aws:s3:::config/web/app.env")}},
				LogConfiguration: awslogs("/ecs/web", false),
			},
			{
				Name: aws.String("sidecar"), Image: img("web:v2"), Essential: aws.Bool(false),
				Secrets: []ecstypes.Secret{
					{Name: aws.String("DB_HOST"), ValueFrom: aws.String("/web/db-host")},
					{Name: aws.String("MISSING"), ValueFrom: aws.String("/web/nope")},
					{Name: aws.String("BAD_KEY"), ValueFrom: aws.String(secretDB + ":nokey::")},
					{Name: aws.String("GONE"), ValueFrom: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf")},
				},
				EnvironmentFiles: []ecstypes.EnvironmentFile{{Type: ecstypes.EnvironmentFileTypeS3, Value: aws.String("arn:aws:s3:::config/web/missing.env")}},
				LogConfiguration: awslogs("/ecs/missing", false),
			},
			{Name: aws.String("multi"), Image: img("multi:v1"), Essential: aws.Bool(false), LogConfiguration: awslogs("/ecs/created", true)},
			{Name: aws.String("arm"), Image: img("armonly:v1"), Essential: aws.Bool(false), LogConfiguration: awslogs("/ecs/web", false)},
			{Name: aws.String("tools"), Image: img("tools:latest"), Essential: aws.Bool(false)},
			{Name: aws.String("oci"), Image: img("oci:v1"), Essential: aws.Bool(false)},
			{Name: aws.String("again"), Image: img("web:v1"), Essential: aws.Bool(false)},
			{Name: aws.String("norepo"), Image: img("nope:v1"), Essential: aws.Bool(false)},
		},
	}
	svc := &verify.Service{
		Name:                     "web",
		CapacityProviderStrategy: []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE")}, {CapacityProvider: aws.String("MY_EC2")}},
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{"subnet-1"},
		}},
		LoadBalancers: []ecstypes.LoadBalancer{
			{TargetGroupArn: aws.String(tgIP), ContainerName: aws.String("web"), ContainerPort: aws.Int32(80)},
			{TargetGroupArn: aws.String(tgInst), ContainerName: aws.String("web"), ContainerPort: aws.Int32(80)},
			{TargetGroupArn: aws.String(strings.Replace(tgIP, "/web/", "/gone/", 1)), ContainerName: aws.String("web"), ContainerPort: aws.Int32(80)},
			{TargetGroupArn: aws.String(tgIP), ContainerName: aws.String("web"), ContainerPort: aws.Int32(8080)},
		},
	}
	return fixture{td: td, svc: svc, cluster: "demo", tgIP: tgIP, tgInst: tgInst, secretDB: secretDB}
}

// createCluster seeds a cluster through the API, as a user would.
func createCluster(t testing.TB, clients *awsapi.Clients, name string, providers ...string) {
	t.Helper()
	_, err := clients.ECS.CreateCluster(context.Background(), &ecs.CreateClusterInput{ClusterName: aws.String(name), CapacityProviders: providers})
	noErr(t, err)
}

func TestRunAgainstEmulator(t *testing.T) {
	emu, clients := startEmulator(t)
	f := seedWorld(t, emu)
	createCluster(t, clients, "demo", "FARGATE", "FARGATE_SPOT")
	rep, err := verify.Run(context.Background(), clients, verify.Input{TaskDefinition: f.td, Service: f.svc, Cluster: f.cluster}, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	_ = rep.WriteText(&text, false)
	t.Log("\n" + text.String())

	host := emu.RegistryHost()
	want := []struct {
		path   string // names from the root, "/" separated
		status verify.Status
		reason string
		cached bool
	}{
		{"TaskDefinition[web]/ExecutionRole[arn:aws:iam::123456789012:role/web-exec]", verify.OK, "trusts ecs-tasks.amazonaws.com", false},
		{"TaskDefinition[web]/TaskRole[arn:aws:iam::123456789012:role/app/web-task]", verify.OK, "trusts", false},
		{"TaskDefinition[web]/ContainerDefinition[web]/Image[" + host + "/web:v1]", verify.OK, "exists for linux/amd64", false},
		{"TaskDefinition[web]/ContainerDefinition[web]/Secret DB_HOST[/web/db-host]", verify.OK, "SSM parameter exists", false},
		{"TaskDefinition[web]/ContainerDefinition[web]/Secret API_KEY[arn:aws:ssm:us-east-1:123456789012:parameter/web/api-key]", verify.OK, "SecureString", false},
		{"TaskDefinition[web]/ContainerDefinition[web]/Secret DB_PASSWORD[" + f.secretDB + ":password::]", verify.OK, "not checked (reading values needs --deep)", false},
		{"TaskDefinition[web]/ContainerDefinition[web]/EnvironmentFile[arn:aws:s3:::config/web/app.env]", verify.OK, "object exists", false},
		{"TaskDefinition[web]/ContainerDefinition[web]/LogConfiguration[awslogs group=/ecs/web region=us-east-1]", verify.OK, "log group exists", false},
		{"TaskDefinition[web]/ContainerDefinition[sidecar]/Image[" + host + "/web:v2]", verify.NG, "not found; pushed tags: v1, v3", false},
		{"TaskDefinition[web]/ContainerDefinition[sidecar]/Secret DB_HOST[/web/db-host]", verify.OK, "", true},
		{"TaskDefinition[web]/ContainerDefinition[sidecar]/Secret MISSING[/web/nope]", verify.NG, "SSM parameter /web/nope does not exist", false},
		{"TaskDefinition[web]/ContainerDefinition[sidecar]/Secret BAD_KEY[" + f.secretDB + ":nokey::]", verify.OK, "not checked", false},
		{"TaskDefinition[web]/ContainerDefinition[sidecar]/Secret GONE[arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf]", verify.NG, "does not exist", false},
		{"TaskDefinition[web]/ContainerDefinition[sidecar]/EnvironmentFile[arn:aws:s3:::config/web/missing.env]", verify.NG, "does not exist", false},
		{"TaskDefinition[web]/ContainerDefinition[sidecar]/LogConfiguration[awslogs group=/ecs/missing region=us-east-1]", verify.NG, "log group /ecs/missing does not exist", false},
		{"TaskDefinition[web]/ContainerDefinition[multi]/Image[" + host + "/multi:v1]", verify.OK, "exists for linux/amd64", false},
		{"TaskDefinition[web]/ContainerDefinition[multi]/LogConfiguration[awslogs group=/ecs/created region=us-east-1]", verify.OK, "ECS creates it", false},
		{"TaskDefinition[web]/ContainerDefinition[arm]/Image[" + host + "/armonly:v1]", verify.NG, "is built for linux/arm64, but the task runs on linux/amd64", false},
		{"TaskDefinition[web]/ContainerDefinition[arm]/LogConfiguration[awslogs group=/ecs/web region=us-east-1]", verify.OK, "", true},
		{"TaskDefinition[web]/ContainerDefinition[tools]/Image[" + host + "/tools:latest]", verify.WARN, "mutable tag", false},
		{"TaskDefinition[web]/ContainerDefinition[oci]/Image[" + host + "/oci:v1]", verify.OK, "exists for linux/amd64", false},
		{"TaskDefinition[web]/ContainerDefinition[again]/Image[" + host + "/web:v1]", verify.OK, "exists", true},
		{"TaskDefinition[web]/ContainerDefinition[norepo]/Image[" + host + "/nope:v1]", verify.NG, `repository "nope" does not exist`, false},
		{"ServiceDefinition[web]/LoadBalancer[0 " + f.tgIP + "]", verify.OK, "target type ip", false},
		{"ServiceDefinition[web]/LoadBalancer[1 " + f.tgInst + "]", verify.NG, "awsvpc tasks need target type ip", false},
		{"ServiceDefinition[web]/LoadBalancer[2 " + strings.Replace(f.tgIP, "/web/", "/gone/", 1) + "]", verify.NG, "does not exist", false},
		{"ServiceDefinition[web]/LoadBalancer[3 " + f.tgIP + "]", verify.NG, "does not map containerPort 8080", false},
		{"Cluster[demo]", verify.OK, "exists", false},
		{"Cluster[demo]/CapacityProvider[FARGATE]", verify.OK, "associated", false},
		{"Cluster[demo]/CapacityProvider[MY_EC2]", verify.NG, "not associated with cluster demo", false},
	}
	for _, w := range want {
		c := findPath(rep, w.path)
		if c == nil {
			t.Errorf("no check %s", w.path)
			continue
		}
		if c.Status != w.status || !strings.Contains(c.Reason, w.reason) || c.Cached != w.cached {
			t.Errorf("%s:\n got [%s] %s (cached %v)\nwant [%s] containing %q (cached %v)", w.path, c.Status, c.Reason, c.Cached, w.status, w.reason, w.cached)
		}
	}
	if rep.Status() != verify.NG {
		t.Errorf("report status %s, want NG", rep.Status())
	}
	if strings.Contains(text.String(), "pw-123456") || strings.Contains(text.String(), "k3y-s3cr3t") {
		t.Error("a secret value reached the report")
	}
}

func TestRunDeepAndPutLogs(t *testing.T) {
	emu, clients := startEmulator(t)
	f := seedWorld(t, emu)
	createCluster(t, clients, "demo", "FARGATE", "FARGATE_SPOT")
	rep, err := verify.Run(context.Background(), clients, verify.Input{TaskDefinition: f.td, Service: f.svc, Cluster: f.cluster}, verify.Options{Deep: true, PutLogs: true})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"TaskDefinition[web]/ContainerDefinition[web]/Secret DB_PASSWORD[" + f.secretDB + ":password::]":         "[OK] secret exists with JSON key \"password\"",
		"TaskDefinition[web]/ContainerDefinition[sidecar]/Secret BAD_KEY[" + f.secretDB + ":nokey::]":            "[NG] secret " + f.secretDB + " has no JSON key \"nokey\" (keys: password, username)",
		"TaskDefinition[web]/ContainerDefinition[web]/LogConfiguration[awslogs group=/ecs/web region=us-east-1]": "[OK] log group exists; test event written to stream web/doppio-verify/web/",
	} {
		c := findPath(rep, path)
		if c == nil {
			t.Errorf("no check %s", path)
			continue
		}
		if got := fmt.Sprintf("[%s] %s", c.Status, c.Reason); !strings.HasPrefix(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", path, got, want)
		}
	}
	if !emu.LogGroupExists("/ecs/created") {
		t.Error("--put-logs did not create the awslogs-create-group group")
	}
}

// TestRunWarnsOnAccessDenied: missing read permissions are WARN, not NG.
func TestRunWarnsOnAccessDenied(t *testing.T) {
	emu, _ := startEmulator(t)
	f := seedWorld(t, emu)
	clients := denyingClients(t, emu, "GetRole", "DescribeSecret", "GetParameters")
	rep, err := verify.Run(context.Background(), clients, verify.Input{TaskDefinition: f.td, Service: f.svc, Cluster: f.cluster}, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"TaskDefinition[web]/ExecutionRole[arn:aws:iam::123456789012:role/web-exec]",
		"TaskDefinition[web]/ContainerDefinition[web]/Secret DB_HOST[/web/db-host]",
		"TaskDefinition[web]/ContainerDefinition[web]/Secret DB_PASSWORD[" + f.secretDB + ":password::]",
	} {
		c := findPath(rep, path)
		if c == nil || c.Status != verify.WARN || !strings.Contains(c.Reason, "access denied") {
			t.Errorf("%s: got %+v, want WARN access denied", path, c)
		}
	}
}

// denyingClients returns clients whose calls to the named operations get
// AccessDenied, as from an identity without those permissions; everything
// else reaches the emulator.
func denyingClients(t *testing.T, emu *awsemu.Emulator, ops ...string) *awsapi.Clients {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		target := r.Header.Get("X-Amz-Target")
		form, _ := url.ParseQuery(string(body))
		for _, op := range ops {
			switch {
			case strings.HasSuffix(target, "."+op):
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"__type":"AccessDeniedException","message":"not authorized to perform %s"}`, op)
				return
			case target == "" && form.Get("Action") == op:
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform %s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, op)
				return
			}
		}
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	clients, err := awsapi.New(context.Background(), awsapi.Options{})
	noErr(t, err)
	createCluster(t, clients, "demo", "FARGATE", "FARGATE_SPOT")
	return clients
}

func TestRunRoleTrustAndAbsence(t *testing.T) {
	emu, clients := startEmulator(t)
	f := seedWorld(t, emu)
	f.td.ExecutionRoleArn = aws.String("arn:aws:iam::123456789012:role/ec2-only")
	f.td.TaskRoleArn = aws.String("arn:aws:iam::123456789012:role/nobody")
	rep, err := verify.Run(context.Background(), clients, verify.Input{TaskDefinition: f.td, Cluster: "nocluster"}, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"TaskDefinition[web]/ExecutionRole[arn:aws:iam::123456789012:role/ec2-only]": "cannot be assumed by ecs-tasks.amazonaws.com",
		"TaskDefinition[web]/TaskRole[arn:aws:iam::123456789012:role/nobody]":        "does not exist",
		"Cluster[nocluster]": "cluster nocluster does not exist",
		"ServiceDefinition":  "no service definition",
	} {
		c := findPath(rep, path)
		if c == nil || !strings.Contains(c.Reason, want) {
			t.Errorf("%s: got %+v, want reason containing %q", path, c, want)
		}
	}
}

func findPath(rep *verify.Report, path string) *verify.Check {
	// Names may themselves contain "/": match greedily against children.
	var walk func(cs []*verify.Check, rest string) *verify.Check
	walk = func(cs []*verify.Check, rest string) *verify.Check {
		for _, c := range cs {
			if c.Name == rest {
				return c
			}
			if strings.HasPrefix(rest, c.Name+"/") {
				if found := walk(c.Children, rest[len(c.Name)+1:]); found != nil {
					return found
				}
			}
		}
		return nil
	}
	return walk(rep.Checks, path)
}
