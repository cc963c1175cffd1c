package main

import "errors"

// errComposeLeftOut is init --compose's error in a build without the
// converter (the no_compose tag of the default release archive).
var errComposeLeftOut = errors.New("init --compose: this doppio build leaves out the Docker Compose converter (it makes every command start slower); " +
	"use the doppio-full release archive (doppio-full_<version>_<os>_<arch>.tar.gz, the GitHub action's `build: full`) " +
	"or `go install github.com/doppio-ecs/doppio/cmd/doppio@<version>`, which have it")

// ComposeFlags are init's flags for converting a compose project. The
// converter itself is left out of the default release build
// (init_compose_convert.go, init_compose_none.go).
type ComposeFlags struct {
	Compose     []string `help:"Convert a Docker Compose project instead of importing a running service (repeatable, merged in order like docker compose -f). See docs/init.md." placeholder:"FILE" type:"path" xor:"what"`
	ECSParams   string   `name:"ecs-params" help:"ecs-cli's ecs-params.yml for --compose (roles, network mode, task size, per-container settings, run_params: network, placement, and service discovery, whose Cloud Map namespace and service are looked up, never created)." placeholder:"FILE" type:"path"`
	ProjectName string   `name:"project-name" help:"Task definition family for --compose (default: compose's project name)." placeholder:"NAME"`
	LaunchType  string   `name:"launch-type" help:"Launch type --compose converts for: EC2 or FARGATE (default EC2, as ecs-cli; given, it is also written as requiresCompatibilities)." enum:"EC2,FARGATE," default:""`
}
