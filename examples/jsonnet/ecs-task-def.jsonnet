local tfstate = std.native('tfstate');
local ssm = std.native('ssm');
local secretsmanager_arn = std.native('secretsmanager_arn');
local env = std.native('env');
local common = import 'lib/common.libsonnet';

{
  containerDefinitions: [
    {
      name: 'web',
      image: '%s:%s' % [tfstate('aws_ecr_repository.web.repository_url'), env('IMAGE_TAG', 'v1')],
      cpu: 0,
      essential: true,
      portMappings: [
        {
          name: 'http',
          appProtocol: 'http',
          containerPort: common.containerPort,
          hostPort: common.containerPort,
          protocol: 'tcp',
        },
      ],
      environment: [
        { name: 'APP_ENV', value: 'demo' },
        { name: 'DB_HOST', value: ssm('/demo/web/db-host') },
      ],
      secrets: [
        { name: 'API_KEY', valueFrom: secretsmanager_arn('demo/web/api-key') },
        { name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/demo/web/db-password' },
      ],
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': tfstate('aws_cloudwatch_log_group.web.name'),
          'awslogs-region': 'us-east-1',
          'awslogs-stream-prefix': 'web',
        },
      },
      readonlyRootFilesystem: false,
    },
  ],
  cpu: '256',
  executionRoleArn: tfstate('aws_iam_role.ecs_task_execution.arn'),
  family: 'web',
  memory: '512',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  runtimePlatform: {
    cpuArchitecture: 'X86_64',
    operatingSystemFamily: 'LINUX',
  },
  tags: common.tags,
  taskRoleArn: tfstate('aws_iam_role.web_task.arn'),
}
