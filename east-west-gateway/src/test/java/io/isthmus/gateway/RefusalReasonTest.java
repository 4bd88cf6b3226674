package io.isthmus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.mesh.sni.HelloRefusal;
import org.junit.jupiter.api.Test;

class RefusalReasonTest {

    @Test
    void everyParserRefusalIsCountedUnderTheReasonOfTheSameName() {
        for (HelloRefusal hello : HelloRefusal.values()) {
            RefusalReason reason = RefusalReason.of(hello);
            assertThat(reason.name()).isEqualTo(hello.name());
            assertThat(reason.label()).isEqualTo(hello.name().toLowerCase(java.util.Locale.ROOT));
        }
    }
}
