package dev.banger.daemon.vm;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.VmRecord;
import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.boot.VmInitrd;
import dev.banger.daemon.host.HostCommand;
import dev.banger.daemon.host.InProcessHostOperations;
import dev.banger.daemon.host.RecordingHostOperations;
import dev.banger.daemon.image.Images;
import dev.banger.daemon.image.seed.SshKeys;
import dev.banger.daemon.image.seed.WorkSeeds;
import dev.banger.daemon.kernel.KernelEntry;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.vmm.AccelSelector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A whole VmService with no QEMU: a real SQLite store, real work disks, initrds and SSH keys in a
 * temp home, the {@link FakeVmm} driver, and host operations that are recorded (into {@link #log})
 * and then done for real. One log is shared by the host operations and by any test feature.
 */
final class VmTestBed implements AutoCloseable {
    final Path home;
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    final Store store;
    final FakeVmm vmm = new FakeVmm();
    final RecordingHostOperations host;
    final VmService vms;
    final ImageRecord image;
    final Path runtimeDir;
    private final java.util.function.Function<CrashPoints, VmService> daemon;

    /** The features of a bed, made once its host operations, store and config exist. */
    interface FeatureFactory {
        List<VmFeature> make(RecordingHostOperations host, Store store, DaemonConfig config);
    }

    VmTestBed(Path home, String faultAfterStep, List<VmFeature> features) throws Exception {
        this(home, faultAfterStep, Map.of(), (host, store, config) -> features);
    }

    /**
     * network = bridged with the registered features as Bangerd has them; the host operations have no
     * delegate for the network (they answer as a helper on bgr0, 10.77.0.0/24 would, and record the calls).
     */
    static VmTestBed bridged(Path home, String faultAfterStep) throws Exception {
        return new VmTestBed(home, faultAfterStep, Map.of("BANGER_NETWORK", "bridged"), (host, store, config) ->
                List.of(new SshForward(), new PortForwards(), new BridgedNetwork(host, new GuestNetworks(config, host),
                        new DnsPublisher(store, host))));
    }

    VmTestBed(Path home, String faultAfterStep, Map<String, String> env, FeatureFactory featureFactory) throws Exception {
        this.home = home;
        this.runtimeDir = home.resolve("run");
        this.store = new Store(home.resolve("banger.db"));
        this.host = new RecordingHostOperations(log, new InProcessHostOperations());
        Path agent = home.resolve("banger-agent");
        Files.writeString(agent, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> settings = new java.util.HashMap<>(env);
        settings.put("BANGER_AGENT_BIN", agent.toString());
        settings.put("BANGER_ACCEL", "tcg");
        DaemonConfig config = DaemonConfig.load(home.resolve("none.toml"), settings);
        List<VmFeature> features = featureFactory.make(host, store, config);
        Path kernelDir = Files.createDirectories(home.resolve("kernels/k"));
        Files.writeString(kernelDir.resolve("vmlinux"), "not a kernel");
        Files.write(kernelDir.resolve("initrd.img"), new byte[512]);
        KernelEntry kernel = new KernelEntry("k", "test", "x86_64", "0", "0".repeat(64), "test", Instant.now(), kernelDir);
        image = new ImageRecord("img0", "base", rootfs(Files.createDirectories(home.resolve("images/base"))).toString(),
                "k", "test", 0, Instant.now(), null);
        store.insertImage(image);
        Images images = new FixedImages(image, kernel);
        VmInitrd initrds = new VmInitrd(agent);
        Path vmsDir = Files.createDirectories(home.resolve("vms"));
        WorkSeeds seeds = new WorkSeeds(Files.createDirectories(home.resolve("cache")));
        SshKeys keys = new SshKeys(home.resolve("ssh"), Files.createDirectories(home.resolve("user-ssh")));
        AccelSelector accel = new AccelSelector("tcg", home, "qemu-system-x86_64", 2_000_000, initrds);
        this.daemon = crashPoints -> new VmService(vmsDir, runtimeDir, config, store, images, vmm, accel, initrds,
                new GuestAgents(), seeds, keys, faultAfterStep, crashPoints, host, features, new GuestNetworks(config, host));
        this.vms = daemon.apply(CrashPoints.NONE);
    }

    /**
     * A second VmService over the same home, store and driver: what a restarted bangerd sees (empty
     * caches). The first one stops watching first, as a daemon that died would: otherwise its exit
     * watcher, not the restarted daemon, could be the one that notices a VMM dying.
     */
    VmService restartedDaemon() {
        vms.stopWatching();
        return daemon.apply(CrashPoints.NONE);
    }

    /**
     * A VmService over the same home whose starts stop dead right after {@code crashAfter}
     * ({@link CrashPoints#simulated}: no rollback runs, as under SIGKILL). Its bangerd is abandoned
     * after the crash; {@link #restartedDaemon} is the next one, with no crash point.
     */
    VmService daemonCrashingAfter(String crashAfter) {
        vms.stopWatching();
        return daemon.apply(CrashPoints.simulated(crashAfter));
    }

    /** A small real ext4 root with a /root to seed the work disk from. */
    private static Path rootfs(Path dir) throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/root"));
        Files.writeString(tree.resolve(".profile"), "# test\n");
        Path out = dir.resolve("rootfs.ext4");
        HostCommand.of(List.of("mkfs.ext4", "-q", "-F", "-d", tree.getParent().toString(), out.toString(), "8M"),
                Duration.ofSeconds(60)).run();
        return out;
    }

    VmRecord create(String name) throws Exception {
        return vms.create(new dev.banger.core.api.VmCreateParams(name, null, null, 128, "16M", false, false), ProgressSink.NONE);
    }

    VmRecord row(String id) {
        return store.vmById(id).orElseThrow();
    }

    Path vmDir(VmRecord vm) {
        return Path.of(vm.runtime().vmDir());
    }

    @Override
    public void close() throws Exception {
        vmm.close();
        store.close();
    }
}
