package awsemu

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ecsSvcDeployment is a service deployment as ListServiceDeployments and
// DescribeServiceDeployments report it: one per CreateService/UpdateService
// that changed what runs. A circuit-breaker rollback stays inside the
// service deployment it rolls back.
type ecsSvcDeployment struct {
	arn                   string
	svc                   *ecsSvc
	createdAt, startedAt  time.Time
	updatedAt             time.Time
	finishedAt, stoppedAt *time.Time
	status                ecstypes.ServiceDeploymentStatus
	statusReason          string
	stage                 ecstypes.ServiceDeploymentLifecycleStage
	sources               []string // service revision ARNs running when it started
	target                *ecsDeployment
	rollback              *ecstypes.Rollback
	rollbackDep           *ecsDeployment
	config                ecstypes.DeploymentConfiguration
	bg                    *bgState // blue/green, linear and canary strategies
}

func (sd *ecsSvcDeployment) inProgress() bool {
	switch sd.status {
	case ecstypes.ServiceDeploymentStatusPending, ecstypes.ServiceDeploymentStatusInProgress,
		ecstypes.ServiceDeploymentStatusRollbackRequested, ecstypes.ServiceDeploymentStatusRollbackInProgress,
		ecstypes.ServiceDeploymentStatusStopRequested:
		return true
	}
	return false
}

func (sd *ecsSvcDeployment) finish(status ecstypes.ServiceDeploymentStatus, reason string, at time.Time) {
	sd.status, sd.updatedAt = status, at
	if reason != "" {
		sd.statusReason = reason
	}
	if status == ecstypes.ServiceDeploymentStatusStopped {
		sd.stoppedAt = aws.Time(at)
	} else {
		sd.finishedAt = aws.Time(at)
	}
}

func (s *ecsService) newServiceDeployment(svc *ecsSvc, d *ecsDeployment, sources []string, now time.Time) *ecsSvcDeployment {
	sd := &ecsSvcDeployment{
		arn: s.arn("service-deployment/" + svc.cluster.name + "/" + svc.name + "/" + s.shortID(21)),
		svc: svc, createdAt: now, startedAt: now, updatedAt: now,
		status: ecstypes.ServiceDeploymentStatusInProgress, stage: ecstypes.ServiceDeploymentLifecycleStageReconcileService,
		sources: sources, target: d, config: *svc.cfg.DeploymentConfiguration,
	}
	svc.sds = append(svc.sds, sd)
	return sd
}

// revisionSummary counts the tasks of the deployment currently running
// revision arn, if any still does.
func (s *ecsService) revisionSummary(svc *ecsSvc, arn string) ecstypes.ServiceRevisionSummary {
	out := ecstypes.ServiceRevisionSummary{Arn: aws.String(arn)}
	for _, d := range svc.deployments {
		if d.revisionArn == arn {
			dv := s.deploymentView(svc, d)
			out.RequestedTaskCount += dv.DesiredCount
			out.RunningTaskCount += dv.RunningCount
			out.PendingTaskCount += dv.PendingCount
		}
	}
	return out
}

func (s *ecsService) serviceDeploymentView(sd *ecsSvcDeployment) ecstypes.ServiceDeployment {
	svc := sd.svc
	cfg := sd.config
	out := ecstypes.ServiceDeployment{
		ServiceDeploymentArn: aws.String(sd.arn), ServiceArn: aws.String(svc.arn), ClusterArn: aws.String(svc.cluster.arn),
		CreatedAt: aws.Time(sd.createdAt), StartedAt: aws.Time(sd.startedAt), UpdatedAt: aws.Time(sd.updatedAt),
		FinishedAt: sd.finishedAt, StoppedAt: sd.stoppedAt, Status: sd.status, LifecycleStage: sd.stage,
		DeploymentConfiguration: &cfg, Rollback: sd.rollback, SourceServiceRevisions: []ecstypes.ServiceRevisionSummary{},
	}
	if sd.statusReason != "" {
		out.StatusReason = aws.String(sd.statusReason)
	}
	target := s.revisionSummary(svc, sd.target.revisionArn)
	for _, arn := range sd.sources {
		out.SourceServiceRevisions = append(out.SourceServiceRevisions, s.revisionSummary(svc, arn))
	}
	sd.trafficWeights(&target, out.SourceServiceRevisions)
	out.TargetServiceRevision = &target
	out.LifecycleHookDetails = sd.hookDetails()
	cb := &ecstypes.ServiceDeploymentCircuitBreaker{Status: ecstypes.ServiceDeploymentRollbackMonitorsStatusDisabled,
		FailureCount: sd.target.failed, Threshold: breakerThreshold(svc.desiredCount())}
	if cfg.DeploymentCircuitBreaker != nil && cfg.DeploymentCircuitBreaker.Enable {
		switch {
		case sd.target.rollout == ecstypes.DeploymentRolloutStateFailed:
			cb.Status = ecstypes.ServiceDeploymentRollbackMonitorsStatusTriggered
		case sd.inProgress():
			cb.Status = ecstypes.ServiceDeploymentRollbackMonitorsStatusMonitoring
		default:
			cb.Status = ecstypes.ServiceDeploymentRollbackMonitorsStatusMonitoringComplete
		}
	}
	out.DeploymentCircuitBreaker = cb
	return out
}

func (s *ecsService) findServiceDeployment(arn string) *ecsSvcDeployment {
	for _, c := range s.clusters {
		for _, svc := range c.serviceOrder {
			for _, sd := range svc.sds {
				if sd.arn == arn {
					return sd
				}
			}
		}
	}
	return nil
}

func (s *ecsService) listServiceDeployments(in *ecs.ListServiceDeploymentsInput, now time.Time) (any, error) {
	c, svc, err := s.findService(in.Cluster, in.Service, false)
	if err != nil {
		return nil, err
	}
	var briefs []ecstypes.ServiceDeploymentBrief
	for i := len(svc.sds) - 1; i >= 0; i-- { // newest first
		sd := svc.sds[i]
		if len(in.Status) > 0 && !hasInclude(in.Status, string(sd.status)) {
			continue
		}
		if ca := in.CreatedAt; ca != nil {
			if ca.After != nil && sd.createdAt.Before(*ca.After) {
				continue
			}
			if ca.Before != nil && sd.createdAt.After(*ca.Before) {
				continue
			}
		}
		b := ecstypes.ServiceDeploymentBrief{
			ServiceDeploymentArn: aws.String(sd.arn), ServiceArn: aws.String(svc.arn), ClusterArn: aws.String(c.arn),
			CreatedAt: aws.Time(sd.createdAt), StartedAt: aws.Time(sd.startedAt), FinishedAt: sd.finishedAt,
			Status: sd.status, TargetServiceRevisionArn: aws.String(sd.target.revisionArn),
		}
		if sd.statusReason != "" {
			b.StatusReason = aws.String(sd.statusReason)
		}
		briefs = append(briefs, b)
	}
	start, end, next, err := page(len(briefs), in.MaxResults, in.NextToken, 20, 100)
	if err != nil {
		return nil, err
	}
	return &ecs.ListServiceDeploymentsOutput{ServiceDeployments: append([]ecstypes.ServiceDeploymentBrief{}, briefs[start:end]...), NextToken: next}, nil
}

func (s *ecsService) describeServiceDeployments(in *ecs.DescribeServiceDeploymentsInput, now time.Time) (any, error) {
	if len(in.ServiceDeploymentArns) == 0 || len(in.ServiceDeploymentArns) > 20 {
		return nil, apiErr("InvalidParameterException", "serviceDeploymentArns must contain between 1 and 20 items.")
	}
	out := &ecs.DescribeServiceDeploymentsOutput{ServiceDeployments: []ecstypes.ServiceDeployment{}, Failures: []ecstypes.Failure{}}
	for _, arn := range in.ServiceDeploymentArns {
		sd := s.findServiceDeployment(arn)
		if sd == nil {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		out.ServiceDeployments = append(out.ServiceDeployments, s.serviceDeploymentView(sd))
	}
	return out, nil
}

func (s *ecsService) stopServiceDeployment(in *ecs.StopServiceDeploymentInput, now time.Time) (any, error) {
	sd := s.findServiceDeployment(aws.ToString(in.ServiceDeploymentArn))
	if sd == nil {
		return nil, apiErr("ServiceDeploymentNotFoundException", "The service deployment does not exist.")
	}
	svc := sd.svc
	if !sd.inProgress() || svc.status != "ACTIVE" || svc.deployments[0].sd != sd {
		return nil, apiErr("ConflictException", "The service deployment is not in progress and cannot be stopped.")
	}
	p := svc.deployments[0]
	stopType := in.StopType
	if stopType == "" {
		stopType = ecstypes.StopServiceDeploymentStopTypeRollback
	}
	switch stopType {
	case ecstypes.StopServiceDeploymentStopTypeRollback:
		if svc.lastCompleted == nil || svc.lastCompleted == p || sd.status == ecstypes.ServiceDeploymentStatusRollbackInProgress {
			return nil, apiErr("InvalidParameterException", "The service deployment cannot be rolled back because there is no previous successful service revision.")
		}
		s.failDeployment(svc, p, now, "ECS deployment stopped: rolling back.",
			"(deployment "+p.id+") deployment stopped by a StopServiceDeployment request.",
			true, "Service deployment rolled back because of a StopServiceDeployment request.")
	case ecstypes.StopServiceDeploymentStopTypeAbort:
		p.rollout, p.reason, p.updatedAt = ecstypes.DeploymentRolloutStateFailed, "ECS deployment stopped.", now
		sd.finish(ecstypes.ServiceDeploymentStatusStopped, "Service deployment stopped by a StopServiceDeployment request.", now)
	default:
		return nil, apiErr("InvalidParameterException", "Invalid stopType %q.", stopType)
	}
	return &ecs.StopServiceDeploymentOutput{ServiceDeploymentArn: aws.String(sd.arn)}, nil
}

func (s *ecsService) describeServiceRevisions(in *ecs.DescribeServiceRevisionsInput, now time.Time) (any, error) {
	if len(in.ServiceRevisionArns) == 0 || len(in.ServiceRevisionArns) > 20 {
		return nil, apiErr("InvalidParameterException", "serviceRevisionArns must contain between 1 and 20 items.")
	}
	out := &ecs.DescribeServiceRevisionsOutput{ServiceRevisions: []ecstypes.ServiceRevision{}, Failures: []ecstypes.Failure{}}
	for _, arn := range in.ServiceRevisionArns {
		var rev *ecstypes.ServiceRevision
		for _, c := range s.clusters {
			for _, svc := range c.serviceOrder {
				if r := svc.revisions[arn]; r != nil {
					rev = r
				}
			}
		}
		if rev == nil {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		out.ServiceRevisions = append(out.ServiceRevisions, *rev)
	}
	return out, nil
}
