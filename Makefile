# phasegate: make help lists the targets.
MVN ?= mvn -B -q
# Tests run without -q so that Surefire's summary (Tests run: N, Failures: ...) is printed.
MVN_TEST ?= mvn -B -ntp
MIGRATION ?= examples/quickstart.yaml
DATABASE_URL ?=
HOLD ?= 0

.PHONY: help test unit demo demo-cluster crds build bench startup-classes clean kube-binaries promql-check image image-check manifest test-image
# make image: where the image is named; make manifest: where you pushed it (registry/repository:tag or @sha256:...)
IMAGE ?=
BENCHES ?= ProbeLatencyBench BackfillBench IncidentReplayBench SyncTriggerBench FootprintBench

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

test: kube-binaries promql-check test-image ## all tests: unit (*Test) and integration (*IT: real PostgreSQL, real control plane, mock API server)
	$(MVN_TEST) verify -Dtest.includes='**/*Test.java,**/*IT.java'

unit: promql-check ## fast unit tests only
	$(MVN_TEST) test

demo: ## throwaway PostgreSQL + in-process mock API server + operator; MIGRATION=file.yaml DATABASE_URL=jdbc:... to rehearse your own; DRY_RUN=1 prints the lint and plan only
	$(MVN) package -DskipTests  # FootprintBench measures the packaged application
	$(MVN) test-compile -Dquarkus.build.skip=true
	$(MVN) exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.phasegate.demo.Demo \
	  -Dexec.args="$(MIGRATION)" -Dphasegate.databaseUrl="$(DATABASE_URL)" -Dphasegate.demo.dryRun="$(DRY_RUN)"

demo-cluster: ## the demo on the real local control plane (needs make kube-binaries); HOLD=300 keeps it up 300 s after the end
	$(MVN) package -DskipTests  # FootprintBench measures the packaged application
	$(MVN) test-compile -Dquarkus.build.skip=true
	$(MVN) exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.phasegate.demo.Demo \
	  -Dexec.args="$(MIGRATION)" -Dphasegate.databaseUrl="$(DATABASE_URL)" -Dphasegate.demo.cluster=true \
	  -Dphasegate.demo.holdSeconds="$(HOLD)"

bench: ## benchmarks on a local throwaway PostgreSQL (minutes; results in docs/benchmarks.md)
	$(MVN) package -DskipTests  # FootprintBench measures the packaged application
	$(MVN) test-compile -Dquarkus.build.skip=true
	for b in $(BENCHES); do \
	  $(MVN) exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.phasegate.bench.$$b || exit 1; \
	done

startup-classes: ## rewrite the list of classes the operator preloads at start (after upgrading Quarkus, the operator SDK, Fabric8 or the JDK)
	$(MVN) package -DskipTests
	$(MVN) test-compile -Dquarkus.build.skip=true
	$(MVN) exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.phasegate.bench.FootprintBench \
	  -Dphasegate.bench.classList=$(CURDIR)/src/main/resources/META-INF/phasegate/startup-classes.txt

crds: ## regenerate crds/ from the Java types
	$(MVN) test -Dtest=CrdDriftTest -Dphasegate.updateCrds=true
	cp crds/schemamigrations.phasegate.dev-v1.yml helm/phasegate/crds/

promql-check: ## build or reuse the Prometheus rule checker that AlertRulesTest runs on the chart's alert rules
	bash .ci/promql-check.sh

kube-binaries: ## build (first run: long) or reuse kube-apiserver, kube-controller-manager, kubectl, etcd for the real-cluster tests
	bash .ci/kube-binaries.sh

build: ## the operator application (target/quarkus-app)
	$(MVN) package -DskipTests

image: ## the operator image (buildah, no daemon): local storage + target/phasegate-image.oci.tar + SBOM (docs/install.md)
	$(MVN) package -DskipTests cyclonedx:makeBom
	IMAGE="$(IMAGE)" bash src/main/image/build.sh

# The image OperatorImageIT runs: built where buildah can (as root), else that test is skipped and says why.
test-image:
	@if command -v buildah >/dev/null && [ "$$(id -u)" = 0 ]; then $(MAKE) image; \
	else echo "make test: no image built (needs buildah, as root); OperatorImageIT will be skipped"; fi

image-check: image ## builds the image again from the same package and fails unless the digest is the same
	first=$$(cat target/phasegate-image.digest) && \
	IMAGE="$(IMAGE)" bash src/main/image/build.sh && \
	second=$$(cat target/phasegate-image.digest) && \
	if [ "$$first" = "$$second" ]; then echo "reproducible: $$second"; \
	else echo "NOT reproducible: $$first, then $$second" >&2; exit 1; fi

manifest: ## deploy/operator.yaml with IMAGE=registry/repository@sha256:... (or :tag) -> target/operator.yaml
	@test -n "$(IMAGE)" || { echo "make manifest IMAGE=registry.example.com/platform/phasegate@sha256:..." >&2; exit 1; }
	@mkdir -p target
	sed 's|^\(          image: \)localhost/phasegate:.*$$|\1$(IMAGE)|' deploy/operator.yaml > target/operator.yaml
	@grep -q '^          image: $(IMAGE)$$' target/operator.yaml && echo "target/operator.yaml runs $(IMAGE)"

clean:
	$(MVN) clean
