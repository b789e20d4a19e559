#!/usr/bin/env bash
# Runs deploy/argocd's test files through Argo CD's own Lua evaluator and test harness (util/lua), in an Argo CD
# source tree: ARGOCD_SRC=/path/to/argo-cd deploy/argocd/run-in-argocd.sh
# It copies the scripts and their tests to resource_customizations/phasegate.dev/SchemaMigration (where Argo CD's
# TestLuaHealthScript and TestLuaResourceActionsScript find them) and adds go/phasegate_lua_test.go, which runs
# health.lua without open libraries, as argocd-cm does. Needs the Go version the tree's go.mod asks for.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${ARGOCD_SRC:?set ARGOCD_SRC to an Argo CD source tree}"
dest="$src/resource_customizations/phasegate.dev/SchemaMigration"
rm -rf "$dest" && mkdir -p "$dest"
cp -r "$here/health.lua" "$here/health_test.yaml" "$here/testdata" "$here/actions" "$dest/"
cp "$here/go/phasegate_lua_test.go" "$src/util/lua/"
cd "$src"
go test -count=1 -v -run 'TestLuaHealthScript$|TestLuaResourceActionsScript$|TestPhasegateHealthInArgocdCmSandbox$' \
  ./util/lua/ 2>&1 | grep -E 'phasegate|^(ok|FAIL|---)|panic' || true
go test -count=1 -run 'TestLuaHealthScript$|TestLuaResourceActionsScript$|TestPhasegateHealthInArgocdCmSandbox$' ./util/lua/
