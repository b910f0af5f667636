package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.VmSshHost;
import dev.banger.core.api.VmSshHosts;
import dev.banger.core.api.VmSshHostsParams;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.core.model.VmSpec;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest's host keys as vm.ssh.hosts takes them (what cat prints, checked key by key), the
 * known_hosts lines under the names the ssh-config blocks use, and the wait for sshd's keys.
 */
class SshHostsTest {
    // real public keys (ssh-keygen), with the comment ssh-keygen -A would write
    static final String ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEtCMfHxy9PmD/HvBNS3uCldLbBwXUJaLM8WwhvpjeM/";
    static final String ECDSA = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIGg1adTZjx9MqmAqsdqYUBQAz3FOTnw0HJeJ2EOYta90z/F6A8+KXQAyjEBOaLpOI5DLL2BsSUQl7ScG0PRJcY=";
    static final String RSA = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCkmVaKRNjtc96ppGaW35m5D9bt+R+mLVkvYUI79+eXrjGNU4n0gPn0IkUi/2DlbyOgdQH48qT9SgHlcKSHrp8DXOZdlmaqHWfky2QkN1pqSyMkar7kyqXtMreTMFfmSH17daQ3D4XiZ9LpBCV/v4L73j8p6xsfpI14u8I8X3FwFUY8w86hCrFHeG/m0sisVuPSCd3dwTjUp3dxHBAA1XtVL9hWDWfl2dSfxenIMLXB0y5UlfB7S02qG9e+qTIRjLTVsg8GGYH8cyU9nLgyMczJ6xrKFy6AosXOysUUy2DpxAdejwaAqE4lvC1JI7LGh96k/z7ftbFBh2hB8wS271FiuWhnKoF710X3HlnfX51/3cSelDM5uaGpi7DD4cNwQkLsSBSrkpcdh2VBpDoWjMV2L8u097J/mc9h5vU5y1DAxRP2qTbx2Z53Qk4d2xGQFgmvTXz3oprw4wWQLWS4KD5ZHkbSjredRX8tM4ggeHlNL4Ex4C3Y17C83PNq2dbQk/s=";

    @TempDir
    Path tmp;

    // --- GuestHostKeys ---

    @Test
    void keysAreTakenWithoutTheirCommentsInTheOrderCatPrintsThem() {
        String cat = ED25519 + " root@dev\n" + ECDSA + " root@dev\n" + RSA + " root@dev\n";
        assertThat(GuestHostKeys.parse(cat)).containsExactly(ED25519, ECDSA, RSA);
    }

    @Test
    void aLineThatIsNotExactlyAKeyOfTheTypeItNamesIsLeftOut() {
        String ed = ED25519.split(" ")[1];
        byte[] blob = Base64.getDecoder().decode(ed);
        String truncated = Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(blob, blob.length - 5));
        String lines = String.join("\n",
                "ssh-rsa " + ed,                                    // an ed25519 blob under another type
                "ecdsa-sha2-nistp384 " + ECDSA.split(" ")[1],       // a nistp256 blob (same shape) under another curve's type
                "ssh-ed25519 " + truncated,                         // half-written
                "ssh-ed25519 !!notbase64!!",
                "ssh-dss " + ed,                                    // not a type we take
                "@cert-authority * " + ED25519,                     // known_hosts markers are not keys
                "ssh-ed25519",
                "",
                "  " + ED25519 + "  trailing comment with spaces  ",
                ED25519 + " again");
        assertThat(GuestHostKeys.parse(lines)).containsExactly(ED25519);
    }

    @Test
    void keysSettleOnceTheEd25519KeyIsThereOrNothingChangedSinceTheLastRead() {
        assertThat(GuestHostKeys.settled(List.of(), null)).isFalse();
        assertThat(GuestHostKeys.settled(List.of(), List.of())).isFalse();
        assertThat(GuestHostKeys.settled(List.of(RSA), null)).isFalse();
        assertThat(GuestHostKeys.settled(List.of(RSA), List.of())).isFalse();
        assertThat(GuestHostKeys.settled(List.of(RSA), List.of(RSA))).isTrue();
        assertThat(GuestHostKeys.settled(List.of(RSA, ED25519), null)).isTrue();
    }

    // what the guest's /proc/net/tcp shows: an established connection to 22 is not sshd listening
    static final String TCP_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    static final String TCP_OTHER = "   0: 0F02000A:0016 0202000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
            + "   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1\n";
    static final String TCP_SSHD = "   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1\n";
    static final String TCP6_SSHD = "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1\n";

    @Test
    void sshdListensWhenASocketOnPort22IsInStateListen() {
        assertThat(SshHosts.listeningOnSsh(TCP_HEADER + TCP_OTHER)).isFalse();
        assertThat(SshHosts.listeningOnSsh(TCP_HEADER + TCP_OTHER + TCP_SSHD)).isTrue();
        assertThat(SshHosts.listeningOnSsh(TCP_HEADER + TCP6_SSHD)).isTrue();
        assertThat(SshHosts.listeningOnSsh("")).isFalse();
    }

    // --- KnownHostsFile ---

    @Test
    void knownHostsLinesUseTheNamesTheBlocksUse() {
        VmSshHost rootless = new VmSshHost("dev", "127.0.0.1", 40222, null, List.of(ED25519, RSA), null);
        VmSshHost bridged = new VmSshHost("web", "172.30.0.11", 22, "web.vm", List.of(ED25519), null);
        VmSshHost none = new VmSshHost("cold", "127.0.0.1", 40223, null, List.of(), "no keys");
        assertThat(KnownHostsFile.render(List.of(bridged, none, rootless))).isEqualTo(KnownHostsFile.HEADER
                + "[127.0.0.1]:40222 " + ED25519 + "\n"
                + "[127.0.0.1]:40222 " + RSA + "\n"
                + "172.30.0.11,web.vm " + ED25519 + "\n");
    }

    @Test
    void theFileIsPrivateAndReplacedWhole() throws Exception {
        Path file = tmp.resolve("ssh/known_hosts");
        KnownHostsFile.write(file, "one\n");
        KnownHostsFile.write(file, "two\n");
        assertThat(Files.readString(file)).isEqualTo("two\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        try (var left = Files.list(file.getParent())) {
            assertThat(left.map(p -> p.getFileName().toString()).toList()).containsExactly("known_hosts");
        }
    }

    // --- SshHosts ---

    static VmRecord vm(String id, String name, VmState state, VmRuntime rt) {
        Instant t = Instant.parse("2026-11-22T10:00:00Z");
        return new VmRecord(id, name, "img", state, t, t, new VmSpec(1, 512, 1L << 30), rt);
    }

    static VmRuntime rootless(int port) {
        return new VmRuntime("10.0.2.15", null, null, null, null, null, null, null, null, port, 1L, "qemu", "tcg", null, null);
    }

    static VmRuntime bridged(String ip, String dns) {
        return new VmRuntime(ip, dns, null, null, null, null, null, null, null, null, 1L, "qemu", "kvm", null, null,
                VmRuntime.BRIDGE_NETWORK, "tap0");
    }

    /** VMs in a map; each VM's successive cat outputs in a list (the last one repeats). */
    static final class FakeGuests implements SshHosts.Guests {
        final Map<String, VmRecord> vms = new ConcurrentHashMap<>();
        final Map<String, List<String>> outputs = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> reads = new ConcurrentHashMap<>();
        /** Per VM: how many reads of its sockets show nothing listening first (none: listening at once; -1: never). */
        final Map<String, Integer> deafReads = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> listenerReads = new ConcurrentHashMap<>();

        void add(VmRecord vm, String... cat) {
            vms.put(vm.id(), vm);
            outputs.put(vm.id(), List.of(cat));
        }

        @Override
        public List<VmRecord> list() {
            return new ArrayList<>(vms.values());
        }

        @Override
        public VmRecord requireRunning(String ref) {
            VmRecord vm = vms.values().stream().filter(v -> v.name().equals(ref) || v.id().equals(ref)).findFirst()
                    .orElseThrow(() -> RpcException.notFound("vm " + ref + " not found"));
            if (vm.state() != VmState.RUNNING) throw RpcException.conflict("vm " + vm.name() + " is not running (state " + vm.state().wire() + ")");
            return vm;
        }

        @Override
        public String readHostKeys(VmRecord vm) {
            int n = reads.computeIfAbsent(vm.id(), k -> new AtomicInteger()).getAndIncrement();
            List<String> out = outputs.get(vm.id());
            return out.get(Math.min(n, out.size() - 1));
        }

        @Override
        public String readListeners(VmRecord vm) {
            int n = listenerReads.computeIfAbsent(vm.id(), k -> new AtomicInteger()).getAndIncrement();
            int deaf = deafReads.getOrDefault(vm.id(), 0);
            return deaf < 0 || n < deaf ? TCP_HEADER + TCP_OTHER : TCP_HEADER + TCP_OTHER + TCP_SSHD;
        }
    }

    private SshHosts hosts(FakeGuests g, Duration wait) {
        return new SshHosts(g, tmp.resolve("ssh"), wait, Duration.ofMillis(10));
    }

    @Test
    void everyRunningVmByDefaultAndTheFileHasEachOnesLines() throws Exception {
        FakeGuests g = new FakeGuests();
        g.add(vm("b1", "web", VmState.RUNNING, bridged("172.30.0.11", "web.vm")), ED25519 + " root@web\n");
        g.add(vm("a1", "dev", VmState.RUNNING, rootless(40222)), RSA + " x\n" + ED25519 + " x\n");
        g.add(vm("c1", "cold", VmState.STOPPED, rootless(40223)), ED25519);
        VmSshHosts r = hosts(g, Duration.ofSeconds(5)).call(new VmSshHostsParams(null));
        assertThat(r.knownHosts()).isEqualTo(tmp.resolve("ssh/known_hosts").toString());
        assertThat(r.identityFile()).isEqualTo(tmp.resolve("ssh/id_ed25519").toString());
        assertThat(r.hosts()).containsExactly(
                new VmSshHost("dev", "127.0.0.1", 40222, null, List.of(RSA, ED25519), null),
                new VmSshHost("web", "172.30.0.11", 22, "web.vm", List.of(ED25519), null));
        assertThat(Files.readString(Path.of(r.knownHosts()))).isEqualTo(KnownHostsFile.HEADER
                + "[127.0.0.1]:40222 " + RSA + "\n[127.0.0.1]:40222 " + ED25519 + "\n172.30.0.11,web.vm " + ED25519 + "\n");
        assertThat(g.reads).doesNotContainKey("c1");
    }

    @Test
    void keysAreWaitedForUntilSshdHasMadeThem() throws Exception {
        FakeGuests g = new FakeGuests();
        // no keys, then rsa alone (keygen under way), then all three
        g.add(vm("a1", "dev", VmState.RUNNING, rootless(40222)), "", RSA + "\n", RSA + "\n" + ECDSA + "\n" + ED25519 + "\n");
        VmSshHosts r = hosts(g, Duration.ofSeconds(5)).call(new VmSshHostsParams(List.of("dev")));
        assertThat(r.hosts().getFirst().hostKeys()).containsExactly(RSA, ECDSA, ED25519);
        assertThat(g.reads.get("a1").get()).isEqualTo(3);
    }

    @Test
    void settledKeysWaitForSshdToListenAndStandWhenItNeverDoes() throws Exception {
        FakeGuests g = new FakeGuests();
        g.add(vm("a1", "dev", VmState.RUNNING, rootless(40222)), ED25519);
        g.deafReads.put("a1", 3);
        VmSshHosts r = hosts(g, Duration.ofSeconds(5)).call(new VmSshHostsParams(List.of("dev")));
        assertThat(r.hosts().getFirst().hostKeys()).containsExactly(ED25519);
        assertThat(g.listenerReads.get("a1").get()).isEqualTo(4);
        assertThat(g.reads.get("a1").get()).as("the keys are not read again once settled").isEqualTo(1);

        g.deafReads.put("a1", -1);
        VmSshHosts deaf = hosts(g, Duration.ofMillis(200)).call(new VmSshHostsParams(List.of("dev")));
        assertThat(deaf.hosts().getFirst()).isEqualTo(new VmSshHost("dev", "127.0.0.1", 40222, null, List.of(ED25519), null));
    }

    @Test
    void noKeysWithinTheWaitIsThatVmsErrorAndItHasNoLines() throws Exception {
        FakeGuests g = new FakeGuests();
        g.add(vm("a1", "dev", VmState.RUNNING, rootless(40222)), ED25519);
        g.add(vm("b1", "bare", VmState.RUNNING, rootless(40224)), "cat: /etc/ssh/ssh_host_ed25519_key.pub: No such file or directory\n");
        long t0 = System.nanoTime();
        VmSshHosts r = hosts(g, Duration.ofMillis(300)).call(new VmSshHostsParams(List.of()));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
        assertThat(r.hosts()).extracting(VmSshHost::vm).containsExactly("bare", "dev");
        assertThat(r.hosts().getFirst().error()).startsWith("vm bare: sshd made no host keys in /etc/ssh within 0 s");
        assertThat(r.hosts().getFirst().hostKeys()).isEmpty();
        assertThat(Files.readString(Path.of(r.knownHosts()))).isEqualTo(KnownHostsFile.HEADER + "[127.0.0.1]:40222 " + ED25519 + "\n");
    }

    @Test
    void vmsNotAskedForKeepTheirLinesAndStoppedOnesLoseThem() throws Exception {
        FakeGuests g = new FakeGuests();
        g.add(vm("a1", "dev", VmState.RUNNING, rootless(40222)), ED25519);
        g.add(vm("b1", "web", VmState.RUNNING, bridged("172.30.0.11", "web.vm")), RSA);
        SshHosts h = hosts(g, Duration.ofSeconds(5));
        h.call(new VmSshHostsParams(null));
        int webReads = g.reads.get("b1").get();
        VmSshHosts r = h.call(new VmSshHostsParams(List.of("dev")));
        assertThat(r.hosts()).extracting(VmSshHost::vm).containsExactly("dev");
        assertThat(g.reads.get("b1").get()).as("web was not read again").isEqualTo(webReads);
        assertThat(Files.readString(Path.of(r.knownHosts()))).contains("172.30.0.11,web.vm " + RSA);
        g.vms.put("b1", g.vms.get("b1").withState(VmState.STOPPED));
        h.call(new VmSshHostsParams(List.of("dev")));
        assertThat(Files.readString(Path.of(r.knownHosts()))).isEqualTo(KnownHostsFile.HEADER + "[127.0.0.1]:40222 " + ED25519 + "\n");
    }

    @Test
    void aNamedVmThatIsMissingOrStoppedFailsTheCall() {
        FakeGuests g = new FakeGuests();
        g.add(vm("a1", "dev", VmState.STOPPED, rootless(40222)), ED25519);
        SshHosts h = hosts(g, Duration.ofSeconds(5));
        assertThatThrownBy(() -> h.call(new VmSshHostsParams(List.of("dev")))).isInstanceOf(RpcException.class).hasMessageContaining("not running");
        assertThatThrownBy(() -> h.call(new VmSshHostsParams(List.of("nope")))).isInstanceOf(RpcException.class).hasMessageContaining("not found");
        assertThat(tmp.resolve("ssh/known_hosts")).doesNotExist();
    }
}
