// Shared by the service and task definitions.
{
  tags: [{ key: 'env', value: 'demo' }],
  containerPort: 80,
}
