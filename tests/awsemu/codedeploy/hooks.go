package codedeploy

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cd "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Functions is the Lambda a hook runs on: the emulator's lambda package.
// Invoke answers what function ref returns for payload, the unhandled error
// message when it failed, or an error when it cannot be invoked (missing).
type Functions interface {
	Invoke(ref string, payload []byte) (out []byte, functionError string, err error)
}

// DefaultHookTimeout is how long CodeDeploy waits for a hook's Lambda
// function to report through PutLifecycleEventHookExecutionStatus: an hour,
// as AWS documents for ECS deployments.
const DefaultHookTimeout = time.Hour

// hookExec is one run of a lifecycle event's hook function.
type hookExec struct {
	id       string // lifecycleEventHookExecutionId
	event    int    // index in deployment.events
	function string
	// reportAt is when the function reports autoStatus itself (zero: it
	// never does and someone must call PutLifecycleEventHookExecutionStatus).
	reportAt   time.Time
	autoStatus string
	message    string // diagnostics of a failure
	expires    time.Time
	// status is what PutLifecycleEventHookExecutionStatus set.
	status string
}

// startHook invokes the hook function of event i as CodeDeploy does, with
// {DeploymentId, LifecycleEventHookExecutionId}, and schedules what follows.
//
// What the function answers stands for what its code would report: an
// answer with hookStatus SUCCEEDED or FAILED reports that status after
// Timings.Hook; any other answer (IN_PROGRESS, no hookStatus) or an
// unhandled error reports nothing, so the event waits for a
// PutLifecycleEventHookExecutionStatus call until the hook timeout. A
// function that cannot be invoked (missing) fails the event at once. Results
// set with SetHookResult or the seed's codedeploy.hooks take precedence and
// need no function.
func (s *Service) startHook(d *deployment, i int, fn string, at time.Time) {
	x := &hookExec{id: s.hookExecutionID(), event: i, function: fn, expires: at.Add(s.timings.HookTimeout)}
	d.hook = x
	if d.hookIDs == nil {
		d.hookIDs = map[string]string{}
	}
	d.hookIDs[aws.ToString(d.events[i].LifecycleEventName)] = x.id
	if r, ok := s.hooks[functionName(fn)]; ok && r.Status != "" {
		x.reportAt, x.autoStatus, x.message = at.Add(s.timings.Hook), r.Status, r.Message
		d.due = x.reportAt
		return
	}
	payload, _ := json.Marshal(map[string]string{"DeploymentId": aws.ToString(d.info.DeploymentId), "LifecycleEventHookExecutionId": x.id})
	var out []byte
	var fnErr string
	var err error
	if s.fns == nil {
		err = fmt.Errorf("no Lambda service")
	} else {
		out, fnErr, err = s.fns.Invoke(fn, payload)
	}
	switch {
	case err != nil:
		x.reportAt, x.autoStatus = at, "Failed"
		x.message = fmt.Sprintf("The %s hook could not invoke Lambda function %s: %v", aws.ToString(d.events[i].LifecycleEventName), fn, err)
	case fnErr != "":
		// An unhandled error: the function never reports.
	default:
		var ans struct {
			HookStatus string `json:"hookStatus"`
		}
		_ = json.Unmarshal(out, &ans)
		switch strings.ToUpper(ans.HookStatus) {
		case "SUCCEEDED":
			x.reportAt, x.autoStatus = at.Add(s.timings.Hook), "Succeeded"
		case "FAILED":
			x.reportAt, x.autoStatus = at.Add(s.timings.Hook), "Failed"
			x.message = fmt.Sprintf("The %s hook's Lambda function %s reported Failed.", aws.ToString(d.events[i].LifecycleEventName), fn)
		}
	}
	d.due = x.expires
	if !x.reportAt.IsZero() {
		d.due = x.reportAt
	}
}

// hookOutcome is the result of d's running hook at at: "Succeeded",
// "Failed", "TimedOut", or "" while it still runs (d.due is then set to the
// next moment that can change it).
func (s *Service) hookOutcome(d *deployment, at time.Time) (status, message string) {
	x := d.hook
	switch {
	case x.status != "":
		if x.status == "Failed" && x.message == "" {
			x.message = fmt.Sprintf("The %s hook's Lambda function %s reported Failed.", aws.ToString(d.events[x.event].LifecycleEventName), x.function)
		}
		return x.status, x.message
	case !x.reportAt.IsZero() && !at.Before(x.reportAt):
		return x.autoStatus, x.message
	case !at.Before(x.expires):
		return "TimedOut", fmt.Sprintf("The %s hook's Lambda function %s did not report a status through PutLifecycleEventHookExecutionStatus within %s.",
			aws.ToString(d.events[x.event].LifecycleEventName), x.function, s.timings.HookTimeout)
	}
	d.due = x.expires
	if !x.reportAt.IsZero() && x.reportAt.Before(d.due) {
		d.due = x.reportAt
	}
	return "", ""
}

// hookExecutionID is an opaque token like the ones CodeDeploy hands hooks.
func (s *Service) hookExecutionID() string {
	return "eyJlbmNyeXB0ZWREYXRhIjoi" + base64.RawURLEncoding.EncodeToString([]byte(s.srv.NewID(24)))
}

// putLifecycleEventHookExecutionStatus is how a hook function reports.
func (s *Service) putLifecycleEventHookExecutionStatus(in *cd.PutLifecycleEventHookExecutionStatusInput, now time.Time) (any, error) {
	d, err := s.find(in.DeploymentId)
	if err != nil {
		return nil, err
	}
	id := aws.ToString(in.LifecycleEventHookExecutionId)
	if id == "" {
		return nil, apiErr("InvalidLifecycleEventHookExecutionIdException", "A lifecycle event hook execution ID must be specified.")
	}
	if in.Status != cdtypes.LifecycleEventStatusSucceeded && in.Status != cdtypes.LifecycleEventStatusFailed {
		return nil, apiErr("InvalidLifecycleEventHookExecutionStatusException", "The status %q is not valid: use Succeeded or Failed.", in.Status)
	}
	x := d.hook
	if x == nil || x.id != id {
		for _, past := range d.hookIDs {
			if past == id {
				return nil, apiErr("LifecycleEventAlreadyCompletedException", "The lifecycle event of hook execution %s has already completed.", id)
			}
		}
		return nil, apiErr("InvalidLifecycleEventHookExecutionIdException", "No lifecycle event hook execution %s in deployment %s.", id, aws.ToString(d.info.DeploymentId))
	}
	if d.phase == phaseDone || x.status != "" {
		return nil, apiErr("LifecycleEventAlreadyCompletedException", "The lifecycle event of hook execution %s has already completed.", id)
	}
	x.status = string(in.Status)
	d.updated = now
	d.due = now
	s.advance(now)
	return &cd.PutLifecycleEventHookExecutionStatusOutput{LifecycleEventHookExecutionId: aws.String(id)}, nil
}

// HookExecutions are the lifecycle event hook execution ids handed to the
// hook functions of deployment id so far, by lifecycle event: what a
// function would read from its event, for a test to report with
// PutLifecycleEventHookExecutionStatus.
func (s *Service) HookExecutions(deploymentID string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.srv.Now())
	out := map[string]string{}
	if d := s.deployments[deploymentID]; d != nil {
		for ev, id := range d.hookIDs {
			out[ev] = id
		}
	}
	return out
}
