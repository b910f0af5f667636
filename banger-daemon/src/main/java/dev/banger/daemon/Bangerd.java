package dev.banger.daemon;

import dev.banger.core.BangerPaths;
import dev.banger.daemon.api.DaemonMethods;
import dev.banger.daemon.api.DoctorMethods;
import dev.banger.daemon.doctor.Checks;
import dev.banger.daemon.doctor.Doctor;
import dev.banger.daemon.api.ImageMethods;
import dev.banger.daemon.api.KernelMethods;
import dev.banger.daemon.api.VmMethods;
import dev.banger.daemon.boot.VmInitrd;
import dev.banger.daemon.image.ImagePrune;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.image.build.DebianRootfsBuilder;
import dev.banger.daemon.fetch.HttpClients;
import dev.banger.daemon.fs.PrivateFiles;
import dev.banger.daemon.host.InProcessHostOperations;
import dev.banger.daemon.image.build.ExtractionLimits;
import dev.banger.daemon.image.build.LayersToExt4;
import dev.banger.daemon.image.catalog.ImageBundlePuller;
import dev.banger.daemon.image.build.TarToExt4;
import dev.banger.daemon.image.oci.BlobCache;
import dev.banger.daemon.image.oci.DockerCredentials;
import dev.banger.daemon.image.oci.RegistryClient;
import dev.banger.daemon.image.seed.SshKeys;
import dev.banger.daemon.image.seed.WorkSeeds;
import dev.banger.daemon.kernel.DebKernelImporter;
import dev.banger.daemon.kernel.KernelCatalog;
import dev.banger.daemon.kernel.KernelDirImporter;
import dev.banger.daemon.kernel.KernelPuller;
import dev.banger.daemon.kernel.KernelService;
import dev.banger.daemon.rpc.RpcMethod;
import dev.banger.daemon.rpc.RpcServer;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.host.HelperSocketOperations;
import dev.banger.daemon.host.HostOperations;
import dev.banger.daemon.vm.BridgedNetwork;
import dev.banger.daemon.vm.DnsPublisher;
import dev.banger.daemon.vm.GuestAgents;
import dev.banger.daemon.vm.GuestNetworks;
import dev.banger.daemon.vm.IdleStops;
import dev.banger.roothelper.api.RootOperations;
import dev.banger.roothelper.ops.HelperConfig;
import dev.banger.roothelper.ops.LocalRootOperations;
import dev.banger.roothelper.ops.ProcessCommands;
import dev.banger.daemon.vm.PortForwards;
import dev.banger.daemon.vm.SshForward;
import dev.banger.daemon.vm.VmFeature;
import dev.banger.daemon.vm.VmExec;
import dev.banger.daemon.vm.VmService;
import dev.banger.daemon.vmm.AccelSelector;
import dev.banger.daemon.vmm.QemuVmm;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Instant;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * bangerd: the owner-user daemon. One per banger home, enforced by a lock file. On start it
 * reconciles VMs left running by a previous daemon; on SIGTERM it stops serving and exits,
 * leaving VMs running (the next start reconciles them).
 */
public final class Bangerd {
    private Bangerd() { }

    public static void main(String[] args) throws Exception {
        // Private whatever umask we were started with: bin/bangerd sets 077, but a systemd unit or another
        // launcher may not, and QEMU and every host tool inherit ours. The chmods also fix homes made before.
        PrivateFiles.restrictUmask();
        BangerPaths paths = BangerPaths.fromEnvironment();
        Files.createDirectories(paths.stateDir());
        Files.createDirectories(paths.runtimeDir());
        PrivateFiles.restrictDir(paths.stateDir());
        PrivateFiles.restrictDir(paths.runtimeDir());
        if (Files.isDirectory(paths.configDir())) PrivateFiles.restrictDir(paths.configDir());
        System.setProperty("BANGER_LOG_FILE", paths.daemonLog().toString());
        Logger log = LoggerFactory.getLogger(Bangerd.class);

        FileChannel lockChannel = FileChannel.open(paths.daemonLock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockChannel.tryLock();
        if (lock == null) {
            System.err.println("bangerd: another bangerd already serves " + paths.daemonSocket());
            System.exit(3);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        try {
            run(paths, log, stopped);
        } catch (Exception e) {
            log.error("bangerd failed to start", e);
            System.err.println("bangerd: " + e.getMessage());
            System.exit(1);
        }
    }

    /** The registered VM features, in the order the start calls them (docs/architecture.md, "Seams"). */
    static List<VmFeature> vmFeatures(HostOperations host, GuestNetworks networks, DnsPublisher dns) {
        return List.of(new SshForward(), new PortForwards(), new BridgedNetwork(host, networks, dns));
    }

    /**
     * Where the network operations of bridged mode go: the root helper when its socket exists; bangerd
     * itself when it is root and there is no helper (the seeds allow both); otherwise the helper's
     * socket anyway, so the first bridged start says it is not reachable. Rootless mode has none.
     */
    static RootOperations networkOperations(DaemonConfig.Networking net, Path stateDir, Logger log) throws IOException {
        if (!net.bridged()) return null;
        if (Files.exists(net.helperSocket())) {
            log.info("bridged networking through the root helper at {}", net.helperSocket());
            return new HelperSocketOperations(net.helperSocket());
        }
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (uid == 0) {
            log.info("bridged networking in process (bangerd is root; no helper at {}): bridge {} on {}",
                    net.helperSocket(), net.bridge(), net.bridgeSubnet());
            return LocalRootOperations.create(new HelperConfig(net.bridge(), HelperConfig.parseSubnet(net.bridgeSubnet()), 0,
                    HelperConfig.DEFAULT_MAX_PORTS), new ProcessCommands(), stateDir.resolve("root-dns"));
        }
        log.warn("network = bridged but no root helper answers at {}; bridged VMs will fail to start until it runs", net.helperSocket());
        return new HelperSocketOperations(net.helperSocket());
    }

    private static void run(BangerPaths paths, Logger log, CountDownLatch stopped) throws Exception {
        DaemonConfig config = DaemonConfig.load(paths.configFile(), System.getenv());
        for (Path dir : new Path[] {paths.vmsDir(), paths.imagesDir(), paths.kernelsDir(), paths.cacheDir()}) {
            Files.createDirectories(dir);
            PrivateFiles.restrictDir(dir);
        }
        // We hold the single-instance lock and serve nothing yet: no staging left on disk is live.
        Instant started = Instant.now();
        Leftovers leftovers = new Leftovers(paths);
        for (Leftovers.Removed r : leftovers.sweep(started)) log.info("start: removed crash leftover {} ({} bytes)", r.path(), r.bytes());
        BlobCache blobs = new BlobCache(paths.cacheDir().resolve("blobs"), config.limits().blobCacheMaxGib() << 30);
        Store store = new Store(paths.database());
        KernelCatalog kernels = new KernelCatalog(paths.kernelsDir());
        DebKernelImporter importer = new DebKernelImporter(kernels, paths.kernelsDir(), config.busybox());
        ExtractionLimits imageLimits = new ExtractionLimits(config.limits().imageMaxEntries(), config.limits().imageMaxContentGib() << 30);
        TarToExt4 tarToExt4 = new TarToExt4(paths.cacheDir(), imageLimits);
        DebianRootfsBuilder debian = new DebianRootfsBuilder(tarToExt4, paths.cacheDir());
        HttpClient http = HttpClients.standard();
        KernelService kernelService = new KernelService(kernels, importer, new KernelDirImporter(kernels, config.busybox()),
                new KernelPuller(kernels, http), config.kernelCatalogs(), http,
                new KernelService.DefaultKernel(config.defaultKernel(), config.kernelPackage()),
                name -> store.listImages().stream().filter(i -> name.equals(i.kernelRef())).map(i -> i.name()).toList());
        ImageService images = new ImageService(paths.imagesDir(), config, store, kernelService, debian, tarToExt4,
                new RegistryClient(http, blobs,
                        DockerCredentials.fromEnvironment(System.getenv()),
                        java.util.Set.copyOf(config.insecureRegistries())),
                new LayersToExt4(paths.cacheDir(), imageLimits), new ImageBundlePuller(http, tarToExt4), http);
        long tsc = QemuVmm.hostTscKhz();
        VmInitrd initrds = new VmInitrd(config.agentBinary());
        AccelSelector accel = new AccelSelector(config.accel(), paths.stateDir(), config.qemuBinary(), tsc, initrds);
        GuestAgents agents = new GuestAgents();
        HostOperations host = new InProcessHostOperations(networkOperations(config.networking(), paths.stateDir(), log));
        GuestNetworks networks = new GuestNetworks(config, host);
        VmService vms = new VmService(paths.vmsDir(), paths.runtimeDir(), config, store, images,
                new QemuVmm(config.qemuBinary(), tsc, (long) config.limits().consoleLogMaxMib() << 20), accel, initrds, agents, new WorkSeeds(paths.cacheDir()),
                new SshKeys(paths.stateDir().resolve("ssh"), Path.of(System.getProperty("user.home"), ".ssh")),
                System.getenv("BANGER_FAULT_AFTER_STEP"), dev.banger.daemon.vm.CrashPoints.fromEnvironment(System.getenv("BANGER_CRASH_AFTER")),
                host, vmFeatures(host, networks, new DnsPublisher(store, host)), networks);

        for (String line : vms.reconcile()) log.info("reconcile: {}", line);
        VmExec exec = new VmExec(vms, agents);
        IdleStops idleStops = new IdleStops(vms, exec, config.idleStop().cpuPercent(), config.idleStop().poll(),
                java.time.Duration.ofSeconds(config.stopTimeoutSeconds()), java.time.Clock.systemUTC());
        idleStops.start();

        Map<String, RpcMethod> methods = new HashMap<>();
        new VmMethods(vms, exec, images, config.stopTimeoutSeconds(), paths.stateDir().resolve("ssh")).register(methods);
        new ImageMethods(images, vms, config.debianSuite(), new ImagePrune(blobs, leftovers, started)).register(methods);
        new KernelMethods(kernelService).register(methods);
        new DaemonMethods(paths, vms, () -> System.exit(0)).register(methods);
        new DoctorMethods(Doctor.standard(Checks.Deps.of(config, "qemu", paths.stateDir(), Checks.accelVerdict(kernels, config.defaultKernel(), accel),
                config.networking().bridged() ? Optional.of(config.networking().helperSocket()) : Optional.empty()))).register(methods);
        RpcServer serving = new RpcServer(paths.daemonSocket(), methods, config.rpcLimits());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            serving.close();
            idleStops.close();
            vms.stopWatching();
            store.close();
            log.info("bangerd stopped; running VMs keep running");
        }, "bangerd-shutdown"));
        serving.start();
        log.info("bangerd {} serving {} (pid {})", DaemonMethods.VERSION, paths.daemonSocket(), ProcessHandle.current().pid());
        stopped.await();
    }
}
