package deploy

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// StatusLifecycle is the current service deployment of a BLUE_GREEN,
// LINEAR or CANARY service: stage, traffic split and hooks.
type StatusLifecycle struct {
	Strategy          string       `json:"strategy"`
	ServiceDeployment string       `json:"serviceDeployment"`
	Status            string       `json:"status"`
	Stage             string       `json:"lifecycleStage"`
	StatusReason      string       `json:"statusReason,omitempty"`
	ProductionPercent *float64     `json:"productionTrafficPercent,omitempty"`
	TestPercent       *float64     `json:"testTrafficPercent,omitempty"`
	Hooks             []StatusHook `json:"hooks"`
	UpdatedAt         *time.Time   `json:"updatedAt,omitempty"`
	line              string
}

// StatusHook is one lifecycle hook execution.
type StatusHook struct {
	ID        string     `json:"hookId"`
	Type      string     `json:"targetType"`
	Target    string     `json:"targetArn,omitempty"`
	Status    string     `json:"status"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

type serviceDeploymentReader interface {
	DescribeServiceDeployments(context.Context, *ecs.DescribeServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
}

// fetchLifecycle reads the current service deployment of a service that
// deploys with lifecycle stages; nil for rolling services.
func fetchLifecycle(ctx context.Context, api ECSReader, svc *ecstypes.Service) (*StatusLifecycle, error) {
	r, ok := api.(serviceDeploymentReader)
	if !ok || !usesLifecycle(svc) || aws.ToString(svc.CurrentServiceDeployment) == "" {
		return nil, nil
	}
	out, err := r.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(svc.CurrentServiceDeployment)}})
	if err != nil {
		return nil, fmt.Errorf("describe service deployment %s: %w", shortID(aws.ToString(svc.CurrentServiceDeployment)), err)
	}
	if len(out.ServiceDeployments) == 0 {
		return nil, nil
	}
	sd := out.ServiceDeployments[0]
	lc := &StatusLifecycle{
		Strategy: string(svc.DeploymentConfiguration.Strategy), ServiceDeployment: shortID(aws.ToString(sd.ServiceDeploymentArn)),
		Status: string(sd.Status), Stage: string(sd.LifecycleStage), StatusReason: aws.ToString(sd.StatusReason),
		Hooks: []StatusHook{}, UpdatedAt: sd.UpdatedAt, line: ProgressLine(&sd),
	}
	if t := sd.TargetServiceRevision; t != nil {
		lc.ProductionPercent, lc.TestPercent = t.RequestedProductionTrafficWeight, t.RequestedTestTrafficWeight
	}
	for _, h := range sd.LifecycleHookDetails {
		lc.Hooks = append(lc.Hooks, StatusHook{ID: aws.ToString(h.HookId), Type: string(h.TargetType), Target: aws.ToString(h.TargetArn), Status: string(h.Status), ExpiresAt: h.ExpiresAt})
	}
	return lc, nil
}

// lines renders the lifecycle for `status`.
func (lc *StatusLifecycle) lines() []string {
	l := []string{fmt.Sprintf("ServiceDeployment: %s %s (%s)", lc.ServiceDeployment, lc.Status, lc.Strategy), "  " + lc.line}
	if lc.StatusReason != "" {
		l = append(l, "  "+lc.StatusReason)
	}
	for _, h := range lc.Hooks {
		if h.Status == string(ecstypes.DeploymentLifecycleHookStatusAwaitingAction) {
			l = append(l, fmt.Sprintf("  paused by hook %s until %s: `doppio continue --hook-id %s` (or --rollback)", h.ID, aws.ToTime(h.ExpiresAt).Local().Format(timeFormat), h.ID))
		}
	}
	return l
}
