package dev.banger.daemon;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * bangerd settings: {@code config.toml} (snake_case keys, all optional) with a few
 * environment overrides for tests and one-off runs. Documented in docs/configuration.md.
 */
public record DaemonConfig(
        String defaultImage,
        String defaultKernel,
        String kernelPackage,
        String debianSuite,
        String debianMirror,
        String qemuBinary,
        String accel,
        int defaultVcpu,
        int defaultMemoryMib,
        int stopTimeoutSeconds,
        int agentReadyTimeoutSeconds,
        String subnet,
        Path agentBinary,
        Path busybox,
        List<String> kernelCatalogs,
        List<String> insecureRegistries,
        List<String> imageCatalogs,
        int rpcMaxRequestMib,
        int rpcWriteTimeoutSeconds,
        Limits limits,
        Networking networking,
        long defaultRootDiskBytes,
        IdleStop idleStop) {

    /**
     * Idle stop (docs/configuration.md, "Idle stop"). {@code defaultSeconds}: what a VM created without
     * {@code --idle-stop} gets (0: off, the default). {@code cpuPercent}: the VMM's CPU use (percent of
     * one host CPU, averaged over a poll) at or above which the VM counts as busy. {@code poll}: how often
     * the poller looks (BANGER_IDLE_POLL_SECONDS overrides it, for tests).
     */
    public record IdleStop(long defaultSeconds, double cpuPercent, java.time.Duration poll) {
        public IdleStop {
            if (cpuPercent <= 0) throw new IllegalArgumentException("idle_cpu_percent must be positive, got " + cpuPercent);
            if (poll.isNegative() || poll.isZero()) throw new IllegalArgumentException("idle_poll_seconds must be at least 1");
        }
    }

    /**
     * How new VMs are attached (docs/configuration.md, "Networking"). {@code mode}: {@code rootless}
     * (QEMU user networking; the default) or {@code bridged} (a tap on banger's bridge through the root
     * helper at {@code helperSocket}, or, when bangerd is root and no helper answers there, the same
     * operations in process on {@code bridge} with {@code bridgeSubnet}).
     */
    public record Networking(String mode, Path helperSocket, String bridge, String bridgeSubnet) {
        public static final String ROOTLESS = "rootless";
        public static final String BRIDGED = "bridged";

        public Networking {
            if (!mode.equals(ROOTLESS) && !mode.equals(BRIDGED)) {
                throw new IllegalArgumentException("network must be rootless or bridged, got " + mode);
            }
            if (!helperSocket.isAbsolute()) {
                throw new IllegalArgumentException("helper_socket must be an absolute path, got " + helperSocket);
            }
        }

        public boolean bridged() {
            return mode.equals(BRIDGED);
        }
    }

    /** Bounds on what guests and images can make bangerd store (docs/configuration.md, "Limits"). */
    public record Limits(int consoleLogMaxMib, long imageMaxEntries, long imageMaxContentGib, long blobCacheMaxGib) {
        public Limits {
            if (consoleLogMaxMib < 1) throw new IllegalArgumentException("console_log_max_mib must be at least 1, got " + consoleLogMaxMib);
            if (imageMaxEntries < 1) throw new IllegalArgumentException("image_max_entries must be at least 1, got " + imageMaxEntries);
            if (imageMaxContentGib < 1) throw new IllegalArgumentException("image_max_content_gib must be at least 1, got " + imageMaxContentGib);
            if (blobCacheMaxGib < 0) throw new IllegalArgumentException("blob_cache_max_gib must not be negative, got " + blobCacheMaxGib);
        }
    }

    public DaemonConfig {
        if (rpcMaxRequestMib < 1 || rpcMaxRequestMib > 1024) {
            throw new IllegalArgumentException("rpc_max_request_mib must be between 1 and 1024, got " + rpcMaxRequestMib);
        }
        if (rpcWriteTimeoutSeconds < 1) {
            throw new IllegalArgumentException("rpc_write_timeout_seconds must be at least 1, got " + rpcWriteTimeoutSeconds);
        }
        if (!subnet.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.0/24")) {
            throw new IllegalArgumentException("subnet must be an IPv4 /24 like 172.30.0.0/24, got " + subnet);
        }
        if (defaultRootDiskBytes < (16L << 20)) {
            throw new IllegalArgumentException("default_root_size must be at least 16M, got " + defaultRootDiskBytes + " bytes");
        }
        if (!accel.equals("auto") && !accel.equals("kvm") && !accel.equals("tcg")) {
            throw new IllegalArgumentException("accel must be auto, kvm or tcg, got " + accel);
        }
    }

    /** The file's shape; absent keys fall back to defaults. */
    record FileSettings(String defaultImage, String defaultKernel, String kernelPackage, String debianSuite,
                        String debianMirror, String qemuBinary, String accel, Integer defaultVcpu,
                        Integer defaultMemoryMib, Integer stopTimeoutSeconds, Integer agentReadyTimeoutSeconds,
                        String subnet, String agentBinary, List<String> kernelCatalogs,
                        List<String> insecureRegistries,
        List<String> imageCatalogs, Integer rpcMaxRequestMib, Integer rpcWriteTimeoutSeconds,
                        Integer consoleLogMaxMib, Long imageMaxEntries, Long imageMaxContentGib, Long blobCacheMaxGib,
                        String network, String helperSocket, String bridgeName, String bridgeSubnet,
                        String defaultRootSize, String idleStop, Double idleCpuPercent, Integer idlePollSeconds) { }

    public static DaemonConfig load(Path file, Map<String, String> env) throws IOException {
        FileSettings f = new FileSettings(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        if (Files.exists(file)) {
            TomlMapper mapper = TomlMapper.builder()
                    .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .build();
            try {
                f = mapper.readValue(file.toFile(), FileSettings.class);
            } catch (IOException e) {
                throw new IOException("bad config " + file + ": " + e.getMessage().lines().findFirst().orElse(""), e);
            }
        }
        String agent = firstNonBlank(env.get("BANGER_AGENT_BIN"), f.agentBinary(), System.getProperty("banger.agentBinary"),
                "/usr/lib/banger/banger-agent");
        return new DaemonConfig(
                or(f.defaultImage(), "debian"),
                or(f.defaultKernel(), "debian-cloud"),
                or(f.kernelPackage(), "linux-image-cloud-amd64"),
                or(f.debianSuite(), "bookworm"),
                or(f.debianMirror(), "http://deb.debian.org/debian"),
                firstNonBlank(env.get("BANGER_QEMU"), f.qemuBinary(), "qemu-system-x86_64"),
                firstNonBlank(env.get("BANGER_ACCEL"), f.accel(), "auto"),
                or(f.defaultVcpu(), 1),
                or(f.defaultMemoryMib(), 512),
                or(f.stopTimeoutSeconds(), 10),
                or(f.agentReadyTimeoutSeconds(), 120),
                or(f.subnet(), "172.30.0.0/24"),
                Path.of(agent),
                Path.of("/bin/busybox"),
                List.copyOf(or(f.kernelCatalogs(), List.<String>of())),
                List.copyOf(or(f.insecureRegistries(), List.<String>of())),
                List.copyOf(or(f.imageCatalogs(), List.<String>of())),
                or(f.rpcMaxRequestMib(), 16),
                or(f.rpcWriteTimeoutSeconds(), 30),
                new Limits(or(f.consoleLogMaxMib(), 8), or(f.imageMaxEntries(), 2_000_000L),
                        or(f.imageMaxContentGib(), 64L), or(f.blobCacheMaxGib(), 10L)),
                new Networking(firstNonBlank(env.get("BANGER_NETWORK"), f.network(), Networking.ROOTLESS),
                        Path.of(firstNonBlank(env.get("BANGER_HELPER_SOCKET"), f.helperSocket(), "/run/banger/helper.sock")),
                        or(f.bridgeName(), "bgr0"), or(f.bridgeSubnet(), "10.77.0.0/24")),
                rootSize(f.defaultRootSize()),
                new IdleStop(idleStop(f.idleStop()), or(f.idleCpuPercent(), 10.0),
                        java.time.Duration.ofSeconds(env.get("BANGER_IDLE_POLL_SECONDS") != null
                                ? Integer.parseInt(env.get("BANGER_IDLE_POLL_SECONDS")) : or(f.idlePollSeconds(), 5))));
    }

    /** default_root_size: a size as --root-size takes it ("8G"); absent: 8 GiB. */
    private static long rootSize(String text) {
        if (text == null) return dev.banger.core.model.VmSpec.DEFAULT_ROOT_DISK_BYTES;
        try {
            return dev.banger.core.model.Sizes.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("default_root_size: " + e.getMessage(), e);
        }
    }

    /** idle_stop: a duration as --idle-stop takes it ("30m"); absent or "off": off. */
    private static long idleStop(String text) {
        if (text == null) return 0;
        try {
            return dev.banger.core.model.Durations.parseSeconds(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("idle_stop: " + e.getMessage(), e);
        }
    }

    /** The RPC socket's limits (docs/rpc.md, "Connections"). */
    public dev.banger.daemon.rpc.RpcServer.Limits rpcLimits() {
        return new dev.banger.daemon.rpc.RpcServer.Limits(rpcMaxRequestMib << 20, java.time.Duration.ofSeconds(rpcWriteTimeoutSeconds),
                dev.banger.daemon.rpc.RpcServer.Limits.DEFAULT_PROBE_INTERVAL);
    }

    public String subnetPrefix() {
        return subnet.substring(0, subnet.lastIndexOf('.'));
    }

    public String gateway() {
        return subnetPrefix() + ".1";
    }

    /** QEMU user networking answers DNS on .3 of its network. */
    public String dns() {
        return subnetPrefix() + ".3";
    }

    public int subnetPrefixLength() {
        return 24;
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) if (v != null && !v.isBlank()) return v;
        return null;
    }
}
