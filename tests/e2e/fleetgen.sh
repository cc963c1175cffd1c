#!/bin/sh
# The fleet_*.txtar scripts' services (tests/e2e/README.md).
# fleetgen.sh N [FAILING]: a seed with N running services s01..sN in cluster demo,
# and for each a config directory whose task definition changes the image;
# FAILING's new revision exits 1 (its circuit breaker rolls back).
n=$1; failing=$2
{
  echo 'ecs:'
  echo '  clusters: [{name: demo}]'
  echo '  taskDefinitions:'
  for i in $(seq 1 "$n" | xargs printf "%02d\n"); do
    echo "    - {family: s$i, networkMode: awsvpc, requiresCompatibilities: [FARGATE], cpu: '256', memory: '512', containerDefinitions: [{name: app, image: 'nginx:1.27', essential: true}]}"
  done
  echo '  services:'
  for i in $(seq 1 "$n" | xargs printf "%02d\n"); do
    echo "    - {cluster: demo, serviceName: s$i, taskDefinition: s$i, desiredCount: 1, launchType: FARGATE, networkConfiguration: {awsvpcConfiguration: {subnets: [subnet-1]}}, deploymentConfiguration: {deploymentCircuitBreaker: {enable: true, rollback: true}}}"
  done
} > world.yml
for i in $(seq 1 "$n" | xargs printf "%02d\n"); do
  d=services/s$i; mkdir -p $d
  printf 'region: us-east-1\ncluster: demo\nservice: s%s\nservice_definition: ecs-service-def.json\ntask_definition: ecs-task-def.json\n' "$i" > $d/ecspresso.yml
  printf '{"desiredCount": 1, "launchType": "FARGATE", "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},\n "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}}}\n' > $d/ecs-service-def.json
  labels=''
  if [ "s$i" = "$failing" ]; then labels=', "dockerLabels": {"awsemu.exit-code": "1"}'; fi
  printf '{"family": "s%s", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",\n "containerDefinitions": [{"name": "app", "image": "nginx:1.28", "essential": true%s}]}\n' "$i" "$labels" > $d/ecs-task-def.json
done
