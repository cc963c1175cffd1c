local tfstate = std.native('tfstate');
local common = import 'lib/common.libsonnet';

{
  deploymentConfiguration: {
    deploymentCircuitBreaker: { enable: true, rollback: true },
    maximumPercent: 200,
    minimumHealthyPercent: 100,
  },
  deploymentController: { type: 'ECS' },
  desiredCount: 2,
  enableECSManagedTags: true,
  enableExecuteCommand: false,
  healthCheckGracePeriodSeconds: 30,
  launchType: 'FARGATE',
  loadBalancers: [
    {
      containerName: 'web',
      containerPort: common.containerPort,
      targetGroupArn: tfstate('aws_lb_target_group.web.arn'),
    },
  ],
  networkConfiguration: {
    awsvpcConfiguration: {
      assignPublicIp: 'DISABLED',
      securityGroups: [tfstate('aws_security_group.web.id')],
      subnets: [tfstate('aws_subnet.private["%s"].id' % az) for az in ['a', 'c']],
    },
  },
  platformVersion: 'LATEST',
  propagateTags: 'SERVICE',
  schedulingStrategy: 'REPLICA',
  tags: common.tags,
}
