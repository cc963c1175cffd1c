package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/deploy"
)

// region is the run's AWS region, for error messages ("" when unknown).
func (g *Globals) region() string {
	if g.project != nil && g.project.Clients != nil {
		return g.project.Clients.Region()
	}
	return os.Getenv("AWS_REGION")
}

// firstContact rewrites the errors a new user meets first (no credentials,
// no or a wrong region, an expired SSO session or token, access denied, a
// cluster or service that is not where doppio looked) as one paragraph:
// what doppio tried, what AWS said, what to do. The SDK's chain of wrapped
// errors ("get identity: get credentials: failed to refresh cached
// credentials, ...") is dropped. ok is false for any other error.
func firstContact(err error, region string) (msg string, ok bool) {
	var nf *deploy.ServiceNotFoundError
	if errors.As(err, &nf) && nf.Region == "" && region != "" {
		c := *nf
		c.Region = region
		return strings.Replace(err.Error(), nf.Error(), c.Error(), 1), true
	}
	var op *smithy.OperationError
	if !errors.As(err, &op) {
		return "", false
	}
	// What doppio was doing: the context it wrapped around the SDK error.
	tried := strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(err.Error(), op.Error())), ":")
	call := op.ServiceID + " " + op.OperationName
	profile := ""
	if p := os.Getenv("AWS_PROFILE"); p != "" {
		profile = " --profile " + p
	}
	var explained string
	var sso *ssocreds.InvalidTokenError
	var api smithy.APIError
	var dns *net.DNSError
	switch {
	case errors.As(err, &sso):
		explained = fmt.Sprintf("the AWS SSO session has expired (or is invalid), so doppio has no credentials for %s. Run `aws sso login%s` and retry.", call, profile)
	case strings.Contains(op.Err.Error(), "get credentials") || strings.Contains(op.Err.Error(), "failed to retrieve credentials"):
		explained = fmt.Sprintf("doppio found no AWS credentials for %s. It looked for AWS_ACCESS_KEY_ID, a profile (AWS_PROFILE, ~/.aws/config and credentials), SSO, a web identity token (AWS_ROLE_ARN) and an instance or container role. "+
			"In GitHub Actions add aws-actions/configure-aws-credentials before doppio; locally run `aws configure` or `aws sso login%s`, or set AWS_PROFILE.", call, profile)
	case strings.Contains(op.Err.Error(), "Missing Region"):
		explained = fmt.Sprintf("no AWS region is set, so doppio cannot call %s. Set `region` in the config, or AWS_REGION, or a region in the profile (AWS_PROFILE).", call)
	case errors.As(err, &dns) && dns.IsNotFound && strings.Contains(dns.Name, ".amazonaws.com"):
		r := region
		if r == "" {
			r = "the configured region"
		} else {
			r = fmt.Sprintf("region %q", r)
		}
		explained = fmt.Sprintf("there is no AWS endpoint %s for %s: is %s right? Check `region` in the config, AWS_REGION and the profile's region.", dns.Name, call, r)
	case errors.As(err, &api):
		explained = explainAPIError(api, call, op, region, profile)
	}
	if explained == "" {
		return "", false
	}
	if tried != "" {
		return tried + ": " + explained, true
	}
	return explained, true
}

// explainAPIError explains the AWS error codes of a first contact ("" for
// any other).
func explainAPIError(api smithy.APIError, call string, op *smithy.OperationError, region, profile string) string {
	said := api.ErrorCode()
	if m := api.ErrorMessage(); m != "" {
		said += ": " + m
	}
	switch api.ErrorCode() {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException", "AuthorizationError":
		return fmt.Sprintf("AWS denied %s:%s (%s). Allow it to the role doppio runs as (docs/github-actions.md#iam lists what each command needs), or check which role that is: --assume-role-arn, AWS_PROFILE, `aws sts get-caller-identity`.",
			iamPrefix(op.ServiceID), op.OperationName, said)
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired":
		return fmt.Sprintf("the AWS credentials have expired (%s: %s). Get fresh ones (`aws sso login%s`, or re-run configure-aws-credentials for a long job) and retry.", call, said, profile)
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature":
		return fmt.Sprintf("AWS does not accept the credentials (%s: %s). Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for temporary ones) or the profile.", call, said)
	case "ClusterNotFoundException":
		where := ""
		if region != "" {
			where = " in region " + region
		}
		return fmt.Sprintf("the cluster does not exist%s (%s: %s). Check `cluster` and `region` in the config (and AWS_REGION, the account of the credentials).", where, call, said)
	}
	return ""
}

// iamPrefix is the IAM action prefix of an SDK service id.
func iamPrefix(serviceID string) string {
	switch serviceID {
	case "CloudWatch Logs":
		return "logs"
	case "Elastic Load Balancing v2":
		return "elasticloadbalancing"
	case "Application Auto Scaling":
		return "application-autoscaling"
	}
	return strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
}
