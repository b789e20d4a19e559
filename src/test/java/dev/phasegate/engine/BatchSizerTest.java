package dev.phasegate.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchSizerTest {

    private static final Duration TARGET = Duration.ofMillis(200);

    private static BatchSizer sizer(int start, int min, int max) {
        return new BatchSizer(new BatchSizer.Settings(start, min, max, TARGET));
    }

    private static Duration ms(double millis) {
        return Duration.ofNanos((long) (millis * 1_000_000));
    }

    @Test
    void fastBatchesGrowByAtMostTwentyPercentPerBatch() {
        BatchSizer s = sizer(1000, 100, 100_000);
        assertThat(s.afterBatch(1000, ms(1))).isEqualTo(1200);
        assertThat(s.afterBatch(1200, ms(1))).isEqualTo(1440);
        assertThat(s.afterBatch(1440, ms(1))).isEqualTo(1728);
    }

    @Test
    void growthStopsWhereTheMeasuredSpeedSaysTheTargetIsMet() {
        BatchSizer s = sizer(1000, 100, 100_000);
        // 1000 keys in 150 ms (below the hold band): 1000 * 200/150 = 1333 would fit, but growth is capped at 1200.
        assertThat(s.afterBatch(1000, ms(150))).isEqualTo(1200);
        // 1200 keys in 155 ms: fits 1548; capped at 1440.
        assertThat(s.afterBatch(1200, ms(155))).isEqualTo(1440);
        // 1440 keys in 155 ms is below the band again, ideal 1858 > cap 1728.
        assertThat(s.afterBatch(1440, ms(155))).isEqualTo(1728);
        // 1728 keys in 158 ms: ideal 2187 > cap 2073.
        assertThat(s.afterBatch(1728, ms(158))).isEqualTo(2073);
    }

    @Test
    void growthIsBoundedByTheIdealWhenCloseToTarget() {
        BatchSizer s = sizer(1000, 100, 100_000);
        // 175 ms is below the hold band (180 ms) and 1000 * 200/175 = 1142 is under the 20 % cap.
        assertThat(s.afterBatch(1000, ms(175))).isEqualTo(1142);
    }

    @Test
    void batchesInsideTheHoldBandKeepTheirSize() {
        BatchSizer s = sizer(5000, 100, 100_000);
        assertThat(s.afterBatch(5000, ms(181))).isEqualTo(5000);
        assertThat(s.afterBatch(5000, ms(199))).isEqualTo(5000);
        assertThat(s.afterBatch(5000, ms(200))).isEqualTo(5000);
    }

    @Test
    void slowBatchesShrinkAtOnceToWhatFitsTheTarget() {
        BatchSizer s = sizer(10_000, 100, 100_000);
        // ten times too slow: a tenth
        assertThat(s.afterBatch(10_000, ms(2000))).isEqualTo(1000);
        // just over the target: at least 20 % smaller
        assertThat(s.afterBatch(1000, ms(201))).isEqualTo(800);
        // twice too slow: half
        assertThat(s.afterBatch(800, ms(400))).isEqualTo(400);
    }

    @Test
    void neverLeavesTheBounds() {
        BatchSizer s = sizer(1000, 500, 1500);
        assertThat(s.afterBatch(1000, ms(100_000))).isEqualTo(500);
        for (int i = 0; i < 20; i++) {
            s.afterBatch(s.size(), ms(1));
        }
        assertThat(s.size()).isEqualTo(1500);
        assertThat(sizer(10, 100, 200).size()).as("start below min").isEqualTo(100);
        assertThat(sizer(1000, 100, 200).size()).as("start above max").isEqualTo(200);
    }

    @Test
    void aShortLastBatchOfAPassNeverGrowsTheSize() {
        BatchSizer s = sizer(1000, 100, 100_000);
        assertThat(s.afterBatch(3, ms(0.1))).isEqualTo(1000);
        // but a short batch that was slow still shrinks it
        assertThat(s.afterBatch(300, ms(600))).isEqualTo(100);
    }

    @Test
    void smallSizesStillGrow() {
        BatchSizer s = sizer(1, 1, 100);
        assertThat(s.afterBatch(1, ms(0.01))).isEqualTo(2);
        assertThat(s.afterBatch(2, ms(0.01))).isEqualTo(3);
        assertThat(s.afterBatch(3, ms(0.01))).isEqualTo(4);
        assertThat(s.afterBatch(4, ms(0.01))).isEqualTo(5);
        assertThat(s.afterBatch(5, ms(0.01))).isEqualTo(6);
        assertThat(s.afterBatch(6, ms(0.01))).isEqualTo(7);
    }

    @Test
    void zeroDurationCountsAsVeryFast() {
        BatchSizer s = sizer(1000, 100, 100_000);
        assertThat(s.afterBatch(1000, Duration.ZERO)).isEqualTo(1200);
        assertThat(s.afterBatch(0, Duration.ZERO)).as("no keys: nothing learned").isEqualTo(1200);
    }

    @Test
    void lockTimeoutsHalveAndStatementTimeoutsCutHard() {
        BatchSizer s = sizer(8000, 100, 100_000);
        assertThat(s.afterLockTimeout()).isEqualTo(4000);
        assertThat(s.afterLockTimeout()).isEqualTo(2000);
        // statement timeout of 5 s at target 200 ms: at most 2000 * 0.2/5 = 80 -> min 100
        assertThat(s.afterStatementTimeout(Duration.ofSeconds(5))).isEqualTo(100);
        BatchSizer t = sizer(100_000, 100, 100_000);
        // a quarter at least: 100000 * 0.2/0.5 = 40000 > 25000
        assertThat(t.afterStatementTimeout(Duration.ofMillis(500))).isEqualTo(25_000);
        assertThat(sizer(150, 100, 1000).afterLockTimeout()).as("floored at min").isEqualTo(100);
    }

    @Test
    void editedSettingsApplyToTheNextBatch() {
        BatchSizer s = sizer(1000, 100, 100_000);
        s.afterBatch(1000, ms(1));
        assertThat(s.size()).isEqualTo(1200);
        assertThat(s.apply(new BatchSizer.Settings(1000, 100, 100_000, TARGET))).isFalse();
        assertThat(s.size()).as("same settings: the adapted size stays").isEqualTo(1200);
        // a new starting size restarts from it
        assertThat(s.apply(new BatchSizer.Settings(777, 100, 100_000, TARGET))).isTrue();
        assertThat(s.size()).isEqualTo(777);
        // a lower max clamps at once, the start staying the same keeps the adapted size otherwise
        assertThat(s.apply(new BatchSizer.Settings(777, 100, 500, TARGET))).isTrue();
        assertThat(s.size()).isEqualTo(500);
        assertThat(s.apply(new BatchSizer.Settings(777, 600, 5000, TARGET))).isTrue();
        assertThat(s.size()).isEqualTo(600);
        // a new target steers the next decision
        s.apply(new BatchSizer.Settings(777, 100, 5000, Duration.ofMillis(50)));
        assertThat(s.afterBatch(600, ms(100))).isEqualTo(300);
    }

    @Test
    void convergesNearTheTargetForAConstantPerKeyCost() {
        // 0.05 ms per key plus 2 ms fixed: the size that fits 200 ms is 3960 keys.
        BatchSizer s = sizer(100, 100, 1_000_000);
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            int n = s.size();
            sizes.add(n);
            s.afterBatch(n, ms(2 + 0.05 * n));
        }
        int last = sizes.get(sizes.size() - 1);
        double took = 2 + 0.05 * last;
        assertThat(took).isBetween(0.75 * 200, 200.0);
        for (int i = 1; i < sizes.size(); i++) {
            assertThat((double) sizes.get(i)).isLessThanOrEqualTo(Math.floor(sizes.get(i - 1) * 1.2) + 1);
        }
    }

    @Test
    void randomWalkRespectsBoundsAndGrowthCap() {
        Random r = new Random(7);
        BatchSizer s = sizer(1000, 50, 20_000);
        for (int i = 0; i < 10_000; i++) {
            int before = s.size();
            int after = switch (r.nextInt(10)) {
                case 0 -> s.afterLockTimeout();
                case 1 -> s.afterStatementTimeout(Duration.ofSeconds(2));
                default -> s.afterBatch(r.nextInt(before) + 1, ms(r.nextDouble() * 600));
            };
            assertThat(after).isBetween(50, 20_000);
            assertThat((double) after).isLessThanOrEqualTo(Math.max(before + 1, Math.floor(before * 1.2)));
        }
    }

    @Test
    void rejectsNonsenseSettings() {
        assertThatThrownBy(() -> new BatchSizer.Settings(10, 0, 10, TARGET))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BatchSizer.Settings(10, 20, 10, TARGET))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("min");
        assertThatThrownBy(() -> new BatchSizer.Settings(10, 1, 10, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("target");
        BatchSizer.Settings d = BatchSizer.Settings.of(null, null, null, null);
        assertThat(d).isEqualTo(new BatchSizer.Settings(1000, 100, 100_000, Duration.ofMillis(200)));
    }
}
