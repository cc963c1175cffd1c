package awsemu

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// BenchmarkDescribeServices measures DescribeServices through the real SDK
// (client and server on the same machine), for a steady service with 10
// tasks and a full event list. The req/s metric is what docs/performance.md
// quotes; the target is ≥ 2,000.
func BenchmarkDescribeServices(b *testing.B) {
	e := startEmulator(b, Options{})
	if err := e.CreateCluster("app"); err != nil {
		b.Fatal(err)
	}
	td, err := e.SeedTaskDefinition(fargateTD("web", "nginx:1"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.SeedService(&ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(td),
		DesiredCount: aws.Int32(10), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork}); err != nil {
		b.Fatal(err)
	}
	client := ecs.NewFromConfig(sdkConfig(b, e, 1))
	in := &ecs.DescribeServicesInput{Cluster: aws.String("app"), Services: []string{"web"}}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			out, err := client.DescribeServices(ctx, in)
			if err != nil || len(out.Services) != 1 {
				b.Errorf("describe: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
