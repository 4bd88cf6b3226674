package io.isthmus.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OutboundNameTest {

    @Test
    void spellsIstioClusterNameAndSni() {
        OutboundName n = new OutboundName(9080, "v1", "reviews.default.svc.cluster.local");
        assertThat(n.clusterName()).isEqualTo("outbound|9080|v1|reviews.default.svc.cluster.local");
        assertThat(n.sni()).isEqualTo("outbound_.9080_.v1_.reviews.default.svc.cluster.local");
        assertThat(OutboundName.of("reviews.default.svc.cluster.local", 9080).sni())
                .isEqualTo("outbound_.9080_._.reviews.default.svc.cluster.local");
    }

    @Test
    void parsesWhatItSpells() {
        OutboundName n = new OutboundName(9080, "v2", "reviews.default.svc.cluster.local");
        assertThat(OutboundName.parseSni(n.sni())).contains(n);
        assertThat(OutboundName.parseClusterName(n.clusterName())).contains(n);
        OutboundName whole = OutboundName.of("a.b.svc.cluster.local", 1);
        assertThat(OutboundName.parseSni(whole.sni())).contains(whole);
    }

    @Test
    void rejectsWhatIsNotAnOutboundName() {
        assertThat(OutboundName.parseSni(null)).isEmpty();
        assertThat(OutboundName.parseSni("reviews.default.svc.cluster.local")).isEmpty();
        assertThat(OutboundName.parseSni("outbound_.x_._.h")).isEmpty();
        assertThat(OutboundName.parseSni("outbound_.70000_._.h")).isEmpty();
        assertThat(OutboundName.parseSni("outbound_.80_._.")).isEmpty();
        assertThat(OutboundName.parseSni("outbound_.80_.")).isEmpty();
        assertThat(OutboundName.parseClusterName("outbound|80||")).isEmpty();
        assertThat(OutboundName.parseClusterName("inbound|80||h")).isEmpty();
        assertThat(OutboundName.parseClusterName("outbound|80|a|b|c")).isEmpty();
        assertThatThrownBy(() -> new OutboundName(0, "", "h")).hasMessageContaining("port");
    }
}
