package ecsexec

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// EndpointsOf resolves the ECS and SSM endpoint URLs of the clients the way
// the SDK does for a call (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECS, FIPS,
// dual stack, else https://SERVICE.REGION.amazonaws.com): the plugin gets the
// URL the AWS CLI would give it.
func EndpointsOf(ctx context.Context, ecsClient *ecs.Client, ssmClient *ssm.Client) Endpoints {
	eo := ecsClient.Options()
	ep := Endpoints{Region: eo.Region, Profile: ProfileFromEnv()}
	if r, err := eo.EndpointResolverV2.ResolveEndpoint(ctx, ecs.EndpointParameters{
		Region: aws.String(eo.Region), Endpoint: eo.BaseEndpoint,
		UseFIPS: aws.Bool(eo.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled), UseDualStack: aws.Bool(eo.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
	}); err == nil {
		ep.ECS = r.URI.String()
	}
	so := ssmClient.Options()
	if r, err := so.EndpointResolverV2.ResolveEndpoint(ctx, ssm.EndpointParameters{
		Region: aws.String(so.Region), Endpoint: so.BaseEndpoint,
		UseFIPS: aws.Bool(so.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled), UseDualStack: aws.Bool(so.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
	}); err == nil {
		ep.SSM = r.URI.String()
	}
	return ep
}
