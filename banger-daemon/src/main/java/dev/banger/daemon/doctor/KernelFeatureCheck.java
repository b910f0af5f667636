package dev.banger.daemon.doctor;

import dev.banger.core.api.DoctorStatus;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One kernel facility (tun, bridge, veth, loop, vhost-vsock, device-mapper): there when its device
 * node exists, its module is loaded (/sys/module), or the running kernel's config builds it in.
 * A module that is built but not loaded is a warning with its modprobe.
 */
final class KernelFeatureCheck implements Check {
    /**
     * What the facility is for: its name, device node (null: none), module, config symbol, what
     * banger loses without it, and how absent it weighs (warn: banger works with less).
     */
    record Feature(String name, String device, String module, String configSymbol, String usedFor, String withoutIt,
                   DoctorStatus absent) { }

    private final Feature f;

    KernelFeatureCheck(Feature feature) {
        this.f = feature;
    }

    @Override
    public String name() {
        return f.name();
    }

    @Override
    public Finding run(HostProbe host) {
        boolean device = f.device() != null && host.exists(Path.of(f.device()));
        boolean loaded = host.exists(Path.of("/sys/module", f.module()));
        Optional<String> kernelConfig = host.kernelConfig();
        Optional<String> config = kernelConfig.flatMap(c -> configValue(c, f.configSymbol()));
        String facts = (f.device() == null ? "" : f.device() + (device ? " present" : " missing") + "; ")
                + "/sys/module/" + f.module() + (loaded ? " present" : " absent") + "; CONFIG_" + f.configSymbol()
                + (config.isPresent() ? "=" + config.get() : kernelConfig.isPresent() ? " not set" : ": no kernel config readable");
        if (device || loaded || config.filter("y"::equals).isPresent()) {
            return Finding.ok("available: " + f.usedFor(), facts);
        }
        String modprobe = "sudo modprobe " + f.module();
        if (config.filter("m"::equals).isPresent()) {
            return Finding.warn("built as a module but not loaded: " + f.withoutIt(), facts, modprobe);
        }
        return new Finding(f.absent(), "not available in this kernel: " + f.withoutIt(), facts,
                kernelConfig.isPresent()
                        ? "boot a kernel built with CONFIG_" + f.configSymbol() + "=m, then " + modprobe : modprobe);
    }

    /** CONFIG_X's value (y, m) from a kernel config; empty when it is not set. */
    static Optional<String> configValue(String config, String symbol) {
        Matcher m = Pattern.compile("(?m)^CONFIG_" + Pattern.quote(symbol) + "=(\\S+)$").matcher(config);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
