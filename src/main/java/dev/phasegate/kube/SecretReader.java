package dev.phasegate.kube;

import dev.phasegate.api.Reason;
import dev.phasegate.api.SecretRef;
import dev.phasegate.engine.Problem;
import dev.phasegate.postgres.ConnectionSettings;
import dev.phasegate.postgres.JdbcUrlPolicy;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads database credentials from a Secret with a plain get (no watch, no list: least privilege). */
public final class SecretReader {
    public static final String JDBC_URL = "jdbcUrl";
    public static final String USERNAME = "username";
    public static final String PASSWORD = "password";

    private final KubernetesClient client;
    private final JdbcUrlPolicy urls;

    public SecretReader(KubernetesClient client, JdbcUrlPolicy urls) {
        this.client = client;
        this.urls = urls;
    }

    public SecretReader(KubernetesClient client) {
        this(client, JdbcUrlPolicy.anyHost());
    }

    /** The settings, or a Problem naming what is missing; never the secret values themselves. */
    public Result read(String namespace, SecretRef ref) {
        Secret s;
        try {
            s = client.secrets().inNamespace(namespace).withName(ref.name).get();
        } catch (KubernetesClientException e) {
            return Result.problem(new Problem(Reason.SecretNotFound, "cannot read Secret " + namespace + "/"
                    + ref.name + ": HTTP " + e.getCode() + " (the operator needs get on secrets in this namespace)"));
        }
        if (s == null) {
            return Result.problem(new Problem(Reason.SecretNotFound, "Secret " + namespace + "/" + ref.name
                    + " not found; create it with keys jdbcUrl, username, password"));
        }
        Map<String, String> data = s.getData() == null ? Map.of() : s.getData();
        Map<String, String> plain = s.getStringData() == null ? Map.of() : s.getStringData();
        List<String> missing = new ArrayList<>();
        String url = value(data, plain, JDBC_URL, missing);
        String user = value(data, plain, USERNAME, missing);
        String password = value(data, plain, PASSWORD, missing);
        if (!missing.isEmpty()) {
            return Result.problem(new Problem(Reason.SecretInvalid, "Secret " + namespace + "/" + ref.name
                    + " lacks key(s) " + missing + "; it needs jdbcUrl, username, password"));
        }
        // Checked here, before anything connects: a URL parameter can make pgjdbc load a class or lift our bounds.
        Optional<String> refused = urls.check(url);
        if (refused.isPresent()) {
            return Result.problem(new Problem(Reason.SecretInvalid, "Secret " + namespace + "/" + ref.name
                    + " key jdbcUrl: " + refused.get()));
        }
        return new Result(new ConnectionSettings(url, user, password), null);
    }

    private static String value(Map<String, String> data, Map<String, String> plain, String key, List<String> missing) {
        String v = plain.get(key);
        if (v == null && data.get(key) != null) {
            try {
                v = new String(Base64.getDecoder().decode(data.get(key)), StandardCharsets.UTF_8).trim();
            } catch (IllegalArgumentException e) {
                v = null;
            }
        }
        if (v == null || v.isEmpty()) {
            missing.add(key);
        }
        return v;
    }

    /** Either settings or a problem. */
    public record Result(ConnectionSettings settings, Problem problem) {
        static Result problem(Problem p) {
            return new Result(null, p);
        }
    }
}
