package dev.banger.cli;

import dev.banger.cli.Output.Field;
import dev.banger.core.api.KernelInfo;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.Durations;
import dev.banger.core.model.ImageRunConfig;
import dev.banger.core.model.Sizes;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code vm show}, {@code image show} and {@code kernel show} print for people: the fields one
 * looks for, sizes in binary units, times in UTC to the second. --json stays the full RPC record.
 */
final class Summaries {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private Summaries() { }

    /** A VM; {@code image} is its image record when the daemon still has it (it names the image and its kernel), else null. */
    static List<Field> vm(VmRecord vm, ImageRecord image) {
        VmRuntime rt = vm.runtime() == null ? emptyRuntime() : vm.runtime();
        List<Field> f = new ArrayList<>();
        f.add(new Field("name", vm.name()));
        f.add(new Field("id", vm.id()));
        f.add(new Field("state", vm.state().wire()));
        f.add(new Field("image", image == null ? vm.imageId() : image.name() + " (" + image.id() + ")"));
        f.add(new Field("kernel", image == null ? null : image.kernelRef()));
        f.add(new Field("vcpu", Integer.toString(vm.spec().vcpu())));
        f.add(new Field("memory", Sizes.human((long) vm.spec().memoryMib() << 20)));
        f.add(new Field("root disk", vm.spec().rootDiskBytes() == 0 && image != null
                ? Sizes.human(image.sizeBytes()) + " (the image's size)" : rootSize(vm)));
        f.add(new Field("work disk", Sizes.human(vm.spec().workDiskBytes())));
        f.add(new Field("guest ip", rt.guestIp()));
        f.add(new Field("network", rt.bridged()
                ? "bridge" + (rt.tap() == null ? "" : ", tap " + rt.tap()) + (vm.spec().nat() ? ", nat" : ", no nat")
                : "user (rootless)"));
        f.add(new Field("dns name", rt.bridged() ? rt.dnsName() : null));
        VmCommand.SshTarget ssh = VmCommand.SshTarget.of(vm);
        f.add(new Field("ssh", ssh == null ? null : ssh.toString()));
        f.add(new Field("ports", vm.spec().portForwards().isEmpty() ? null
                : String.join(", ", vm.spec().portForwards().stream().map(Object::toString).toList())));
        f.add(new Field("vmm", rt.vmm() == null ? null : rt.vmm() + (rt.accel() == null ? "" : " (" + rt.accel() + ")")
                + (rt.pid() == null ? "" : ", pid " + rt.pid())));
        f.add(new Field("idle stop", idleStop(vm)));
        f.add(new Field("started", rt.startedAt() == null ? null : time(rt.startedAt())));
        f.add(new Field("created", time(vm.createdAt())));
        f.add(new Field("updated", time(vm.updatedAt())));
        f.add(new Field("last error", rt.lastError()));
        f.add(new Field("console log", rt.consoleLog()));
        f.add(new Field("vm dir", rt.vmDir()));
        return f;
    }

    /** Null (the line left out) when off; "20s", or "20s (stops at ... if idle until then)" for a running VM the poller has seen. */
    static String idleStop(VmRecord vm) {
        long seconds = vm.spec().idleStopSeconds();
        if (seconds <= 0) return null;
        String at = vm.runtime() == null ? null : vm.runtime().idleStopAt();
        return Durations.format(seconds) + (at == null ? "" : " (stops at " + time(at) + " if idle until then)");
    }

    /** A VM from before root sizes existed has none recorded: its root disk is its image's size. */
    static String rootSize(VmRecord vm) {
        return vm.spec().rootDiskBytes() == 0 ? "the image's size" : Sizes.human(vm.spec().rootDiskBytes());
    }

    static List<Field> image(ImageRecord image) {
        ImageRunConfig c = image.config();
        List<Field> f = new ArrayList<>();
        f.add(new Field("name", image.name()));
        f.add(new Field("id", image.id()));
        f.add(new Field("kernel", image.kernelRef()));
        f.add(new Field("source", image.source()));
        f.add(new Field("size", Sizes.human(image.sizeBytes())));
        f.add(new Field("created", time(image.createdAt())));
        f.add(new Field("entrypoint", words(c.entrypoint())));
        f.add(new Field("cmd", words(c.cmd())));
        f.add(new Field("working dir", c.workingDir()));
        f.add(new Field("user", c.user()));
        f.add(new Field("env", words(c.env())));
        f.add(new Field("rootfs", image.rootfsPath()));
        return f;
    }

    static List<Field> kernel(KernelInfo k) {
        List<Field> f = new ArrayList<>();
        f.add(new Field("name", k.name()));
        f.add(new Field("version", k.kernelVersion()));
        f.add(new Field("distro", k.distro()));
        f.add(new Field("arch", k.arch()));
        f.add(new Field("source", k.source()));
        f.add(new Field("imported", k.importedAt() == null ? null : time(k.importedAt())));
        f.add(new Field("sha256", k.sha256()));
        f.add(new Field("vmlinux", k.vmlinux()));
        f.add(new Field("initrd", k.initrd()));
        f.add(new Field("modules", k.modules()));
        return f;
    }

    private static String time(Instant t) {
        return t == null ? null : TIME.format(t);
    }

    /** The runtime's started_at is an ISO instant in a string; shown like every other time, or as sent if it is not one. */
    private static String time(String iso) {
        try {
            return time(Instant.parse(iso));
        } catch (java.time.format.DateTimeParseException e) {
            return iso;
        }
    }

    /** An argv as one line, each word that needs it in quotes so the boundaries stay visible. */
    private static String words(List<String> argv) {
        if (argv == null || argv.isEmpty()) return null;
        return String.join(" ", argv.stream().map(w -> w.isEmpty() || w.matches(".*[\\s\"'].*") ? '"' + w.replace("\"", "\\\"") + '"' : w).toList());
    }

    private static VmRuntime emptyRuntime() {
        return new VmRuntime(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }
}
