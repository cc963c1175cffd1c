local tfstate = std.native('tfstate');
local c = import 'lib/container.libsonnet';
{
  family: 'web',
  cpu: '256',
  memory: '512',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  executionRoleArn: tfstate('aws_iam_role.exec.arn'),
  containerDefinitions: [c { environment: [{ name: 'DB_HOST', value: '{{ ssm `/demo/web/db-host` }}' }] }],
}
