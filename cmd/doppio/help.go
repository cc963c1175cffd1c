package main

import "strings"

// The Examples sections of each command's --help (kong shows Help() under
// the command's one-line description). Kept in one file so that the
// examples read as one consistent set.

func examples(lines ...string) string {
	return "Examples:\n\n" + "    " + strings.Join(lines, "\n    ")
}

func (c *DiffCmd) Help() string {
	return examples(
		"doppio diff                          # unified diffs of the service and task definition",
		"doppio diff --exit-code              # exit 2 when something differs (CI gate)",
		"doppio diff --output json | jq .     # changed paths with old and new values",
		"doppio diff --config 'services/*/ecspresso.yml' --exit-code  # every service, one section each")
}

func (c *InitCmd) Help() string {
	return examples(
		"doppio init --region us-east-1 --cluster demo --service web",
		"doppio init --cluster demo --service web --jsonnet",
		"doppio init --task-definition web:42  # a task definition alone (e.g. for run)",
		"doppio init --compose compose.yaml --ecs-params ecs-params.yml --service web")
}

func (c *RenderCmd) Help() string {
	return examples(
		"doppio render taskdef                # the task definition doppio would register",
		"doppio render config servicedef      # several at once",
		"doppio render --jsonnet taskdef",
		"doppio render --config 'services/*/ecspresso.yml' taskdef  # one section per service")
}

func (c *VerifyCmd) Help() string {
	return examples(
		"doppio verify                        # exit 3 when a check is NG",
		"doppio verify --output json | jq '.checks'",
		"doppio verify --deep --put-logs      # also read secret keys and write a test log event",
		"doppio verify --fleet doppio.fleet.yml  # every service of the fleet file")
}

func (c *DeployCmd) Help() string {
	return examples(
		"doppio deploy --dry-run              # the diff and the plan; no change",
		"doppio deploy                        # register, update, wait until COMPLETED",
		"doppio deploy --no-wait              # return once ECS accepted the change (SUBMITTED)",
		"doppio deploy --skip-task-definition --tasks 4",
		"doppio deploy --rollback-events DEPLOYMENT_FAILURE          # CodeDeploy: roll back on failure",
		"doppio deploy --wait-until codedeploy:AfterAllowTraffic     # CodeDeploy: done after that lifecycle event",
		"doppio deploy --config 'services/*/ecspresso.yml' --verify  # plan and verify all, then deploy all; a result table",
		"doppio deploy --fleet doppio.fleet.yml --parallel 4 --fail-fast  # after: ordering, 4 at once",
		"doppio deploy --fleet doppio.fleet.yml --shard 2/3 --output json  # one job of a 3-job CI matrix")
}

func (c *RollbackCmd) Help() string {
	return examples(
		"doppio rollback --dry-run",
		"doppio rollback --deregister-task-definition",
		"doppio rollback --no-deregister-task-definition  # CodeDeploy in progress: stop with auto-rollback, keep the revision",
		"doppio rollback --config api/ecspresso.yml --config web/ecspresso.yml  # both, then a result table")
}

func (c *StatusCmd) Help() string {
	return examples(
		"doppio status",
		"doppio status --events 10 --output json",
		"doppio status --config 'services/*/ecspresso.yml' --output json  # one JSON array")
}

func (c *WaitCmd) Help() string {
	return examples(
		"doppio wait                          # after deploy --no-wait",
		"doppio wait --wait-until ecs:BAKE_TIME  # blue/green: production traffic is on green",
		"doppio wait --wait-until codedeploy:AllowTraffic  # CodeDeploy: traffic is on the replacement",
		"doppio wait --fleet doppio.fleet.yml  # every service's current deployment, one polling loop")
}

func (c *ContinueCmd) Help() string {
	return examples(
		"doppio deploy --wait-until paused    # blue/green: stop at the PAUSE hook",
		"doppio continue                      # resume it, wait until deployed",
		"doppio continue --rollback           # or roll it back",
		"doppio continue --hook-id ID --wait-until ecs:BAKE_TIME")
}

func (c *RefreshCmd) Help() string {
	return examples(
		"doppio refresh                       # pull a moving image tag again",
		"doppio refresh --config 'workers/*/ecspresso.yml' --parallel 2")
}

func (c *ScaleCmd) Help() string {
	return examples(
		"doppio scale --tasks 0",
		"doppio scale --auto-scaling-min 2 --auto-scaling-max 10",
		"doppio scale --config 'services/*/ecspresso.yml' --tasks 0  # every service of the glob")
}

func (c *RegisterCmd) Help() string {
	return examples(
		"doppio register --dry-run            # the definition that would be registered",
		"doppio register --output > td.json   # the registered (or reused) revision as JSON")
}

func (c *DeregisterCmd) Help() string {
	return examples(
		"doppio deregister --keeps 5 --dry-run",
		"doppio deregister --keeps 5 --force --delete")
}

func (c *RevisionsCmd) Help() string {
	return examples(
		"doppio revisions",
		"doppio revisions --revision current  # the JSON of what the service runs",
		"doppio revisions --output json")
}

func (c *RunCmd) Help() string {
	return examples(
		"doppio run --overrides '{\"containerOverrides\":[{\"name\":\"app\",\"command\":[\"migrate\"]}]}'",
		"doppio run --latest-task-definition --watch-container app",
		"doppio run --no-wait                 # return once the task is accepted")
}

func (c *TasksCmd) Help() string {
	return examples(
		"doppio tasks",
		"doppio tasks --output json | jq -r .taskArn",
		"doppio tasks --stop --id TASK_ID --force",
		"doppio --filter-command peco tasks --find",
		"doppio tasks logs -f                 # follow the tasks' awslogs output until Ctrl-C")
}

func (c *TasksLogsCmd) Help() string {
	return examples(
		"doppio tasks logs --since 10m",
		"doppio tasks logs -f --container app",
		"doppio tasks logs --id TASK_ID       # a stopped task's lines too")
}

func (c *ExecCmd) Help() string {
	return examples(
		"doppio exec                          # a shell in the only (or a chosen) task",
		"doppio exec --check                  # why ECS Exec would fail: OK/NG/WARN with what to do",
		"doppio exec --id TASK_ID --container app --command 'rails console'",
		"doppio exec --port-forward --port 8080 --local-port 18080",
		"doppio exec --port-forward --host db.internal --port 5432 --local-port 15432",
		"doppio --filter-command fzf exec     # choose the task with fzf")
}

func (c *AppSpecCmd) Help() string {
	return examples(
		"doppio appspec --task-definition current > appspec.yml")
}

func (c *DeleteCmd) Help() string {
	return examples(
		"doppio delete --dry-run",
		"doppio delete --terminate --force")
}
