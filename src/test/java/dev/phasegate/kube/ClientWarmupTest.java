package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.SchemaMigration;
import org.junit.jupiter.api.Test;

class ClientWarmupTest {

    @Test
    void theWarmUpRunsToTheEndWithoutANetworkAndMapsEveryStatusPart() throws Exception {
        ClientWarmup.Warmed warmed = ClientWarmup.warm();
        SchemaMigration m = warmed.migration();
        assertThat(m.getStatus().phase).isEqualTo(MigrationPhase.CompatibleSchema);
        assertThat(m.getStatus().health.blocker.pid).isEqualTo(1);
        assertThat(m.getStatus().lint.plan).containsExactly("p");
        assertThat(warmed.deployment().getSpec().getTemplate().getSpec().getContainers())
                .singleElement().satisfies(c -> assertThat(c.getImage()).isEqualTo("warmup:1"));
        assertThat(m.getSpec().lint.allow).singleElement().satisfies(a -> assertThat(a.reason).isEqualTo("warmup"));
    }
}
