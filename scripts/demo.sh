#!/usr/bin/env bash
# make demo: a tour of doppio against awsemu, the AWS emulator, seeded from
# examples/demo-seed.yaml. No AWS account is needed; it stops the emulator and
# exits 0 when every step behaved as shown.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/bin:$PATH"
work=$(mktemp -d)
emu_pid=
cleanup() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# start_emulator SEED SPEED: (re)start the emulator. It prints the environment
# to export on stdout once it listens. --speed: rollouts take a few seconds
# instead of minutes.
start_emulator() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  rm -f "$work/awsemu.env"
  awsemu --addr 127.0.0.1:0 --seed "$1" --speed "$2" >"$work/awsemu.env" 2>"$work/awsemu.log" &
  emu_pid=$!
  for _ in $(seq 1 200); do
    grep -q '^export AWS_REGION=' "$work/awsemu.env" 2>/dev/null && break
    kill -0 "$emu_pid" 2>/dev/null || { cat "$work/awsemu.log" >&2; exit 1; }
    sleep 0.05
  done
  # shellcheck disable=SC1091
  . "$work/awsemu.env"
}
start_emulator "$root/examples/demo-seed.yaml" 5
# Keep a developer's own AWS profile out of the demo.
export AWS_CONFIG_FILE="$work/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/no-aws-credentials"

bold=$'\033[1m' reset=$'\033[0m'
if [ -n "${NO_COLOR:-}" ] || [ ! -t 1 ]; then bold="" reset=""; fi

# run WANT CMD...: show the command, run it, and stop the demo if its exit
# status is not WANT (exit codes are doppio's interface).
run() {
  local want=$1; shift
  printf '\n%s$ %s%s\n' "$bold" "$*" "$reset"
  set +e; "$@"; local got=$?; set -e
  if [ "$got" -ne "$want" ]; then
    printf 'demo: expected exit status %s, got %s\n' "$want" "$got" >&2
    exit 1
  fi
  [ "$want" -eq 0 ] || printf '(exit status %s, as expected)\n' "$got"
}
section() { printf '\n%s== %s ==%s\n' "$bold" "$1" "$reset"; }

section "init: import the running service 'web' into files"
mkdir -p "$work/imported" && cd "$work/imported"
run 0 doppio init --cluster demo --service web
run 0 ls
section "diff right after init: nothing differs (exit 0 with --exit-code)"
run 0 doppio diff --exit-code

cd "$root/examples"
section "render the example config (tfstate, ssm and secretsmanager lookups)"
run 0 doppio render taskdef

section "diff with a new image tag: exit 2 means differences"
run 2 env IMAGE_TAG=v2 doppio diff --exit-code

section "verify: roles, images, secrets, log group, target group, cluster"
run 0 doppio verify
section "verify an image tag nobody pushed: NG, exit 3"
run 3 env IMAGE_TAG=v9 doppio verify

section "deploy v2 and wait until the rollout has finished"
run 0 env IMAGE_TAG=v2 doppio deploy
run 0 doppio status --events 3

section "deploy an image that cannot be pulled: the circuit breaker rolls back, exit 3, and doppio says why"
run 3 env IMAGE_TAG=v9 doppio deploy

section "rollback to the previous successful deployment (v1)"
run 0 doppio rollback --no-deregister-task-definition
run 0 doppio revisions

section "exec --check: why ECS Exec would fail here, and what to do (exit 3 on NG)"
run 3 doppio exec --check

section "ECS-native blue/green (examples/blue-green): a Lambda hook, then a PAUSE hook with test traffic on green"
start_emulator "$root/examples/blue-green/seed.yaml" 20
cd "$root/examples/blue-green"
run 0 env IMAGE_TAG=1.28 doppio deploy --wait-until paused
run 0 doppio status --events 0
section "continue: production traffic moves to green; stop waiting once it bakes"
run 0 doppio continue --wait-until ecs:BAKE_TIME
section "rollback during the bake: all traffic returns to blue"
run 0 doppio rollback --no-deregister-task-definition

section "CodeDeploy blue/green (examples/codedeploy): a CODE_DEPLOY service deploys through CodeDeploy"
start_emulator "$root/examples/codedeploy/seed.yaml" 20
cd "$root/examples/codedeploy"
run 0 env IMAGE_TAG=1.28 doppio deploy
run 0 doppio status --events 0
section "a failing AfterAllowTraffic hook: CodeDeploy rolls back, exit 3 with the hook's message"
run 3 env IMAGE_TAG=1.29 SMOKE_HOOK=web-smoke-fails doppio deploy --rollback-events DEPLOYMENT_FAILURE

printf '\n%sdemo finished: every step behaved as shown.%s\n' "$bold" "$reset"
