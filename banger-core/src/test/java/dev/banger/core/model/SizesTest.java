package dev.banger.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SizesTest {
    @Test
    void parsesBinaryUnits() {
        assertThat(Sizes.parse("1048576")).isEqualTo(1L << 20);
        assertThat(Sizes.parse("512M")).isEqualTo(512L << 20);
        assertThat(Sizes.parse("2G")).isEqualTo(2L << 30);
        assertThat(Sizes.parse("2gib")).isEqualTo(2L << 30);
        assertThat(Sizes.parse("1.5G")).isEqualTo(3L << 29);
        assertThat(Sizes.parse(" 4 K ".strip())).isEqualTo(4096);
    }

    @Test
    void rejectsGarbageWithOneLineMessage() {
        for (String bad : new String[] {"", "12Q", "G", "-1G", "1..5G", "0"}) {
            assertThatThrownBy(() -> Sizes.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageNotContaining("\n");
        }
    }

    @Test
    void humanSizes() {
        assertThat(Sizes.human(512)).isEqualTo("512 B");
        assertThat(Sizes.human(3L << 29)).isEqualTo("1.5 GiB");
    }
}
