#!/usr/bin/env bash
# Side-by-side benchmarks of doppio and kayac/ecspresso v2.3.2 in one run:
# start-up (`version`, `render`) and binary size, then the same emulator
# rollouts in real time (AWS calls per deploy, exit latency). Not part of
# `make test`; the rollouts take about an hour with the default DEPLOYS=3.
#
#   scripts/bench-vs-ecspresso.sh                 # everything
#   BENCH=Startup scripts/bench-vs-ecspresso.sh   # one benchmark (a go test -bench regexp)
#   BENCH='Rollouts/(10s|30s)' DEPLOYS=5 scripts/bench-vs-ecspresso.sh
#
# ECSPRESSO_BIN=/path/to/ecspresso skips installing it (e.g. where the Go
# module proxy does not serve it); DOPPIO_TAGS sets doppio's build tags
# (default: the release's, see docs/performance.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
cd "$root"

tags=${DOPPIO_TAGS-no_gcs,no_azurerm,no_tfe,no_compose}
echo "building doppio (tags: ${tags:-none}; stripped, as released)" >&2
go build -trimpath -tags "$tags" -ldflags "-s -w -X main.version=bench" -o "$work/bin/doppio" ./cmd/doppio

if [ -z "${ECSPRESSO_BIN:-}" ]; then
  echo "installing ecspresso v2.3.2 (stripped, as released)" >&2
  GOBIN="$work/bin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" github.com/kayac/ecspresso/v2/cmd/ecspresso@v2.3.2 ||
    { echo "go install of ecspresso failed: set ECSPRESSO_BIN to an ecspresso v2.3.2 binary" >&2; exit 1; }
  ECSPRESSO_BIN="$work/bin/ecspresso"
fi
ls -l "$work/bin/doppio" "$ECSPRESSO_BIN" >&2

DOPPIO_BIN="$work/bin/doppio" ECSPRESSO_BIN="$ECSPRESSO_BIN" \
  go test ./tests/sidebyside/ -run '^$' -bench "${BENCH:-.}" -benchtime 1x -timeout 3h -v
