# phasegate: make help lists the targets.
MVN ?= mvn -B -q
# Tests run without -q so that Surefire's summary (Tests run: N, Failures: ...) is printed.
MVN_TEST ?= mvn -B -ntp
MIGRATION ?= examples/quickstart.yaml
DATABASE_URL ?=
HOLD ?= 0

.PHONY: help test unit demo demo-cluster crds build bench clean kube-binaries promql-check
BENCHES ?= ProbeLatencyBench BackfillBench IncidentReplayBench SyncTriggerBench

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

test: kube-binaries promql-check ## all tests: unit (*Test) and integration (*IT: real PostgreSQL, real control plane, mock API server)
	$(MVN_TEST) verify -Dtest.includes='**/*Test.java,**/*IT.java'

unit: promql-check ## fast unit tests only
	$(MVN_TEST) test

demo: ## throwaway PostgreSQL + in-process mock API server + operator; MIGRATION=file.yaml DATABASE_URL=jdbc:... to rehearse your own; DRY_RUN=1 prints the lint and plan only
	$(MVN) test-compile -Dquarkus.build.skip=true
	$(MVN) exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.phasegate.demo.Demo \
	  -Dexec.args="$(MIGRATION)" -Dphasegate.databaseUrl="$(DATABASE_URL)" -Dphasegate.demo.dryRun="$(DRY_RUN)"

demo-cluster: ## the demo on the real local control plane (needs make kube-binaries); HOLD=300 keeps it up 300 s after the end
	$(MVN) test-compile -Dquarkus.build.skip=true
	$(MVN) exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.phasegate.demo.Demo \
	  -Dexec.args="$(MIGRATION)" -Dphasegate.databaseUrl="$(DATABASE_URL)" -Dphasegate.demo.cluster=true \
	  -Dphasegate.demo.holdSeconds="$(HOLD)"

bench: ## benchmarks on a local throwaway PostgreSQL (minutes; results in docs/benchmarks.md)
	$(MVN) test-compile -Dquarkus.build.skip=true
	for b in $(BENCHES); do \
	  $(MVN) exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.phasegate.bench.$$b || exit 1; \
	done

crds: ## regenerate crds/ from the Java types
	$(MVN) test -Dtest=CrdDriftTest -Dphasegate.updateCrds=true
	cp crds/schemamigrations.phasegate.dev-v1.yml helm/phasegate/crds/

promql-check: ## build or reuse the Prometheus rule checker that AlertRulesTest runs on the chart's alert rules
	bash .ci/promql-check.sh

kube-binaries: ## build (first run: long) or reuse kube-apiserver, kube-controller-manager, kubectl, etcd for the real-cluster tests
	bash .ci/kube-binaries.sh

build: ## the operator application (target/quarkus-app)
	$(MVN) package -DskipTests

clean:
	$(MVN) clean
