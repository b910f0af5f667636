package dev.banger.daemon.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.DoctorStatus;
import org.junit.jupiter.api.Test;

class ImageBuildCheckTest {
    /** An ordinary Debian user with everything in place (the sbin tools live off its PATH; HostTools finds them). */
    private static FakeProbe ready() {
        return new FakeProbe().tool("mkfs.ext4", "/usr/sbin/mkfs.ext4").tool("debugfs", "/usr/sbin/debugfs").tool("e2fsck", "/usr/sbin/e2fsck")
                .tool("resize2fs", "/usr/sbin/resize2fs").tool("mmdebstrap", "/usr/bin/mmdebstrap").tool("newuidmap", "/usr/bin/newuidmap")
                .tool("newgidmap", "/usr/bin/newgidmap").tool("setfacl", "/usr/bin/setfacl")
                .file("/etc/subuid", "bob:100000:65536\nalice:165536:65536\n").file("/etc/subgid", "alice:165536:65536\n")
                .file("/proc/sys/user/max_user_namespaces", "15000\n");
    }

    @Test
    void anOrdinaryUserWithRangesAndToolsBuildsInUnshareMode() {
        Finding f = new ImageBuildCheck().run(ready());
        assertThat(f.status()).isEqualTo(DoctorStatus.OK);
        assertThat(f.summary()).isEqualTo("Debian images build as alice (mmdebstrap --mode=unshare)");
        assertThat(f.detail()).contains("mkfs.ext4 /usr/sbin/mkfs.ext4").contains("/etc/subuid: 65536 ids");
    }

    @Test
    void missingExt4ToolsFailWithTheirPackage() {
        FakeProbe host = ready();
        host.tools.remove("debugfs");
        Finding f = new ImageBuildCheck().run(host);
        assertThat(f.status()).isEqualTo(DoctorStatus.FAIL);
        assertThat(f.fix()).isEqualTo("sudo apt-get install e2fsprogs");
    }

    @Test
    void noRangesNoUidmapAndDisabledNamespacesAreEachNamedWithTheirFix() {
        FakeProbe host = ready().file("/etc/subuid", "bob:100000:65536\n").file("/etc/subgid", "alice:165536:1000\n")
                .file("/proc/sys/kernel/unprivileged_userns_clone", "0\n");
        host.tools.remove("newuidmap");
        Finding f = new ImageBuildCheck().run(host);
        assertThat(f.status()).isEqualTo(DoctorStatus.WARN);
        assertThat(f.summary()).isEqualTo("Debian images cannot be built as alice: missing uidmap, no subordinate uid range,"
                + " subordinate gid range below 65536, user namespaces are off for ordinary users (pulled and imported images still work)");
        assertThat(f.fix()).isEqualTo("sudo apt-get install uidmap; sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice;"
                + " sudo sysctl -w kernel.unprivileged_userns_clone=1");
    }

    @Test
    void rootBuildsInRootModeWithoutRanges() {
        FakeProbe root = ready().file("/etc/subuid", "").file("/etc/subgid", "");
        root.uid = 0;
        root.user = "root";
        Finding f = new ImageBuildCheck().run(root);
        assertThat(f.status()).isEqualTo(DoctorStatus.OK);
        assertThat(f.summary()).startsWith("Debian images build in mmdebstrap root mode");
    }

    @Test
    void rangesAreFoundByNameOrUid() {
        assertThat(ImageBuildCheck.subordinateCount("1000:100000:65536\n", "alice", 1000)).isEqualTo(65536);
        assertThat(ImageBuildCheck.subordinateCount("alice:x:65536\n", "alice", 1000)).isEqualTo(-1);
    }
}
