package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// StatusCodeDeploy is the CodeDeploy side of a CODE_DEPLOY service: its
// deployment group and the group's newest deployment, with its lifecycle
// events and the traffic split between the task sets.
type StatusCodeDeploy struct {
	Application      string `json:"application"`
	DeploymentGroup  string `json:"deploymentGroup"`
	DeploymentConfig string `json:"deploymentConfig,omitempty"`
	// The newest deployment; empty when the group has none.
	DeploymentID string                 `json:"deploymentId,omitempty"`
	Status       string                 `json:"status,omitempty"`
	Creator      string                 `json:"creator,omitempty"`
	URL          string                 `json:"url,omitempty"`
	Error        string                 `json:"error,omitempty"`
	Events       []StatusLifecycleEvent `json:"lifecycleEvents,omitempty"`
	TaskSets     []StatusTaskSet        `json:"taskSets,omitempty"`
}

// StatusLifecycleEvent is one lifecycle event of a CodeDeploy deployment.
type StatusLifecycleEvent struct {
	Name        string `json:"name"`
	Status      string `json:"status"`
	Diagnostics string `json:"diagnostics,omitempty"`
}

// StatusTaskSet is a task set of a CodeDeploy deployment's target.
type StatusTaskSet struct {
	Label         string  `json:"label"` // Blue (original), Green (replacement)
	ID            string  `json:"id"`
	Status        string  `json:"status"`
	TrafficWeight float64 `json:"trafficWeight"`
	Desired       int64   `json:"desiredCount"`
	Running       int64   `json:"runningCount"`
}

// FetchCodeDeployStatus reads the service's deployment group and its newest
// deployment. It makes no mutating call.
func FetchCodeDeployStatus(ctx context.Context, cd *CodeDeploy, cluster, service string) (*StatusCodeDeploy, error) {
	g, err := cd.Group(ctx, cluster, service)
	if err != nil {
		return nil, err
	}
	st := &StatusCodeDeploy{Application: g.Application, DeploymentGroup: g.DeploymentGroup, DeploymentConfig: g.DeploymentConfig}
	info, err := cd.Latest(ctx, g)
	if err != nil || info == nil {
		return st, err
	}
	id := aws.ToString(info.DeploymentId)
	st.DeploymentID, st.Status, st.Creator, st.URL = id, string(info.Status), string(info.Creator), cd.ConsoleURL(id)
	if ei := info.ErrorInformation; ei != nil {
		st.Error = aws.ToString(ei.Message)
	}
	t, err := cd.Target(ctx, id, cluster, service)
	if err != nil || t == nil {
		return st, err
	}
	for _, e := range t.LifecycleEvents {
		st.Events = append(st.Events, StatusLifecycleEvent{Name: aws.ToString(e.LifecycleEventName), Status: string(e.Status), Diagnostics: diagnostics(e)})
	}
	for _, ts := range t.TaskSetsInfo {
		st.TaskSets = append(st.TaskSets, StatusTaskSet{Label: string(ts.TaskSetLabel), ID: aws.ToString(ts.Identifer), Status: aws.ToString(ts.Status),
			TrafficWeight: ts.TrafficWeight, Desired: ts.DesiredCount, Running: ts.RunningCount})
	}
	return st, nil
}

func (c *StatusCodeDeploy) lines() []string {
	l := []string{fmt.Sprintf("CodeDeploy: application %s, deployment group %s, config %s", c.Application, c.DeploymentGroup, c.DeploymentConfig)}
	if c.DeploymentID == "" {
		return append(l, "  no deployment yet")
	}
	line := fmt.Sprintf("  deployment %s %s", c.DeploymentID, c.Status)
	if c.Creator == string(cdtypes.DeploymentCreatorCodeDeployRollback) {
		line += " (automatic rollback)"
	}
	l = append(l, line)
	if c.Error != "" {
		l = append(l, "  error: "+c.Error)
	}
	for _, e := range c.Events {
		line := fmt.Sprintf("  %-21s %s", e.Name, e.Status)
		if e.Diagnostics != "" {
			line += ": " + e.Diagnostics
		}
		l = append(l, line)
	}
	for _, ts := range c.TaskSets {
		role := "original"
		if ts.Label == string(cdtypes.TargetLabelGreen) {
			role = "replacement"
		}
		l = append(l, fmt.Sprintf("  task set %s (%s, %s) %s traffic, %d/%d running, %s", ts.ID, ts.Label, role, percent(ts.TrafficWeight), ts.Running, ts.Desired, ts.Status))
	}
	if c.URL != "" {
		l = append(l, "  "+c.URL)
	}
	return l
}
