package lua

// Copied into an Argo CD source tree's util/lua by run-in-argocd.sh. Argo CD's own TestLuaHealthScript runs
// health.lua with open libraries (as for its built-in scripts); this runs it as argocd-cm does, without them.

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

func TestPhasegateHealthInArgocdCmSandbox(t *testing.T) {
	dir := "../../resource_customizations/phasegate.dev/SchemaMigration"
	script, err := os.ReadFile(filepath.Join(dir, "health.lua"))
	require.NoError(t, err)
	cases, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
	require.NoError(t, err)
	var tests TestStructure
	require.NoError(t, yaml.Unmarshal(cases, &tests))
	require.NotEmpty(t, tests.Tests)
	for _, tc := range tests.Tests {
		t.Run(tc.InputPath, func(t *testing.T) {
			vm := VM{UseOpenLibs: false}
			result, err := vm.ExecuteHealthLua(getObj(t, filepath.Join(dir, tc.InputPath)), string(script))
			require.NoError(t, err)
			assert.Equal(t, &tc.HealthStatus, result)
		})
	}
}
