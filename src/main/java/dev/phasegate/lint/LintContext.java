package dev.phasegate.lint;

import dev.phasegate.api.PhaseName;
import dev.phasegate.postgres.sql.AlterActions;
import dev.phasegate.postgres.sql.CreatedObjects;
import dev.phasegate.postgres.sql.Names;
import dev.phasegate.postgres.sql.SqlStatement;
import dev.phasegate.postgres.sql.StatementDetails;
import dev.phasegate.postgres.sql.StatementSummary;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a rule may look at for one statement: the phase, the statement, the statements before it in the same
 * script, what the expand script creates (for Cleanup), and the catalog facts. Rules report through it.
 */
final class LintContext {

    /** PostgreSQL's oldest version phasegate supports; assumed when the catalog was not consulted. */
    static final int OLDEST_SUPPORTED = 140000;

    private final PhaseName phase;
    private final SqlStatement statement;
    private final List<SqlStatement> earlier;
    private final CreatedObjects expandCreates;
    /** Resolved names ({@code schema.table}) of the tables the statements before this one create. */
    private final Set<String> createdEarlier;
    /** For Cleanup, resolved names of the tables the expand creates (they exist by then); else empty. */
    private final Set<String> createdByExpand;
    private final Resolver resolver;
    /** Functions the migration creates before this statement, by resolved name, with their declared volatility. */
    private final Map<String, Volatility> declaredFunctions;
    private final CatalogFacts catalog;
    private final LintThresholds thresholds;
    private final List<Finding> out;
    private final String summary;

    /**
     * @param expand for Cleanup, the expand script's statements (the functions it declares exist by then); else
     *               empty
     */
    LintContext(PhaseName phase, SqlStatement statement, List<SqlStatement> earlier, CreatedObjects expandCreates,
            List<SqlStatement> expand, CatalogFacts catalog, LintThresholds thresholds, List<Finding> out) {
        this.phase = phase;
        this.statement = statement;
        this.earlier = earlier;
        this.expandCreates = expandCreates;
        this.createdEarlier = Resolver.created(catalog, CreatedObjects.ofStatements(earlier));
        this.createdByExpand = phase == PhaseName.Cleanup && !expandCreates.opaque()
                ? Resolver.created(catalog, expandCreates) : Set.of();
        Set<String> existing = new HashSet<>(createdEarlier);
        existing.addAll(createdByExpand);
        this.resolver = new Resolver(catalog, existing);
        this.catalog = catalog;
        this.thresholds = thresholds;
        this.out = out;
        String s = StatementSummary.of(statement.text());
        this.summary = s == null ? "" : s;
        this.declaredFunctions = new HashMap<>();
        (phase == PhaseName.Cleanup ? expand : List.<SqlStatement>of()).forEach(this::declare);
        earlier.forEach(this::declare);
    }

    PhaseName phase() {
        return phase;
    }

    boolean expand() {
        return phase == PhaseName.CompatibleSchema;
    }

    boolean cleanup() {
        return phase == PhaseName.Cleanup;
    }

    SqlStatement statement() {
        return statement;
    }

    List<SqlStatement> earlier() {
        return earlier;
    }

    /** What the expand script creates; empty (not opaque) while linting the expand script itself. */
    CreatedObjects expandCreates() {
        return expandCreates;
    }

    List<AlterActions.Action> actions() {
        return AlterActions.of(statement);
    }

    /** The table a name as written means here, {@code schema.table}: see {@link Resolver}. */
    String resolve(String table) {
        return resolver.resolve(table);
    }

    /** True when both names, as written, mean the same table here. */
    boolean sameTable(String table, String other) {
        return resolver.same(table, other);
    }

    /** True when an earlier statement of this script creates the table: nothing else can be using it yet. */
    boolean isNew(String table) {
        return createdEarlier.contains(resolve(table));
    }

    /** True in Cleanup when the expand script creates the table (a transparent expand script only). */
    boolean createdByExpand(String table) {
        return createdByExpand.contains(resolve(table));
    }

    TableSize size(String table) {
        return TableSize.of(table, resolve(table), isNew(table), createdByExpand(table), catalog, thresholds);
    }

    Optional<TableFacts> facts(String table) {
        return catalog.known() ? catalog.table(resolve(table)) : Optional.empty();
    }

    /** The catalog's volatility of a function a default calls, if it has the function. */
    Optional<Volatility> catalogVolatility(String function) {
        return catalog.known() ? catalog.function(function) : Optional.empty();
    }

    /**
     * The volatility a function a default calls was declared with by an earlier statement of the migration (a
     * CREATE OR REPLACE there overrides what the catalog says now); an unqualified call looks along the search_path.
     */
    Optional<Volatility> declaredVolatility(String function) {
        List<String> parts = Names.parts(function);
        List<String> candidates = parts.size() > 1 ? List.of(Resolver.createdAs(catalog, function))
                : catalog.searchPath().stream().map(s -> s + "." + parts.get(0)).toList();
        return candidates.stream().filter(declaredFunctions::containsKey).findFirst().map(declaredFunctions::get);
    }

    private void declare(SqlStatement s) {
        StatementDetails.createdFunction(s).ifPresent(f -> declaredFunctions.put(Resolver.createdAs(catalog,
                f.name()), Volatility.valueOf(f.volatility())));
    }

    int serverVersion() {
        return catalog.known() && catalog.serverVersionNum() > 0 ? catalog.serverVersionNum() : OLDEST_SUPPORTED;
    }

    /** The statement's command and first table, e.g. {@code CREATE INDEX orders}; never a literal. */
    String summary() {
        return summary;
    }

    Optional<String> table() {
        return statement.tableName();
    }

    void report(Rule rule, Severity severity, String message) {
        out.add(new Finding(rule.id(), severity, phase, statement.index(), summary, message));
    }

    /**
     * Reports work that grows with the table (a scan or rewrite under a strong lock) at the severity its size
     * deserves: nothing for a table created earlier in the script, a note for a small one, an error otherwise.
     */
    void reportCost(Rule rule, String table, String what, String fix) {
        TableSize size = size(table);
        Severity severity = size.costSeverity();
        if (severity != null) {
            report(rule, severity, what + "; " + size.description() + ". " + fix);
        }
    }
}
