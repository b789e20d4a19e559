package dev.phasegate.deploy;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Turns an HTTP request to the Kubernetes API into the RBAC terms it is authorized by (group/resource:verb), so that
 * requests recorded by a mock API server can be checked against the grants in deploy/ and helm/.
 */
record ApiCallAudit(String group, String resource, String verb, String namespace, String name) {

    String grant() {
        return group + "/" + resource + ":" + verb;
    }

    /** Empty for non-resource paths (/version, discovery), which RBAC grants every authenticated user anyway. */
    static Optional<ApiCallAudit> of(String method, String pathAndQuery) {
        URI uri = URI.create(pathAndQuery);
        List<String> seg = Arrays.stream(uri.getPath().split("/")).filter(s -> !s.isEmpty()).toList();
        String group;
        int rest;
        if (seg.size() >= 3 && seg.get(0).equals("api")) {
            group = "";
            rest = 2; // api/v1/...
        } else if (seg.size() >= 4 && seg.get(0).equals("apis")) {
            group = seg.get(1);
            rest = 3; // apis/group/version/...
        } else {
            return Optional.empty();
        }
        List<String> r = seg.subList(rest, seg.size());
        String namespace = null;
        if (r.size() >= 3 && r.get(0).equals("namespaces")) {
            namespace = r.get(1);
            r = r.subList(2, r.size());
        }
        String resource = r.get(0);
        String name = r.size() > 1 ? r.get(1) : null;
        if (r.size() > 2) {
            resource = resource + "/" + r.get(2);
        }
        boolean watch = uri.getQuery() != null && Arrays.asList(uri.getQuery().split("&")).contains("watch=true");
        String verb = switch (method) {
            case "GET" -> watch ? "watch" : name == null ? "list" : "get";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name == null ? "deletecollection" : "delete";
            default -> method.toLowerCase();
        };
        return Optional.of(new ApiCallAudit(group, resource, verb, namespace, name));
    }
}
