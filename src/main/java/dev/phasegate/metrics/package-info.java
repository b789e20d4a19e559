/**
 * The operator's Prometheus metrics (Micrometer). A package of its own because it is the one place that knows the
 * metrics library and the exported names: the engine stays pure, the postgres classes report through the small
 * {@link dev.phasegate.postgres.StepTelemetry} interface, and the reconciler makes one call per reconcile. Metric
 * names, labels and meanings are listed in docs/observability.md; the dashboard and alerts query only these.
 */
package dev.phasegate.metrics;
