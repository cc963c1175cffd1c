local must_env = std.native('must_env');
{
  region: 'us-east-1',
  cluster: must_env('DOPPIO_TEST_CLUSTER'),
  service: std.extVar('service'),
  service_definition: 'defs/ecs-service-def.json',
  task_definition: 'defs/ecs-task-def.jsonnet',
  timeout: '%dm' % std.extVar('minutes'),
  plugins: [{ name: 'tfstate', config: { path: 'terraform.tfstate' } }],
  ignore: { tags: ['owner'] },
}
