package dev.phasegate.deploy;

import static dev.phasegate.deploy.ManifestRules.all;
import static dev.phasegate.deploy.ManifestRules.effectiveGrants;
import static dev.phasegate.deploy.ManifestRules.env;
import static dev.phasegate.deploy.ManifestRules.grants;
import static dev.phasegate.deploy.ManifestRules.one;
import static dev.phasegate.deploy.ManifestRules.operatorContainer;
import static dev.phasegate.deploy.ManifestRules.rules;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * helm/phasegate through the embedded Helm library (helm-java): lint, then template in every RBAC mode and check the
 * rendered objects with the same rules as deploy/operator.yaml. Static only: no API server, no admission.
 */
class HelmChartTest {
    static final Path CHART = Path.of("helm", "phasegate");
    static final Path CRD = Path.of("crds", "schemamigrations.phasegate.dev-v1.yml");
    static final String NAMESPACE = "phasegate-system";

    static List<HasMetadata> render(Map<String, Object> values) {
        TemplateCommand t = new Helm(CHART).template().withName("phasegate").withNamespace(NAMESPACE);
        values.forEach(t::set);
        return ManifestRules.parse(t.call());
    }

    static Map<String, Object> values(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void databaseHostsAndQueryTextReachTheOperatorOnlyWhenSet() {
        var plain = operatorContainer(one(render(values()), Deployment.class));
        assertThat(env(plain, "PHASEGATE_DATABASE_ALLOWED_HOSTS")).isEmpty();
        assertThat(env(plain, "PHASEGATE_HEALTH_SHOW_QUERY_TEXT")).isEmpty();
        var set = operatorContainer(one(render(values("allowedDatabaseHosts", "*.shop.svc,10.1.*",
                "showQueryText", true)), Deployment.class));
        assertThat(env(set, "PHASEGATE_DATABASE_ALLOWED_HOSTS")).contains("*.shop.svc,10.1.*");
        assertThat(env(set, "PHASEGATE_HEALTH_SHOW_QUERY_TEXT")).contains("true");
    }

    @Test
    void lintsCleanInStrictMode() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).as("no warnings or errors").noneMatch(m -> m.contains("[WARNING]")
                || m.contains("[ERROR]"));
    }

    @Test
    void defaultWatchesOnlyTheReleaseNamespace() {
        List<HasMetadata> objects = render(values());
        ManifestRules.assertInstallRules(objects);
        assertThat(all(objects, ClusterRole.class)).isEmpty();
        assertThat(all(objects, ClusterRoleBinding.class)).isEmpty();
        Map<String, Set<String>> grants = effectiveGrants(objects);
        assertThat(grants).containsOnlyKeys(NAMESPACE);
        assertThat(grants.get(NAMESPACE)).containsExactlyInAnyOrderElementsOf(ManifestRules.OPERATOR_GRANTS);
        assertThat(env(operatorContainer(one(objects, Deployment.class)), ManifestRules.NAMESPACES_ENV))
                .contains(NAMESPACE);
        assertThat(operatorContainer(one(objects, Deployment.class)).getImage())
                .isEqualTo("localhost/phasegate:0.1.0");
        assertThat(env(operatorContainer(one(objects, Deployment.class)), "JDK_JAVA_OPTIONS")).hasValueSatisfying(v ->
                assertThat(v).startsWith("-XX:MaxRAMPercentage=50 ").contains("-XX:TieredStopAtLevel=1"));
    }

    @Test
    void theImageIsWhereTheUserPushedItByDigestOrTag() {
        String digest = "sha256:" + "ab".repeat(32);
        Deployment byDigest = one(render(values("image.repository", "registry.example/platform/phasegate",
                "image.tag", "0.1.0", "image.digest", digest, "javaMaxMemRatio", 60)), Deployment.class);
        assertThat(operatorContainer(byDigest).getImage()).isEqualTo("registry.example/platform/phasegate@" + digest);
        assertThat(env(operatorContainer(byDigest), "JDK_JAVA_OPTIONS")).hasValueSatisfying(v ->
                assertThat(v).startsWith("-XX:MaxRAMPercentage=60 "));
        Deployment byTag = one(render(values("image.repository", "registry.example/platform/phasegate",
                "image.tag", "0.1.0-rc1")), Deployment.class);
        assertThat(operatorContainer(byTag).getImage()).isEqualTo("registry.example/platform/phasegate:0.1.0-rc1");
    }

    @Test
    void listedNamespacesEachGetARoleAndNothingElse() {
        // --set watchNamespaces=shop,billing arrives as a string; a YAML list works the same way.
        for (Map<String, Object> v : List.of(values("watchNamespaces", "shop,billing,shop"),
                values("watchNamespaces[0]", "shop", "watchNamespaces[1]", "billing"))) {
            List<HasMetadata> objects = render(v);
            ManifestRules.assertInstallRules(objects);
            assertThat(effectiveGrants(objects)).containsOnlyKeys("shop", "billing");
            assertThat(all(objects, Role.class)).extracting(r -> r.getMetadata().getNamespace())
                    .containsExactlyInAnyOrder("shop", "billing", NAMESPACE); // NAMESPACE: the Lease only
            assertThat(ManifestRules.leaseNamespaces(objects)).containsExactly(NAMESPACE);
            assertThat(env(operatorContainer(one(objects, Deployment.class)), ManifestRules.NAMESPACES_ENV))
                    .contains("shop,billing");
        }
    }

    @Test
    void clusterWideModeGrantsNoSecretsUnlessBoundPerNamespace() {
        List<HasMetadata> objects = render(values("watchAnyNamespace", true));
        ManifestRules.assertInstallRules(objects);
        assertThat(env(operatorContainer(one(objects, Deployment.class)), ManifestRules.NAMESPACES_ENV))
                .contains("JOSDK_ALL_NAMESPACES");
        Map<String, Set<String>> grants = effectiveGrants(objects);
        assertThat(grants).containsOnlyKeys((String) null);
        assertThat(grants.get(null)).doesNotContain(ManifestRules.SECRET_GET)
                .contains("phasegate.dev/schemamigrations:watch", "apps/deployments:watch");
        assertThat(all(objects, RoleBinding.class)).as("only the Lease's").extracting(b -> b.getMetadata().getName())
                .containsExactly("phasegate-leader-election");

        objects = render(values("watchAnyNamespace", true, "rbac.secretNamespaces", "shop,billing"));
        ManifestRules.assertInstallRules(objects);
        grants = effectiveGrants(objects);
        assertThat(grants.get(null)).doesNotContain(ManifestRules.SECRET_GET);
        assertThat(grants.get("shop")).containsExactly(ManifestRules.SECRET_GET);
        assertThat(grants.get("billing")).containsExactly(ManifestRules.SECRET_GET);
    }

    @Test
    void clusterWideSecretAccessIsAnExplicitOptInAndStillGetOnly() {
        List<HasMetadata> objects = render(values("watchAnyNamespace", true, "rbac.clusterWideSecretAccess", true));
        ManifestRules.assertInstallRules(objects);
        assertThat(effectiveGrants(objects).get(null)).containsExactlyInAnyOrderElementsOf(
                ManifestRules.OPERATOR_GRANTS);
    }

    @Test
    void optionsNarrowTheGrants() {
        List<HasMetadata> objects = render(values("rbac.deploymentPatch", false, "rbac.secretNames",
                "orders-db,billing-db"));
        ManifestRules.assertInstallRules(objects);
        Role role = all(objects, Role.class).stream().filter(r -> !r.getMetadata().getName().endsWith("-leader-election"))
                .findFirst().orElseThrow();
        assertThat(grants(role)).doesNotContain(ManifestRules.DEPLOYMENT_PATCH);
        PolicyRule secrets = rules(role).stream().filter(r -> r.getResources().contains("secrets")).findFirst()
                .orElseThrow();
        assertThat(secrets.getResourceNames()).containsExactly("orders-db", "billing-db");
    }

    @Test
    void extraVolumesForACaBundleStayRestricted() {
        List<HasMetadata> objects = render(values("extraVolumes[0].name", "db-ca",
                "extraVolumes[0].configMap.name", "db-ca", "extraVolumeMounts[0].name", "db-ca",
                "extraVolumeMounts[0].mountPath", "/etc/phasegate/db-ca", "extraVolumeMounts[0].readOnly", true));
        ManifestRules.assertInstallRules(objects);
        Deployment d = one(objects, Deployment.class);
        assertThat(d.getSpec().getTemplate().getSpec().getVolumes()).extracting(v -> v.getName())
                .containsExactly("tmp", "db-ca");
        assertThat(operatorContainer(d).getVolumeMounts()).anyMatch(m -> "/etc/phasegate/db-ca".equals(
                m.getMountPath()) && Boolean.TRUE.equals(m.getReadOnly()));

        // The static Pod Security check is not a formality: a hostPath volume is caught.
        List<HasMetadata> hostPath = render(values("extraVolumes[0].name", "host",
                "extraVolumes[0].hostPath.path", "/var/run"));
        assertThatThrownBy(() -> ManifestRules.assertRestrictedPod(one(hostPath, Deployment.class)))
                .hasMessageContaining("volume host types");
    }

    @Test
    void notesNameTheWatchedNamespacesAndWhereTheImageMustBePushed() {
        String notes = new Helm(CHART).install().withName("phasegate").withNamespace(NAMESPACE).clientOnly().dryRun()
                .set("watchNamespaces", "shop,billing").call().getOutput();
        assertThat(notes).contains("It watches SchemaMigrations in: shop, billing.")
                .contains("localhost/phasegate:0.1.0 is the name `make image` gives");
        notes = new Helm(CHART).install().withName("phasegate").withNamespace(NAMESPACE).clientOnly().dryRun()
                .set("watchAnyNamespace", true).set("image.repository", "registry.example/phasegate").call()
                .getOutput();
        assertThat(notes).contains("EVERY namespace").contains("It may read no Secret yet")
                .doesNotContain("make image");
    }

    @Test
    void refusesAmbiguousValues() {
        assertThatThrownBy(() -> render(values("watchAnyNamespace", true, "watchNamespaces", "shop")))
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> render(values("rbac.secretNamespaces", "shop")))
                .hasMessageContaining("only with watchAnyNamespace");
    }

    @Test
    void rendersWhatDeployOperatorYamlShips() throws IOException {
        List<HasMetadata> chart = render(values("watchNamespaces", "default"));
        List<HasMetadata> deploy = ManifestRules.parse(Files.readString(DeployManifestTest.MANIFEST));
        assertThat(one(chart, Deployment.class).getSpec()).as("Deployment spec, chart vs deploy/operator.yaml")
                .isEqualTo(one(deploy, Deployment.class).getSpec());
        // The watched namespace's Role and the Lease Role, in name order (same names in both).
        assertThat(all(chart, Role.class)).extracting(r -> r.getMetadata().getNamespace() + " " + r.getRules())
                .containsExactlyInAnyOrderElementsOf(all(deploy, Role.class).stream()
                        .map(r -> r.getMetadata().getNamespace() + " " + r.getRules()).toList());
        assertThat(all(chart, RoleBinding.class)).extracting(b -> b.getSubjects() + " " + b.getRoleRef())
                .containsExactlyInAnyOrderElementsOf(all(deploy, RoleBinding.class).stream()
                        .map(b -> b.getSubjects() + " " + b.getRoleRef()).toList());
        assertThat(one(chart, ServiceAccount.class).getAutomountServiceAccountToken())
                .isEqualTo(one(deploy, ServiceAccount.class).getAutomountServiceAccountToken());
        assertThat(kinds(chart).stream().filter(k -> !k.contains("AdmissionPolicy")).toList())
                .as("same objects, except the Namespace that only the static file creates, and the four-eyes"
                        + " policies, which are deploy/four-eyes.yaml (FourEyesPolicyTest)")
                .containsExactlyElementsOf(kinds(deploy).stream().filter(k -> !k.startsWith("Namespace/")).collect(
                        java.util.stream.Collectors.toCollection(TreeSet::new)));
    }

    @Test
    void chartCrdIsTheGeneratedCrdByteForByte() throws IOException {
        Path copy = CHART.resolve("crds").resolve(CRD.getFileName());
        assertThat(Files.mismatch(copy, CRD))
                .as("%s differs from %s (first differing byte shown): copy it after `make crds` (cp %s %s)", copy,
                        CRD, CRD, copy)
                .isEqualTo(-1L);
        try (var files = Files.list(CHART.resolve("crds"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly(
                    CRD.getFileName().toString());
        }
        // Helm itself recognises it as the chart's CRD.
        assertThat(new Helm(CHART).show().crds().call()).contains(Files.readString(CRD));
    }

    private static TreeSet<String> kinds(List<HasMetadata> objects) {
        List<String> out = new ArrayList<>();
        for (HasMetadata o : objects) {
            out.add(o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName());
        }
        return new TreeSet<>(out);
    }
}
