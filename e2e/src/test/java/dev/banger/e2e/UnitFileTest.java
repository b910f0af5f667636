package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link UnitFile} reads what SystemUnitsE2eTest starts by; wrong here would start a different process than systemd. */
class UnitFileTest {
    @Test
    void environmentRepeatsQuotesAndLaterAssignmentsWin() {
        UnitFile unit = UnitFile.parse("""
                [Unit]
                Environment=IGNORED=unit-section
                [Service]
                # a comment
                Environment=A=1 B=2
                Environment="C=three words" 'D=single quoted' E=a\\"b
                Environment=A=again
                """);
        assertThat(unit.environment()).containsExactly(java.util.Map.entry("A", "again"), java.util.Map.entry("B", "2"),
                java.util.Map.entry("C", "three words"), java.util.Map.entry("D", "single quoted"), java.util.Map.entry("E", "a\"b"));
    }

    @Test
    void execStartIsSplitIntoWordsWithoutAShell() {
        UnitFile unit = UnitFile.parse("[Service]\nExecStart=/opt/x/bin/helper --socket /run/banger/helper.sock \"--name\" 'a b' c\\sd\n");
        assertThat(unit.execStart()).containsExactly("/opt/x/bin/helper", "--socket", "/run/banger/helper.sock", "--name", "a b", "c d");
    }

    @Test
    void whatSystemdWouldReadDifferentlyIsRefused() {
        for (String exec : new String[] {"-/bin/x", "/bin/x $HOME", "/bin/x %h", "bin/x"}) {
            assertThatThrownBy(() -> UnitFile.parse("[Service]\nExecStart=" + exec + "\n").execStart()).as(exec)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void anEmptyAssignmentResetsTheList() {
        UnitFile unit = UnitFile.parse("[Service]\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\nRuntimeDirectoryMode=0700\n");
        assertThat(unit.environment()).containsOnlyKeys("B");
        assertThat(unit.mode("RuntimeDirectoryMode")).isEqualTo(0700);
        assertThat(unit.mode("StateDirectoryMode")).isEqualTo(0755);
    }
}
