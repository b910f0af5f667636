package dev.banger.daemon.kernel;

import dev.banger.daemon.host.HostCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/** Reads a .deb's control fields with dpkg-deb. */
final class DebPackage {
    static final Pattern PACKAGE_NAME = Pattern.compile("[a-z0-9][a-z0-9+.-]{1,99}");

    private final Duration toolTimeout;

    DebPackage(Duration toolTimeout) {
        this.toolTimeout = toolTimeout;
    }

    record Control(String pkg, String version, String arch, String depends) { }

    Control control(Path deb) throws IOException, InterruptedException {
        String out = HostCommand.of(List.of("dpkg-deb", "-f", deb.toString(), "Package", "Version", "Architecture", "Depends"), toolTimeout).run().stdout();
        String pkg = "", version = "", arch = "", depends = "";
        for (String line : out.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String v = line.substring(colon + 1).strip();
            switch (line.substring(0, colon)) {
                case "Package" -> pkg = v;
                case "Version" -> version = v;
                case "Architecture" -> arch = v;
                case "Depends" -> depends = v;
                default -> { }
            }
        }
        if (pkg.isEmpty()) {
            throw new IOException(deb + " is not a Debian package (no Package field)");
        }
        return new Control(pkg, version, arch, depends);
    }

    boolean shipsKernel(Path deb) throws IOException, InterruptedException {
        String listing = HostCommand.of(List.of("dpkg-deb", "-c", deb.toString()), toolTimeout).run().stdout();
        return listing.contains("./boot/vmlinuz-");
    }

    /** First linux-image-* dependency of a metapackage, without its version constraint. */
    static String kernelDependency(String depends) {
        for (String clause : depends.split(",")) {
            for (String alt : clause.split("\\|")) {
                String name = alt.strip().split("[\\s(:]", 2)[0];
                if (name.startsWith("linux-image-") && PACKAGE_NAME.matcher(name).matches()) {
                    return name;
                }
            }
        }
        return null;
    }
}
