// The same demo service as ../ecspresso.yml, written in Jsonnet.
{
  region: 'us-east-1',
  cluster: 'demo',
  service: 'web',
  service_definition: 'ecs-service-def.jsonnet',
  task_definition: 'ecs-task-def.jsonnet',
  timeout: '10m0s',
  plugins: [
    {
      name: 'tfstate',
      config: { path: '../terraform.tfstate' },
    },
  ],
}
