package dev.phasegate.testing;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.function.Function;

/** Sets a test class's non-final fields, static or per instance, to what an extension provides. */
final class FieldInjection {
    private FieldInjection() {
    }

    /**
     * Walks the class and its superclasses; {@code valueFor} gets each field's type and returns null for a type the
     * extension does not provide (it is only asked for fields of the right kind, so it may start what it provides).
     */
    static void inject(Class<?> type, Object instance, boolean staticOnly, Function<Class<?>, Object> valueFor)
            throws IllegalAccessException {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isFinal(field.getModifiers()) || Modifier.isStatic(field.getModifiers()) != staticOnly) {
                    continue;
                }
                Object value = valueFor.apply(field.getType());
                if (value != null) {
                    field.setAccessible(true);
                    field.set(staticOnly ? null : instance, value);
                }
            }
        }
    }
}
