package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.mesh.HeaderOperators;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The control plane accepts exactly the header operators this proxy renders. */
class HeaderOperatorsAgreementTest {

    @Test
    void theControlPlanesListIsTheProxys() {
        assertThat(Arrays.stream(HeaderFormat.Operator.values()).map(Enum::name).collect(Collectors.toSet()))
                .isEqualTo(HeaderOperators.NAMES);
        for (String name : HeaderOperators.NAMES) {
            String value = "x-%" + name + "%-y";
            assertThat(HeaderOperators.problem(value)).as(value).isNull();
            HeaderFormat.parse(value);
        }
        assertThat(HeaderOperators.problem("%REQ(x-user)%")).contains("not supported");
        assertThat(HeaderOperators.problem("100%")).contains("a literal % is written %%");
        assertThat(HeaderOperators.problem("100%%")).isNull();
    }
}
