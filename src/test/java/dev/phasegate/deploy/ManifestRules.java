package dev.phasegate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The install rules that deploy/operator.yaml and every rendering of helm/phasegate must keep, checked statically on
 * the parsed objects (no API server: RBAC is not evaluated and Pod Security admission does not run).
 */
final class ManifestRules {
    /** Every (apiGroup/resource: verb) the operator's code needs; see docs/install.md. Nothing else may be granted. */
    static final Set<String> OPERATOR_GRANTS = Set.of(
            "phasegate.dev/schemamigrations:get", "phasegate.dev/schemamigrations:list",
            "phasegate.dev/schemamigrations:watch", "phasegate.dev/schemamigrations:patch",
            "phasegate.dev/schemamigrations/status:update",
            "apps/deployments:get", "apps/deployments:list", "apps/deployments:watch", "apps/deployments:patch",
            "/pods:list", "/secrets:get", "/events:create", "/events:patch");
    /** Leader election: the replicas' shared Lease, in the operator's own namespace only. */
    static final Set<String> LEASE_GRANTS = Set.of("coordination.k8s.io/leases:get",
            "coordination.k8s.io/leases:create", "coordination.k8s.io/leases:update",
            "coordination.k8s.io/leases:patch");
    static final String DEPLOYMENT_PATCH = "apps/deployments:patch";
    static final String SECRET_GET = "/secrets:get";
    static final String NAMESPACES_ENV = "QUARKUS_OPERATOR_SDK_NAMESPACES";
    static final int RUN_AS_USER = 10001;

    private static final Set<String> FORBIDDEN_VERBS = Set.of("escalate", "bind", "impersonate", "*");
    private static final Set<String> RBAC_RESOURCES = Set.of("roles", "rolebindings", "clusterroles",
            "clusterrolebindings");
    /** Volume types the Pod Security Standard "restricted" allows. */
    private static final Set<String> RESTRICTED_VOLUMES = Set.of("configMap", "csi", "downwardAPI", "emptyDir",
            "ephemeral", "persistentVolumeClaim", "projected", "secret");
    private static final Pattern DOC_SEPARATOR = Pattern.compile("(?m)^---[ \\t]*$");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private ManifestRules() {
    }

    /** Parses a multi-document YAML stream into typed objects; documents holding only comments are skipped. */
    static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : DOC_SEPARATOR.split(yaml)) {
            boolean empty = doc.lines().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("#"));
            if (!empty) {
                Object o = SERIALIZATION.unmarshal(doc);
                assertThat(o).as("document\n%s", doc).isInstanceOf(HasMetadata.class);
                out.add((HasMetadata) o);
            }
        }
        return out;
    }

    static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
        List<T> found = all(objects, type);
        assertThat(found).as("exactly one %s", type.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    /** Everything below, in one call: what every install variant must satisfy. */
    static void assertInstallRules(List<HasMetadata> objects) {
        assertNoUnknownFields(objects);
        assertRbacLeastPrivilege(objects);
        assertBindingsReferToOperator(objects);
        assertRestrictedPod(one(objects, Deployment.class));
        assertOperatorDeployment(one(objects, Deployment.class));
        assertWatchedNamespacesHaveRoles(objects);
        assertThat(leaseNamespaces(objects)).as("one Lease Role, bound in the operator's namespace")
                .containsExactly(one(objects, Deployment.class).getMetadata().getNamespace());
    }

    // ---------------------------------------------------------------- RBAC

    static List<PolicyRule> rules(HasMetadata roleOrClusterRole) {
        if (roleOrClusterRole instanceof Role r) {
            return r.getRules() == null ? List.of() : r.getRules();
        }
        if (roleOrClusterRole instanceof ClusterRole c) {
            assertThat(c.getAggregationRule()).as("ClusterRole %s aggregates other roles", name(c)).isNull();
            return c.getRules() == null ? List.of() : c.getRules();
        }
        throw new IllegalArgumentException(roleOrClusterRole.getKind());
    }

    /** group/resource:verb for every verb a rule grants; asserts along the way that nothing is a wildcard. */
    static Set<String> grants(HasMetadata roleOrClusterRole) {
        Set<String> out = new TreeSet<>();
        for (PolicyRule rule : rules(roleOrClusterRole)) {
            String where = roleOrClusterRole.getKind() + " " + name(roleOrClusterRole) + " rule " + rule;
            assertThat(rule.getNonResourceURLs()).as(where).isNullOrEmpty();
            assertThat(rule.getApiGroups()).as(where).isNotEmpty().doesNotContain("*");
            assertThat(rule.getResources()).as(where).isNotEmpty().doesNotContain("*")
                    .noneMatch(r -> r.endsWith("/*") || r.startsWith("*/"));
            assertThat(rule.getVerbs()).as(where).isNotEmpty().doesNotContainAnyElementsOf(FORBIDDEN_VERBS);
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        out.add(group + "/" + resource + ":" + verb);
                    }
                }
            }
        }
        return out;
    }

    static void assertRbacLeastPrivilege(List<HasMetadata> objects) {
        List<HasMetadata> roles = new ArrayList<>(all(objects, Role.class));
        roles.addAll(all(objects, ClusterRole.class));
        assertThat(roles).as("Roles or ClusterRoles").isNotEmpty();
        for (HasMetadata role : roles) {
            Set<String> grants = grants(role);
            if (grants.equals(LEASE_GRANTS)) {
                assertThat(role).as("the Lease Role is namespaced").isInstanceOf(Role.class);
                assertThat(role.getMetadata().getNamespace()).as("the Lease lives in the operator's namespace")
                        .isEqualTo(one(objects, Deployment.class).getMetadata().getNamespace());
                continue;
            }
            assertThat(grants).as("%s %s grants only what the operator's code calls", role.getKind(), name(role))
                    .isSubsetOf(OPERATOR_GRANTS);
            assertThat(grants).as("%s %s: no access to RBAC objects", role.getKind(), name(role))
                    .noneMatch(g -> RBAC_RESOURCES.stream().anyMatch(r -> g.contains("/" + r + ":")));
            for (PolicyRule rule : rules(role)) {
                if (rule.getResources().contains("secrets")) {
                    assertThat(rule.getVerbs()).as("secrets: get only (CIS 5.1.2) in %s", name(role))
                            .containsExactly("get");
                    assertThat(rule.getResources()).as("the secrets rule covers nothing else").containsExactly("secrets");
                }
            }
        }
    }

    /** Every binding binds a Role/ClusterRole of this install to the operator's ServiceAccount, and to nothing else. */
    static void assertBindingsReferToOperator(List<HasMetadata> objects) {
        ServiceAccount sa = one(objects, ServiceAccount.class);
        Set<String> roleNames = all(objects, Role.class).stream().map(r -> "Role/" + r.getMetadata().getNamespace()
                + "/" + name(r)).collect(Collectors.toSet());
        Set<String> clusterRoleNames = all(objects, ClusterRole.class).stream().map(r -> "ClusterRole/" + name(r))
                .collect(Collectors.toSet());
        List<HasMetadata> bindings = new ArrayList<>(all(objects, RoleBinding.class));
        bindings.addAll(all(objects, ClusterRoleBinding.class));
        assertThat(bindings).isNotEmpty();
        for (HasMetadata b : bindings) {
            RoleRef ref = b instanceof RoleBinding rb ? rb.getRoleRef() : ((ClusterRoleBinding) b).getRoleRef();
            List<Subject> subjects = b instanceof RoleBinding rb ? rb.getSubjects()
                    : ((ClusterRoleBinding) b).getSubjects();
            assertThat(ref.getApiGroup()).isEqualTo("rbac.authorization.k8s.io");
            if ("Role".equals(ref.getKind())) {
                assertThat(roleNames).as("%s %s refers to a Role of this install", b.getKind(), name(b))
                        .contains("Role/" + b.getMetadata().getNamespace() + "/" + ref.getName());
            } else {
                assertThat(ref.getKind()).isEqualTo("ClusterRole");
                assertThat(clusterRoleNames).as("%s %s refers to a ClusterRole of this install", b.getKind(), name(b))
                        .contains("ClusterRole/" + ref.getName());
            }
            assertThat(subjects).as("%s %s subjects", b.getKind(), name(b)).hasSize(1);
            Subject s = subjects.get(0);
            assertThat(s.getKind()).isEqualTo("ServiceAccount");
            assertThat(s.getName()).isEqualTo(name(sa));
            assertThat(s.getNamespace()).isEqualTo(sa.getMetadata().getNamespace());
        }
    }

    /** What the operator's ServiceAccount may do in a namespace: namespace -> grants (null key: cluster-wide). */
    static Map<String, Set<String>> effectiveGrants(List<HasMetadata> objects) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (RoleBinding rb : all(objects, RoleBinding.class)) {
            HasMetadata role = boundRole(objects, rb);
            if (grants(role).equals(LEASE_GRANTS)) {
                continue; // leader election, checked by leaseGrants
            }
            out.computeIfAbsent(rb.getMetadata().getNamespace(), k -> new TreeSet<>()).addAll(grants(role));
        }
        for (ClusterRoleBinding crb : all(objects, ClusterRoleBinding.class)) {
            out.computeIfAbsent(null, k -> new TreeSet<>()).addAll(grants(clusterRole(objects,
                    crb.getRoleRef().getName())));
        }
        return out;
    }

    /** Namespaces where the operator's ServiceAccount may use the Lease, by binding. */
    static Set<String> leaseNamespaces(List<HasMetadata> objects) {
        return all(objects, RoleBinding.class).stream().filter(rb -> grants(boundRole(objects, rb)).equals(LEASE_GRANTS))
                .map(rb -> rb.getMetadata().getNamespace()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static HasMetadata boundRole(List<HasMetadata> objects, RoleBinding rb) {
        return "Role".equals(rb.getRoleRef().getKind())
                ? all(objects, Role.class).stream().filter(r -> name(r).equals(rb.getRoleRef().getName())
                        && Objects.equals(r.getMetadata().getNamespace(), rb.getMetadata().getNamespace()))
                        .findFirst().orElseThrow()
                : clusterRole(objects, rb.getRoleRef().getName());
    }

    private static ClusterRole clusterRole(List<HasMetadata> objects, String name) {
        return all(objects, ClusterRole.class).stream().filter(r -> name(r).equals(name)).findFirst().orElseThrow();
    }

    /** The operator's watched namespaces (env) each have a Role granting all it needs; no Role elsewhere. */
    static void assertWatchedNamespacesHaveRoles(List<HasMetadata> objects) {
        String watched = env(operatorContainer(one(objects, Deployment.class)), NAMESPACES_ENV).orElseThrow();
        Map<String, Set<String>> grants = effectiveGrants(objects);
        if ("JOSDK_ALL_NAMESPACES".equals(watched)) {
            assertThat(grants).as("cluster-wide watching needs a ClusterRoleBinding").containsKey(null);
            Set<String> cluster = grants.get(null);
            Set<String> expected = new TreeSet<>(OPERATOR_GRANTS);
            expected.remove(SECRET_GET);
            expected.remove(DEPLOYMENT_PATCH);
            assertThat(cluster).containsAll(expected);
            return;
        }
        assertThat(all(objects, ClusterRole.class)).as("namespaced mode creates no ClusterRole").isEmpty();
        assertThat(all(objects, ClusterRoleBinding.class)).as("namespaced mode: no ClusterRoleBinding").isEmpty();
        List<String> namespaces = Arrays.stream(watched.split(",")).map(String::strip).toList();
        assertThat(namespaces).doesNotHaveDuplicates().allMatch(n -> !n.isEmpty());
        assertThat(grants.keySet()).as("namespaces with a RoleBinding = watched namespaces")
                .containsExactlyInAnyOrderElementsOf(namespaces);
        for (String ns : namespaces) {
            Set<String> expected = new TreeSet<>(OPERATOR_GRANTS);
            expected.remove(DEPLOYMENT_PATCH); // optional: only mode Patch needs it
            assertThat(grants.get(ns)).as("grants in watched namespace %s", ns).containsAll(expected);
        }
    }

    // ---------------------------------------------------------------- Pod Security Standard "restricted"

    static void assertRestrictedPod(Deployment d) {
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getHostNetwork()).as("hostNetwork").isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getHostPID()).as("hostPID").isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getHostIPC()).as("hostIPC").isNotEqualTo(Boolean.TRUE);
        PodSecurityContext psc = pod.getSecurityContext();
        assertThat(psc).as("pod securityContext").isNotNull();
        assertThat(psc.getRunAsNonRoot()).as("pod runAsNonRoot").isTrue();
        assertThat(psc.getRunAsUser()).as("pod runAsUser").isEqualTo((long) RUN_AS_USER);
        assertThat(psc.getSeccompProfile()).as("pod seccompProfile").isNotNull();
        assertThat(psc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        for (Volume v : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
            Map<String, Object> asMap = SERIALIZATION.convertValue(v, Map.class);
            Set<String> types = new TreeSet<>(asMap.keySet());
            types.remove("name");
            assertThat(types).as("volume %s types", v.getName()).hasSize(1).isSubsetOf(RESTRICTED_VOLUMES);
        }
        List<Container> all = new ArrayList<>(pod.getContainers());
        if (pod.getInitContainers() != null) {
            all.addAll(pod.getInitContainers());
        }
        for (Container c : all) {
            SecurityContext sc = c.getSecurityContext();
            String who = "container " + c.getName();
            assertThat(sc).as(who + " securityContext").isNotNull();
            assertThat(sc.getPrivileged()).as(who + " privileged").isNotEqualTo(Boolean.TRUE);
            assertThat(sc.getAllowPrivilegeEscalation()).as(who + " allowPrivilegeEscalation").isFalse();
            assertThat(sc.getReadOnlyRootFilesystem()).as(who + " readOnlyRootFilesystem").isTrue();
            assertThat(sc.getRunAsNonRoot()).as(who + " runAsNonRoot").isNotEqualTo(Boolean.FALSE);
            assertThat(sc.getRunAsUser()).as(who + " runAsUser").isIn(null, (long) RUN_AS_USER);
            Capabilities caps = sc.getCapabilities();
            assertThat(caps).as(who + " capabilities").isNotNull();
            assertThat(caps.getDrop()).as(who + " drops ALL").contains("ALL");
            assertThat(caps.getAdd()).as(who + " adds no capability").isNullOrEmpty();
            if (sc.getSeccompProfile() != null) {
                assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            }
            assertThat(c.getPorts()).as(who + " hostPort").allMatch(p -> p.getHostPort() == null);
        }
    }

    static Container operatorContainer(Deployment d) {
        List<Container> containers = d.getSpec().getTemplate().getSpec().getContainers();
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    static Optional<String> env(Container c, String name) {
        return (c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()).stream().filter(e -> name.equals(e.getName()))
                .map(EnvVar::getValue).findFirst();
    }

    /** Replicas behind a Lease, resources, probes on the Quarkus health endpoints, a writable /tmp. */
    static void assertOperatorDeployment(Deployment d) {
        assertThat(d.getSpec().getReplicas()).as("a standby replica takes over through the Lease").isEqualTo(2);
        assertThat(d.getSpec().getStrategy().getType()).as("upgrades keep a replica ready")
                .isEqualTo("RollingUpdate");
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isNotBlank();
        Container c = operatorContainer(d);
        assertThat(c.getImage()).isNotBlank();
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).containsKey("memory");
        assertThat(c.getResources().getRequests().get("cpu").toString()).isEqualTo("100m");
        assertThat(c.getResources().getRequests().get("memory").toString()).isEqualTo("256Mi");
        assertThat(c.getResources().getLimits().get("memory").toString()).isEqualTo("384Mi");
        assertThat(c.getPorts()).anyMatch(p -> p.getContainerPort() == 8080 && "http".equals(p.getName()));
        assertProbe(c.getStartupProbe(), "/q/health/started");
        assertProbe(c.getLivenessProbe(), "/q/health/live");
        assertProbe(c.getReadinessProbe(), "/q/health/ready");
        VolumeMount tmp = c.getVolumeMounts().stream().filter(m -> "/tmp".equals(m.getMountPath())).findFirst()
                .orElseThrow(() -> new AssertionError("/tmp is not mounted"));
        Volume v = pod.getVolumes().stream().filter(x -> x.getName().equals(tmp.getName())).findFirst().orElseThrow();
        assertThat(v.getEmptyDir()).as("/tmp is an emptyDir").isNotNull();
        assertThat(env(c, NAMESPACES_ENV)).as(NAMESPACES_ENV).isPresent();
    }

    private static void assertProbe(Probe p, String path) {
        assertThat(p).as("probe on %s", path).isNotNull();
        assertThat(p.getHttpGet().getPath()).isEqualTo(path);
        assertThat(p.getHttpGet().getPort().getStrVal()).isEqualTo("http");
    }

    // ---------------------------------------------------------------- typos

    /**
     * Fabric8 keeps fields it does not know in additionalProperties instead of failing: a misspelt key such as
     * readOnlyRootFileSystem would otherwise pass every other check here and be dropped (or rejected) by the API
     * server.
     */
    static void assertNoUnknownFields(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        for (HasMetadata o : objects) {
            // Fabric8's model has no admissionregistration.k8s.io/v1 MutatingAdmissionPolicy yet: it is a generic
            // resource whose every field is "unknown". FourEyesIT has the real API server validate it instead.
            if (!o.getKind().startsWith("MutatingAdmissionPolicy")) {
                walk(o, o.getKind() + "/" + name(o), problems);
            }
        }
        assertThat(problems).as("fields the Kubernetes model does not know (typos?)").isEmpty();
    }

    private static void walk(Object o, String path, List<String> problems) {
        if (o == null || o instanceof String || o instanceof Number || o instanceof Boolean || o instanceof Enum<?>) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                walk(e, path + "[" + i++ + "]", problems);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> walk(v, path + "." + k, problems));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers())
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            String n = m.getName();
            if (n.equals("getAdditionalProperties")) {
                Object extra = invoke(m, o);
                if (extra instanceof Map<?, ?> map && !map.isEmpty()) {
                    problems.add(path + ": " + map.keySet());
                }
            } else if (n.startsWith("get") && n.length() > 3 && !n.equals("getClass")
                    && !n.equals("getPlural") && !n.equals("getSingular") && !n.equals("getApiVersion")
                    && !n.equals("getKind") && !n.equals("getFullResourceName")) {
                walk(invoke(m, o), path + "." + Character.toLowerCase(n.charAt(3)) + n.substring(4), problems);
            }
        }
    }

    private static Object invoke(Method m, Object o) {
        try {
            return m.invoke(o);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    static String name(HasMetadata o) {
        return o.getMetadata() == null ? "?" : o.getMetadata().getName();
    }
}
