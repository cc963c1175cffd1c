{
  name: 'web',
  image: 'nginx:1.27',
  essential: true,
  portMappings: [{ containerPort: 80, protocol: 'tcp' }],
}
