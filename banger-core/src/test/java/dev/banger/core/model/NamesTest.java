package dev.banger.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class NamesTest {
    @Test
    void acceptsDnsLabels() {
        Names.validateVmName("dev");
        Names.validateVmName("a1-b2");
        Names.validateVmName("x".repeat(63));
    }

    @Test
    void rejectsWhatCannotBeAHostnameOrPath() {
        for (String bad : new String[] {"", "Dev", "-dev", "dev-", "a_b", "a.b", "../x", "a b", "x".repeat(64), "dév"}) {
            assertThatThrownBy(() -> Names.validateVmName(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Property
    void generatedNamesAreAlwaysValid(@ForAll @StringLength(max = 0) String ignored) {
        Names.validateVmName(Names.generateVmName());
    }

    @Property
    void anyAcceptedNameIsSafeInPathsAndHostnames(@ForAll @StringLength(min = 1, max = 70) String candidate) {
        try {
            Names.validateVmName(candidate);
        } catch (IllegalArgumentException rejected) {
            return;
        }
        assertThat(candidate).matches("[a-z0-9-]{1,63}").doesNotStartWith("-").doesNotEndWith("-");
    }

    @Test
    void idsAreSixteenHexChars() {
        assertThat(Names.newId()).matches("[0-9a-f]{16}").isNotEqualTo(Names.newId());
    }
}
