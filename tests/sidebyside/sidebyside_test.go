// Package sidebyside measures doppio and kayac/ecspresso in one run: the
// same emulator rollouts in real time, and the start-up of both binaries.
// It needs both binaries (DOPPIO_BIN, ECSPRESSO_BIN) and skips without
// them; scripts/bench-vs-ecspresso.sh builds doppio, installs ecspresso
// v2.3.2 and runs it. Nothing here runs in `make test`.
package sidebyside

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

func binaries(b *testing.B) map[string]string {
	bins := map[string]string{"doppio": os.Getenv("DOPPIO_BIN"), "ecspresso": os.Getenv("ECSPRESSO_BIN")}
	for name, path := range bins {
		if path == "" {
			b.Skipf("set DOPPIO_BIN and ECSPRESSO_BIN (scripts/bench-vs-ecspresso.sh does)")
		}
		if _, err := os.Stat(path); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
	}
	return bins
}

// rollout is one scenario; phase lengths are drawn uniformly (seconds).
type rollout struct {
	name                             string
	drain                            int // deregistration delay, s; 0: no load balancer
	provision, pending, stop, steady [2]float64
}

var rollouts = []rollout{
	{name: "10s", provision: [2]float64{1, 3}, pending: [2]float64{3, 6}, stop: [2]float64{0.5, 2}, steady: [2]float64{0.5, 1.5}},
	{name: "30s", provision: [2]float64{3, 8}, pending: [2]float64{14, 22}, stop: [2]float64{1, 4}, steady: [2]float64{1, 3}},
	{name: "60s-drain", drain: 60, provision: [2]float64{3, 8}, pending: [2]float64{10, 25}, stop: [2]float64{0.5, 3}, steady: [2]float64{1, 3}},
	{name: "300s-drain", drain: 300, provision: [2]float64{5, 30}, pending: [2]float64{20, 60}, stop: [2]float64{0.5, 3}, steady: [2]float64{1, 3}},
}

const taskDefJSON = `{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env ` + "`IMAGE_TAG`" + ` }}", "essential": true,
    "portMappings": [{"containerPort": 80}]}]
}`

// BenchmarkRollouts deploys each scenario with both tools, each on a fresh
// emulator with the same drawn phase lengths, in real time. Per tool it
// reports the most AWS calls of one deploy and the median time from the
// "deployment completed" event to the process's exit. DEPLOYS (default 3)
// deploys per scenario; SCENARIOS (a regexp, default all) picks scenarios.
//
//	DOPPIO_BIN=... ECSPRESSO_BIN=... go test ./tests/sidebyside/ -run '^$' -bench Rollouts -benchtime 1x -timeout 2h
func BenchmarkRollouts(b *testing.B) {
	bins := binaries(b)
	n := 3
	if v, err := strconv.Atoi(os.Getenv("DEPLOYS")); err == nil && v > 0 {
		n = v
	}
	for _, sc := range rollouts {
		b.Run(sc.name, func(b *testing.B) {
			rng := rand.New(rand.NewSource(int64(len(sc.name)) * 104729))
			calls := map[string][]int{}
			latency := map[string][]time.Duration{}
			for i := 0; i < n; i++ {
				tm := drawTimings(rng, sc)
				for _, tool := range []string{"doppio", "ecspresso"} {
					c, l := deployOnce(b, bins[tool], sc, tm, i)
					calls[tool] = append(calls[tool], c)
					latency[tool] = append(latency[tool], l)
				}
			}
			for _, tool := range []string{"doppio", "ecspresso"} {
				b.ReportMetric(float64(maxInt(calls[tool])), tool+"-aws-calls-max")
				b.ReportMetric(median(latency[tool]).Seconds(), tool+"-s-exit-latency-median")
				b.Logf("%s %s: AWS calls %v, exit latencies %v", sc.name, tool, calls[tool], latency[tool])
			}
		})
	}
}

func drawTimings(rng *rand.Rand, sc rollout) awsemu.ECSTimingsSeed {
	u := func(r [2]float64) string {
		return time.Duration((r[0] + rng.Float64()*(r[1]-r[0])) * float64(time.Second)).String()
	}
	return awsemu.ECSTimingsSeed{Provision: u(sc.provision), Pending: u(sc.pending), Stop: u(sc.stop), SteadyState: u(sc.steady), RunTask: "5s"}
}

// deployOnce runs one deploy of tool against a fresh emulator: its AWS
// calls, and the time from the rollout's end to the process's exit.
func deployOnce(b *testing.B, bin string, sc rollout, tm awsemu.ECSTimingsSeed, i int) (int, time.Duration) {
	b.Helper()
	emu := awsemu.New(awsemu.Options{Clock: awsemu.NewRealClock(1), Seed: 1})
	if err := emu.Start(""); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = emu.Close() }()
	dir := b.TempDir()
	svc := map[string]any{
		"launchType": "FARGATE", "desiredCount": 2,
		"networkConfiguration":    map[string]any{"awsvpcConfiguration": map[string]any{"subnets": []string{"subnet-1"}}},
		"deploymentConfiguration": map[string]any{"maximumPercent": 200, "minimumHealthyPercent": 100},
	}
	var lbs []ecstypes.LoadBalancer
	if sc.drain > 0 {
		tg, err := emu.PutTargetGroup(awsemu.TargetGroupSpec{Name: "web", Attributes: map[string]string{"deregistration_delay.timeout_seconds": strconv.Itoa(sc.drain)}})
		if err != nil {
			b.Fatal(err)
		}
		svc["loadBalancers"] = []map[string]any{{"targetGroupArn": tg, "containerName": "app", "containerPort": 80}}
		lbs = []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(tg), ContainerName: aws.String("app"), ContainerPort: aws.Int32(80)}}
	}
	// The service runs web:1 in steady state; each tool deploys web:2.
	if err := emu.ApplySeed(&awsemu.Seed{ECS: &awsemu.ECSSeed{Clusters: []awsemu.ECSClusterSeed{{Name: "demo"}}, Timings: &tm}}); err != nil {
		b.Fatal(err)
	}
	var td ecs.RegisterTaskDefinitionInput
	if err := json.Unmarshal([]byte(strings.ReplaceAll(taskDefJSON, "{{ must_env `IMAGE_TAG` }}", "1")), &td); err != nil {
		b.Fatal(err)
	}
	arn, err := emu.SeedTaskDefinition(&td)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := emu.SeedService(&ecs.CreateServiceInput{
		Cluster: aws.String("demo"), ServiceName: aws.String("web"), TaskDefinition: aws.String(arn), DesiredCount: aws.Int32(2),
		LaunchType:              ecstypes.LaunchTypeFargate,
		NetworkConfiguration:    &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}},
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{MaximumPercent: aws.Int32(200), MinimumHealthyPercent: aws.Int32(100)},
		LoadBalancers:           lbs,
	}); err != nil {
		b.Fatal(err)
	}
	svcJSON, _ := json.Marshal(svc)
	write(b, dir, "ecs-service-def.json", string(svcJSON))
	write(b, dir, "ecs-task-def.json", taskDefJSON)
	write(b, dir, "ecspresso.yml", "region: us-east-1\ncluster: demo\nservice: web\nservice_definition: ecs-service-def.json\ntask_definition: ecs-task-def.json\ntimeout: 20m\n")
	env := append(os.Environ(), emu.Env()...)
	env = append(env, "AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"), "NO_COLOR=1")
	run := func(tag string, args ...string) {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = dir, append(env, "IMAGE_TAG="+tag)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out.String())
		}
	}
	mark := emu.Log.Len()
	run(fmt.Sprintf("2-%d", i), "deploy", "--config", "ecspresso.yml")
	exit := time.Now()
	s, ok := emu.ECSService("demo", "web")
	if !ok {
		b.Fatal("service web is gone")
	}
	for _, ev := range s.Events {
		if strings.Contains(aws.ToString(ev.Message), "deployment completed") {
			return emu.Log.Len() - mark, exit.Sub(aws.ToTime(ev.CreatedAt))
		}
	}
	b.Fatalf("%s: no deployment completed event", filepath.Base(bin))
	return 0, 0
}

func write(b *testing.B, dir, name, content string) {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStartup runs `version` and `render config` of both binaries in
// alternation and reports each one's median wall and CPU time, and the
// binaries' sizes.
//
//	DOPPIO_BIN=... ECSPRESSO_BIN=... go test ./tests/sidebyside/ -run '^$' -bench Startup -benchtime 1x
func BenchmarkStartup(b *testing.B) {
	bins := binaries(b)
	dir := b.TempDir()
	write(b, dir, "ecs-task-def.json", taskDefJSON)
	write(b, dir, "ecs-service-def.json", `{"launchType": "FARGATE", "desiredCount": 1}`)
	write(b, dir, "ecspresso.yml", "region: us-east-1\ncluster: demo\nservice: web\nservice_definition: ecs-service-def.json\ntask_definition: ecs-task-def.json\n")
	env := append(os.Environ(), "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "IMAGE_TAG=1",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"))
	commands := map[string][][]string{
		"version": {{"version"}, {"version"}},
		"render":  {{"render", "--config", "ecspresso.yml", "config"}, {"render", "config", "--config", "ecspresso.yml"}},
	}
	// CPU time (user + system) is the steadier figure on a shared machine;
	// wall time is what a user waits.
	const runs = 61
	for _, what := range []string{"version", "render"} {
		wall, cpu := map[string][]time.Duration{}, map[string][]time.Duration{}
		for r := 0; r < runs; r++ {
			for i, tool := range []string{"doppio", "ecspresso"} {
				cmd := exec.Command(bins[tool], commands[what][i]...)
				cmd.Dir, cmd.Env = dir, env
				start := time.Now()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%s %v: %v\n%s", tool, commands[what][i], err, out)
				}
				wall[tool] = append(wall[tool], time.Since(start))
				cpu[tool] = append(cpu[tool], cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
			}
		}
		for _, tool := range []string{"doppio", "ecspresso"} {
			b.ReportMetric(median(wall[tool]).Seconds()*1000, tool+"-"+what+"-ms-wall-median")
			b.ReportMetric(median(cpu[tool]).Seconds()*1000, tool+"-"+what+"-ms-cpu-median")
		}
	}
	for _, tool := range []string{"doppio", "ecspresso"} {
		st, err := os.Stat(bins[tool])
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Size())/1e6, tool+"-MB")
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration{}, ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func maxInt(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
