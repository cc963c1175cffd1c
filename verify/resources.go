package verify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// logCheck checks an awslogs log configuration; other drivers are skipped.
func (r *runner) logCheck(parent *Check, cd ecstypes.ContainerDefinition) {
	lc := cd.LogConfiguration
	if lc == nil {
		return
	}
	if lc.LogDriver != ecstypes.LogDriverAwslogs {
		parent.add(&Check{Name: fmt.Sprintf("LogConfiguration[%s]", lc.LogDriver), Status: SKIP, Reason: "only the awslogs driver is checked"})
		return
	}
	group, region := lc.Options["awslogs-group"], lc.Options["awslogs-region"]
	c := parent.add(&Check{Name: fmt.Sprintf("LogConfiguration[awslogs group=%s region=%s]", group, region)})
	var missing []string
	if group == "" {
		missing = append(missing, "awslogs-group")
	}
	if region == "" {
		missing = append(missing, "awslogs-region")
	}
	if len(missing) > 0 {
		c.set(NG, "the awslogs driver needs the options %s", strings.Join(missing, " and "))
		return
	}
	create, _ := strconv.ParseBool(lc.Options["awslogs-create-group"])
	key := fmt.Sprintf("logs:%s:%s:%v", region, group, create)
	if r.opts.PutLogs {
		key = "" // each container writes its own test event
	}
	prefix, container := lc.Options["awslogs-stream-prefix"], aws.ToString(cd.Name)
	r.schedule(c, key, prioOther, func(ctx context.Context, c *Check) {
		r.checkLogGroup(ctx, c, region, group, create, prefix, container)
	})
}

func (r *runner) checkLogGroup(ctx context.Context, c *Check, region, group string, create bool, prefix, container string) {
	cl := r.logsIn(region)
	exists, err := logGroupExists(ctx, cl, group)
	if err != nil {
		r.awsError(c, err, "cannot look up log group "+group)
		return
	}
	if !exists && !create {
		c.set(NG, "log group %s does not exist in %s; create it or set awslogs-create-group \"true\" (the execution role then needs logs:CreateLogGroup)", group, region)
		return
	}
	reason := "log group exists"
	if !exists {
		reason = "log group does not exist yet; ECS creates it (awslogs-create-group)"
	}
	if !r.opts.PutLogs {
		c.set(OK, "%s", reason)
		return
	}
	if !exists {
		if _, err := cl.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
			var already *logtypes.ResourceAlreadyExistsException
			if !errors.As(err, &already) {
				r.awsError(c, err, "cannot create log group "+group)
				return
			}
		}
	}
	stream := fmt.Sprintf("doppio-verify/%s/%d", container, time.Now().UnixNano())
	if prefix != "" {
		stream = prefix + "/" + stream
	}
	if _, err := cl.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		r.awsError(c, err, "cannot create log stream in "+group)
		return
	}
	_, err = cl.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName:  aws.String(group),
		LogStreamName: aws.String(stream),
		LogEvents:     []logtypes.InputLogEvent{{Message: aws.String("doppio verify test event"), Timestamp: aws.Int64(time.Now().UnixMilli())}},
	})
	if err != nil {
		r.awsError(c, err, "cannot put a test event to "+group)
		return
	}
	c.set(OK, "%s; test event written to stream %s", reason, stream)
}

func logGroupExists(ctx context.Context, cl *cloudwatchlogs.Client, group string) (bool, error) {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(cl, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)})
	for pages := 0; p.HasMorePages() && pages < 10; pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return false, err
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == group {
				return true, nil
			}
		}
	}
	return false, nil
}

func (r *runner) logsIn(region string) *cloudwatchlogs.Client {
	if region == "" || region == r.clients.Region() {
		return r.clients.Logs
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.logsBy == nil {
		r.logsBy = map[string]*cloudwatchlogs.Client{}
	}
	if cl, ok := r.logsBy[region]; ok {
		return cl
	}
	cl := cloudwatchlogs.NewFromConfig(r.clients.Config, func(o *cloudwatchlogs.Options) { o.Region = region })
	r.logsBy[region] = cl
	return cl
}

// envFileCheck checks one environmentFiles entry (S3 only, as in ECS).
func (r *runner) envFileCheck(parent *Check, f ecstypes.EnvironmentFile) {
	v := aws.ToString(f.Value)
	c := parent.add(&Check{Name: fmt.Sprintf("EnvironmentFile[%s]", v)})
	if f.Type != "" && f.Type != ecstypes.EnvironmentFileTypeS3 {
		c.set(SKIP, "type %s is not checked", f.Type)
		return
	}
	bucket, key, err := parseS3ObjectARN(v)
	if err != nil {
		c.set(NG, "%v", err)
		return
	}
	if !strings.HasSuffix(key, ".env") {
		// ECS requires the .env extension.
		c.set(NG, "environment file %s must have the .env extension", v)
		return
	}
	r.schedule(c, "envfile:"+v, prioOther, func(ctx context.Context, c *Check) {
		_, err := r.clients.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			var nf *s3types.NotFound
			var nsk *s3types.NoSuchKey
			var nsb *s3types.NoSuchBucket
			switch {
			case errors.As(err, &nf), errors.As(err, &nsk), errors.As(err, &nsb), errorCode(err) == "NotFound":
				c.set(NG, "environment file s3://%s/%s does not exist; upload it or fix the ARN", bucket, key)
			case errorCode(err) == "Forbidden" || isAccessDenied(err):
				c.set(WARN, "environment file s3://%s/%s: access denied; not checked", bucket, key)
			default:
				r.awsError(c, err, "cannot read environment file s3://"+bucket+"/"+key)
			}
			return
		}
		c.set(OK, "object exists")
	})
}

func parseS3ObjectARN(s string) (bucket, key string, err error) {
	a, perr := arn.Parse(s)
	if perr != nil || a.Service != "s3" {
		return "", "", fmt.Errorf("environment file %q is not an S3 object ARN (arn:aws:s3:::BUCKET/KEY)", s)
	}
	bucket, key, ok := strings.Cut(a.Resource, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", fmt.Errorf("environment file %q is not an S3 object ARN (arn:aws:s3:::BUCKET/KEY)", s)
	}
	return bucket, key, nil
}

// loadBalancerCheck checks a service load balancer: the container and port
// exist in the task definition, and the target group exists and fits.
func (r *runner) loadBalancerCheck(parent *Check, i int, lb ecstypes.LoadBalancer) {
	tg := aws.ToString(lb.TargetGroupArn)
	label := tg
	if label == "" {
		label = aws.ToString(lb.LoadBalancerName)
	}
	c := parent.add(&Check{Name: fmt.Sprintf("LoadBalancer[%d %s]", i, label)})
	pm, err := LoadBalancerTarget(r.in.TaskDefinition, lb)
	if err != nil {
		c.set(NG, "%v", err)
		return
	}
	if tg == "" {
		if lb.LoadBalancerName != nil {
			c.set(SKIP, "classic load balancer %s is not checked", label)
			return
		}
		c.set(NG, "targetGroupArn is missing")
		return
	}
	awsvpc := r.in.TaskDefinition.NetworkMode == ecstypes.NetworkModeAwsvpc
	r.schedule(c, "", prioOther, func(ctx context.Context, c *Check) {
		out, err := r.clients.ELBv2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{tg}})
		if err != nil {
			var nf *elbtypes.TargetGroupNotFoundException
			if errors.As(err, &nf) || errorCode(err) == "TargetGroupNotFound" {
				c.set(NG, "target group %s does not exist; create it or fix targetGroupArn", tg)
				return
			}
			r.awsError(c, err, "cannot describe target group "+tg)
			return
		}
		if len(out.TargetGroups) == 0 {
			c.set(NG, "target group %s does not exist; create it or fix targetGroupArn", tg)
			return
		}
		st, why := targetGroupFits(out.TargetGroups[0], *pm, awsvpc)
		c.set(st, "%s", why)
	})
}

// targetGroupFits compares a target group with the port mapping ECS will
// register in it. The group's own port is only a default (ECS registers the
// container or host port explicitly), so it is not compared.
func targetGroupFits(tg elbtypes.TargetGroup, pm ecstypes.PortMapping, awsvpc bool) (Status, string) {
	name := aws.ToString(tg.TargetGroupName)
	switch {
	case awsvpc && tg.TargetType != elbtypes.TargetTypeEnumIp:
		return NG, fmt.Sprintf("target group %s has target type %s; awsvpc tasks need target type ip", name, tg.TargetType)
	case !awsvpc && tg.TargetType == elbtypes.TargetTypeEnumIp:
		return NG, fmt.Sprintf("target group %s has target type ip; only awsvpc tasks can register by IP (use instance, or networkMode awsvpc)", name)
	}
	mapping := protocol(pm)
	switch tg.Protocol {
	case elbtypes.ProtocolEnumUdp:
		if mapping != "udp" {
			return NG, fmt.Sprintf("target group %s uses UDP but containerPort %d is %s", name, aws.ToInt32(pm.ContainerPort), mapping)
		}
	case elbtypes.ProtocolEnumTcpUdp, "":
	default:
		if mapping != "tcp" {
			return NG, fmt.Sprintf("target group %s uses %s but containerPort %d is %s", name, tg.Protocol, aws.ToInt32(pm.ContainerPort), mapping)
		}
	}
	if len(tg.LoadBalancerArns) == 0 {
		return NG, fmt.Sprintf("target group %s is not attached to any load balancer; add a listener rule forwarding to it", name)
	}
	return OK, fmt.Sprintf("target group %s exists (%s, target type %s)", name, tg.Protocol, tg.TargetType)
}
