package apijson_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/doppio-ecs/doppio/apijson"
)

func sampleTaskDefinitionInput() *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("web"),
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/exec"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:         aws.String("app"),
			Image:        aws.String("nginx:latest"),
			Essential:    aws.Bool(true),
			Command:      []string{"sh", "-c", "echo <&> ok"},
			DockerLabels: map[string]string{"Com.Example.Label": "x", "lower": "y"},
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80), Protocol: ecstypes.TransportProtocolTcp}},
			Environment:  []ecstypes.KeyValuePair{{Name: aws.String("A"), Value: aws.String("1")}},
			LogConfiguration: &ecstypes.LogConfiguration{
				LogDriver: ecstypes.LogDriverAwslogs,
				Options:   map[string]string{"awslogs-group": "/ecs/web", "awslogs-stream-prefix": "app"},
			},
			Links: []string{}, // empty list: absent
		}},
		Volumes: []ecstypes.Volume{{
			Name: aws.String("fsx"),
			FsxWindowsFileServerVolumeConfiguration: &ecstypes.FSxWindowsFileServerVolumeConfiguration{
				FileSystemId:  aws.String("fs-1"),
				RootDirectory: aws.String(`\share`),
				AuthorizationConfig: &ecstypes.FSxWindowsFileServerAuthorizationConfig{
					CredentialsParameter: aws.String("arn:aws:ssm:::parameter/x"),
					Domain:               aws.String("example.com"),
				},
			},
		}},
		Tags: []ecstypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}},
	}
}

func TestMarshalShape(t *testing.T) {
	got, err := apijson.Marshal(sampleTaskDefinitionInput())
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	for _, want := range []string{
		"{\n  \"containerDefinitions\": [\n    {\n",
		`"fsxWindowsFileServerVolumeConfiguration": {`,
		`"Com.Example.Label": "x"`,
		`"awslogs-group": "/ecs/web"`,
		`"networkMode": "awsvpc"`,
		`"containerPort": 80,`,
		`"echo <&> ok"`,
		`"requiresCompatibilities": [` + "\n" + `    "FARGATE"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	for _, unwanted := range []string{"links", "null", `"cpu": 0`, "hostPort"} {
		if strings.Contains(s, unwanted) {
			t.Errorf("output has %q:\n%s", unwanted, s)
		}
	}
	if !strings.HasSuffix(s, "}\n") {
		t.Errorf("no trailing newline")
	}
	// Stable: same bytes every time (map iteration order must not leak).
	for range 5 {
		again, _ := apijson.Marshal(sampleTaskDefinitionInput())
		if !bytes.Equal(again, got) {
			t.Fatal("output not stable")
		}
	}
}

func TestServiceWireNames(t *testing.T) {
	m, err := apijson.ToMap(&ecs.CreateServiceInput{
		ServiceName:          aws.String("web"),
		EnableECSManagedTags: true,
		EnableExecuteCommand: false, // zero, not sent by the SDK either
		LaunchType:           ecstypes.LaunchTypeFargate,
		DesiredCount:         aws.Int32(0),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{"subnet-1"}, AssignPublicIp: ecstypes.AssignPublicIpDisabled,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"serviceName":          "web",
		"enableECSManagedTags": true,
		"launchType":           "FARGATE",
		"desiredCount":         float64(0),
		"networkConfiguration": map[string]any{"awsvpcConfiguration": map[string]any{
			"subnets": []any{"subnet-1"}, "assignPublicIp": "DISABLED",
		}},
	}
	if d := cmp.Diff(want, m); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

// captureClient answers every request with body and remembers the request.
type captureClient struct {
	req  []byte
	body string
}

func (c *captureClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		c.req, _ = io.ReadAll(r.Body)
	}
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": []string{"application/x-amz-json-1.1"}},
		Body:       io.NopCloser(strings.NewReader(c.body)),
		Request:    r,
	}, nil
}

func fakeECS(c *captureClient) *ecs.Client {
	return ecs.New(ecs.Options{
		Region:      "us-east-1",
		Credentials: aws.AnonymousCredentials{},
		HTTPClient:  c,
	})
}

// dropEmptyLists removes what apijson leaves out on purpose, so the rest must
// equal the SDK's own wire JSON byte for byte.
func dropEmptyLists(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			c := dropEmptyLists(x)
			if c == nil {
				delete(t, k)
			} else {
				t[k] = c
			}
		}
	case []any:
		if len(t) == 0 {
			return nil
		}
		for i, x := range t {
			t[i] = dropEmptyLists(x)
		}
	}
	return v
}

func TestMatchesSDKWireFormat(t *testing.T) {
	c := &captureClient{body: `{}`}
	in := sampleTaskDefinitionInput()
	if _, err := fakeECS(c).RegisterTaskDefinition(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	var wire any
	if err := json.Unmarshal(c.req, &wire); err != nil {
		t.Fatalf("decode request %s: %v", c.req, err)
	}
	got, err := apijson.ToMap(in)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(dropEmptyLists(wire), any(got)); d != "" {
		t.Errorf("apijson differs from the SDK wire JSON (-wire +apijson)\n%s", d)
	}
}

func TestSDKDecodesOutput(t *testing.T) {
	td := &ecstypes.TaskDefinition{
		Family:               aws.String("web"),
		Revision:             3,
		Status:               ecstypes.TaskDefinitionStatusActive,
		TaskDefinitionArn:    aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"),
		ContainerDefinitions: sampleTaskDefinitionInput().ContainerDefinitions,
		Volumes:              sampleTaskDefinitionInput().Volumes,
		RequiresAttributes:   []ecstypes.Attribute{{Name: aws.String("com.amazonaws.ecs.capability.logging-driver.awslogs")}},
	}
	td.ContainerDefinitions[0].Links = nil
	body, err := apijson.Marshal(map[string]any{"taskDefinition": td})
	if err != nil {
		t.Fatal(err)
	}
	c := &captureClient{body: string(body)}
	out, err := fakeECS(c).DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := apijson.ToMap(td)
	b, _ := apijson.ToMap(out.TaskDefinition)
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("SDK decoded apijson output differently (-sent +decoded)\n%s", d)
	}
}

type wrapper struct {
	ecs.CreateServiceInput
	Tags       []ecstypes.Tag
	Extra      *string
	CodeDeploy *struct{ ApplicationName string } `json:"codeDeploy,omitempty"`
	hidden     string
}

func TestReflectionFallback(t *testing.T) {
	m, err := apijson.ToMap(wrapper{
		CreateServiceInput: ecs.CreateServiceInput{ServiceName: aws.String("web"), EnableECSManagedTags: true},
		Tags:               []ecstypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
		CodeDeploy:         &struct{ ApplicationName string }{"app"},
		hidden:             "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"serviceName":          "web",
		"enableECSManagedTags": true,
		"tags":                 []any{map[string]any{"key": "k", "value": "v"}},
		"codeDeploy":           map[string]any{"applicationName": "app"},
	}
	if d := cmp.Diff(want, m); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func TestNil(t *testing.T) {
	b, err := apijson.Marshal(nil)
	if err != nil || string(b) != "{}\n" {
		t.Errorf("Marshal(nil) = %q, %v", b, err)
	}
	var td *ecstypes.TaskDefinition
	m, err := apijson.ToMap(td)
	if err != nil || len(m) != 0 {
		t.Errorf("ToMap(nil ptr) = %v, %v", m, err)
	}
	if _, err := apijson.ToMap([]string{"a"}); err == nil {
		t.Error("ToMap of a list: want error")
	}
}
