package dev.phasegate.postgres.sql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.postgres.sql.SetList.Assignment;
import org.junit.jupiter.api.Test;

/** The backfill's SET fragment read as target columns and their expressions, for the consistency check. */
class SetListTest {

    @Test
    void oneAssignment() {
        assertThat(SetList.parse("status_v2 = status::text").assignments())
                .containsExactly(new Assignment("status_v2", "status::text"));
    }

    @Test
    void severalAssignmentsSplitOnlyOnTopLevelCommas() {
        SetList.Parsed p = SetList.parse("a = coalesce(x, 'a,b'), \"Mixed\"\"Case\" = ARRAY[1, 2] , c=f(y,z) -- done");
        assertThat(p.problem()).isNull();
        assertThat(p.assignments()).containsExactly(new Assignment("a", "coalesce(x, 'a,b')"),
                new Assignment("Mixed\"Case", "ARRAY[1, 2]"), new Assignment("c", "f(y,z)"));
    }

    @Test
    void unquotedNamesFoldToLowerCaseLikePostgres() {
        assertThat(SetList.parse("Price_Cents = round(price * 100)").assignments())
                .containsExactly(new Assignment("price_cents", "round(price * 100)"));
    }

    @Test
    void caseExpressionsWithCommasAndStringsStayWhole() {
        String expr = "CASE status WHEN 0 THEN 'new, unpaid' WHEN 1 THEN $$paid$$ ELSE 'closed' END";
        assertThat(SetList.parse("status_v2 = " + expr).assignments())
                .containsExactly(new Assignment("status_v2", expr));
    }

    @Test
    void whatCannotBeComparedIsNamed() {
        assertThat(SetList.parse("(a, b) = (x, y)").problem()).contains("one column per assignment");
        assertThat(SetList.parse("tags[1] = x").problem()).contains("not '='", "array elements");
        assertThat(SetList.parse("a = DEFAULT").problem()).contains("DEFAULT");
        assertThat(SetList.parse("a = 1, b").problem()).contains("assignment 2", "column = expression");
        assertThat(SetList.parse("a = 1; DROP TABLE t").problem()).contains(";");
        assertThat(SetList.parse("").problem()).contains("empty");
    }
}
