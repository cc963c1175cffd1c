package awsemu

import (
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ECS idempotency (ECS API reference, "Ensuring idempotency"): RunTask and
// CreateService take a clientToken, scoped to the cluster. A retry with the
// same token and the same parameters succeeds without doing anything more
// and answers what the first call did; the same token with other parameters
// is refused. RunTask tokens live 24 hours.

const runTaskTokenTTL = 24 * time.Hour

// idemCall is what a call with a client token did.
type idemCall struct {
	params  any // the request without its token, as on the wire
	at      time.Time
	taskIDs []string
	// failures answered by the first RunTask call.
	failures []ecstypes.Failure
	svc      *ecsSvc
}

// tokenParams is the request as it is compared between retries.
func tokenParams[T any](in *T, clear func(*T)) any {
	cp := *in
	clear(&cp)
	return wireEncode(&cp, true)
}

// checkToken validates a client token (ASCII 33-126, at most max long) and
// returns what an earlier call with it did, or nil.
func (s *ecsService) checkToken(c *ecsCluster, op, token string, max int, params any, now time.Time) (*idemCall, error) {
	if token == "" {
		return nil, nil
	}
	if len(token) > max {
		return nil, apiErr("InvalidParameterException", "The client token must be at most %d characters long.", max)
	}
	for i := 0; i < len(token); i++ {
		if token[i] < 33 || token[i] > 126 {
			return nil, apiErr("InvalidParameterException", "The client token contains invalid characters.")
		}
	}
	prev := c.tokens[op+"/"+token]
	if prev == nil {
		return nil, nil
	}
	if op == "RunTask" && now.Sub(prev.at) > runTaskTokenTTL {
		delete(c.tokens, op+"/"+token)
		return nil, nil
	}
	if !reflect.DeepEqual(prev.params, params) {
		if op == "RunTask" {
			return nil, apiErr("ConflictException", "The request uses the same client token as a previous, but non-identical request. Do not reuse a client token with different requests, unless the requests are identical.")
		}
		return nil, apiErr("InvalidParameterException", "Creation of service was not idempotent.")
	}
	return prev, nil
}

func (s *ecsService) keepToken(c *ecsCluster, op, token string, call *idemCall) {
	if token == "" {
		return
	}
	if c.tokens == nil {
		c.tokens = map[string]*idemCall{}
	}
	c.tokens[op+"/"+token] = call
}

func runTaskParams(in *ecs.RunTaskInput) any {
	return tokenParams(in, func(r *ecs.RunTaskInput) { r.ClientToken = nil })
}

func createServiceParams(in *ecs.CreateServiceInput) any {
	return tokenParams(in, func(r *ecs.CreateServiceInput) { r.ClientToken = nil })
}

// replayRunTask answers a retried RunTask with the tasks the first call
// started, as they are now.
func (s *ecsService) replayRunTask(c *ecsCluster, prev *idemCall) *ecs.RunTaskOutput {
	out := &ecs.RunTaskOutput{Tasks: []ecstypes.Task{}, Failures: append([]ecstypes.Failure{}, prev.failures...)}
	for _, id := range prev.taskIDs {
		if t := c.taskByID[id]; t != nil {
			out.Tasks = append(out.Tasks, s.taskView(t, false))
		}
	}
	return out
}

func taskIDsOf(tasks []ecstypes.Task) []string {
	ids := make([]string, 0, len(tasks))
	for _, t := range tasks {
		ids = append(ids, lastSegment(aws.ToString(t.TaskArn)))
	}
	return ids
}
