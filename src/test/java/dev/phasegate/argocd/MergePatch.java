package dev.phasegate.argocd;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The JSON merge patch (RFC 7386) from a live object to what an action returned, without status: what Argo CD's
 * RunResourceAction sends to the API server for the object's own fields.
 */
public final class MergePatch {
    private MergePatch() {
    }

    public static Map<String, Object> between(Map<String, Object> live, Map<String, Object> returned) {
        Map<String, Object> patch = diff(live, returned);
        patch.remove("status");
        return patch;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> diff(Map<String, Object> before, Map<String, Object> after) {
        Map<String, Object> patch = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : after.entrySet()) {
            Object old = before.get(e.getKey());
            if (old instanceof Map<?, ?> o && e.getValue() instanceof Map<?, ?> n) {
                Map<String, Object> inner = diff((Map<String, Object>) o, (Map<String, Object>) n);
                if (!inner.isEmpty()) {
                    patch.put(e.getKey(), inner);
                }
            } else if (!same(old, e.getValue())) {
                patch.put(e.getKey(), e.getValue());
            }
        }
        for (String key : before.keySet()) {
            // A null reaches Lua as nil, which is no key at all: absent and null are the same field.
            if (!after.containsKey(key) && before.get(key) != null) {
                patch.put(key, null);
            }
        }
        return patch;
    }

    /** Deep equality in which 3 and 3.0 are the same value: Lua gives every number back as a float. */
    public static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            return x.keySet().equals(y.keySet()) && x.keySet().stream().allMatch(k -> same(x.get(k), y.get(k)));
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            return x.size() == y.size() && IntStream.range(0, x.size()).allMatch(i -> same(x.get(i), y.get(i)));
        }
        return Objects.equals(a, b);
    }
}
