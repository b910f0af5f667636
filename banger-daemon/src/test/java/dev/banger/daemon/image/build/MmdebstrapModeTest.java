package dev.banger.daemon.image.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mode decision over fake host facts: unshare when it can work, root only as root, else one line saying why. */
class MmdebstrapModeTest {
    private static final List<String> RANGES = List.of("someone-else:165536:65536", "alice:100000:65536");

    /** A Debian 12 user made by useradd: subordinate ranges, user namespaces on, uidmap and acl installed. */
    private static MmdebstrapMode.Host alice() {
        return new MmdebstrapMode.Host(1001, "alice", RANGES, RANGES, null, "96365", null, true, true, true);
    }

    @Test
    void ordinaryUserWithSubordinateRangesBuildsInUnshareModeAsTheStartOfItsRange() throws Exception {
        assertThat(MmdebstrapMode.decide(alice())).isEqualTo(new MmdebstrapMode.Plan(MmdebstrapMode.UNSHARE, 100000));
        MmdebstrapMode.Host byUid = new MmdebstrapMode.Host(1001, "alice", List.of("1001:300000:65536"),
                List.of("1001:300000:65536"), "1", "96365", "0", true, true, true);
        assertThat(MmdebstrapMode.decide(byUid).namespaceRootUid()).isEqualTo(300000);
    }

    @Test
    void ordinaryUserWithoutSubordinateRangesIsToldHowToAddThem() {
        MmdebstrapMode.Host h = new MmdebstrapMode.Host(1001, "alice", List.of("bob:100000:65536"), RANGES,
                null, "96365", null, true, true, true);
        assertOneLine(h, "cannot build a Debian image as alice (mmdebstrap --mode=unshare): alice has no subordinate uid range"
                + " in /etc/subuid (add one: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice)");
        MmdebstrapMode.Host small = new MmdebstrapMode.Host(1001, "alice", List.of("alice:100000:1000"), RANGES,
                null, "96365", null, true, true, true);
        assertThatThrownBy(() -> MmdebstrapMode.decide(small)).hasMessageContaining("fewer than 65536 ids");
    }

    @Test
    void userNamespacesSwitchedOffAreNamedWithTheSysctlThatEnablesThem() {
        MmdebstrapMode.Host debianOff = new MmdebstrapMode.Host(1001, "alice", RANGES, RANGES, "0", "96365", null, true, true, true);
        assertOneLine(debianOff, "cannot build a Debian image as alice (mmdebstrap --mode=unshare): user namespaces are disabled"
                + " for ordinary users (kernel.unprivileged_userns_clone = 0; enable: sudo sysctl -w kernel.unprivileged_userns_clone=1)");
        MmdebstrapMode.Host maxZero = new MmdebstrapMode.Host(1001, "alice", RANGES, RANGES, null, "0", null, true, true, true);
        assertThatThrownBy(() -> MmdebstrapMode.decide(maxZero)).hasMessageContaining("user.max_user_namespaces = 0");
        MmdebstrapMode.Host apparmor = new MmdebstrapMode.Host(1001, "alice", RANGES, RANGES, null, "96365", "1", true, true, true);
        assertThatThrownBy(() -> MmdebstrapMode.decide(apparmor)).hasMessageContaining("apparmor_restrict_unprivileged_userns");
    }

    @Test
    void missingUidmapOrAclNamesThePackages() {
        MmdebstrapMode.Host h = new MmdebstrapMode.Host(1001, "alice", RANGES, RANGES, null, "96365", null, false, true, false);
        assertOneLine(h, "cannot build a Debian image as alice (mmdebstrap --mode=unshare): newuidmap/newgidmap not found"
                + " (install the Debian package uidmap); setfacl not found (install the Debian package acl)");
    }

    @Test
    void rootWithoutSubordinateRangesFallsBackToRootModeAndWithThemUsesUnshare() throws Exception {
        MmdebstrapMode.Host root = new MmdebstrapMode.Host(0, "root", List.of(), List.of(), null, "96365", null, true, true, true);
        assertThat(MmdebstrapMode.decide(root).mode()).isEqualTo(MmdebstrapMode.ROOT);
        MmdebstrapMode.Host rootWithRanges = new MmdebstrapMode.Host(0, "root", List.of("root:200000:65536"),
                List.of("root:200000:65536"), null, "96365", null, true, true, true);
        assertThat(MmdebstrapMode.decide(rootWithRanges)).isEqualTo(new MmdebstrapMode.Plan(MmdebstrapMode.UNSHARE, 200000));
    }

    private static void assertOneLine(MmdebstrapMode.Host h, String message) {
        assertThatThrownBy(() -> MmdebstrapMode.decide(h)).isInstanceOf(IOException.class).hasMessage(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
