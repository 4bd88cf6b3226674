package io.isthmus.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LocalityTest {

    @Test
    void priorityGrowsWithDistance() {
        Locality me = new Locality("us-east", "us-east-1a", "rack1");
        assertThat(new Locality("us-east", "us-east-1a", "rack1").priorityFrom(me)).isZero();
        assertThat(new Locality("us-east", "us-east-1a", "rack2").priorityFrom(me)).isEqualTo(1);
        assertThat(new Locality("us-east", "us-east-1b", "").priorityFrom(me)).isEqualTo(2);
        assertThat(new Locality("us-west", "us-east-1a", "rack1").priorityFrom(me)).isEqualTo(3);
        assertThat(Locality.UNKNOWN.priorityFrom(Locality.UNKNOWN)).isEqualTo(3);
    }

    @Test
    void parsesIstioLocalityString() {
        assertThat(Locality.parse("r/z/s")).isEqualTo(new Locality("r", "z", "s"));
        assertThat(Locality.parse("r/z")).isEqualTo(Locality.of("r", "z"));
        assertThat(Locality.parse("")).isEqualTo(Locality.UNKNOWN);
        assertThat(Locality.of("r", "z").toString()).isEqualTo("r/z");
    }
}
