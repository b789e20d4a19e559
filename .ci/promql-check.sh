#!/usr/bin/env bash
# Builds .ci/promql-check (a small checker of Prometheus rule files on Prometheus's own rulefmt and PromQL parser,
# the code `promtool check rules` runs) from the Go module pinned in .ci/promql-check/go.mod, into a cache outside
# the repo keyed by that version, so only the first run pays for the build. AlertRulesTest runs it on the chart's
# alert rules and the dashboard's queries. Prints the binary's path as the last line of stdout.
# Why not promtool itself: `go install .../cmd/promtool` compiles every service discovery of Prometheus (cloud
# SDKs included) and had not finished after 25 minutes, nor in a second try, on 2 shared cores.
set -euo pipefail
cd "$(dirname "$0")/promql-check"
version=$(awk '$1 == "github.com/prometheus/prometheus" {print $2}' go.mod)
[[ -n $version ]] || { echo "promql-check: cannot read the pinned Prometheus version from go.mod" >&2; exit 1; }
out=${PHASEGATE_PROMQL_CHECK_CACHE:-$HOME/.cache/phasegate/promql-check}/$version
if [[ -x $out/promql-check && $out/promql-check -nt main.go ]]; then
  echo "$out/promql-check"
  exit 0
fi
command -v go >/dev/null || { echo "promql-check: go is not installed; it is needed to build the checker" >&2; exit 1; }
echo "promql-check: building against github.com/prometheus/prometheus $version into $out" >&2
mkdir -p "$out"
# Under a temporary name first, so an interrupted build never leaves a truncated binary that looks finished.
CGO_ENABLED=0 nice -n 10 go build -mod=readonly -trimpath -ldflags='-s -w' -o "$out/.promql-check.tmp" .
mv "$out/.promql-check.tmp" "$out/promql-check"
echo "$out/promql-check"
