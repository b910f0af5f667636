package dev.banger.daemon.boot;

import java.nio.charset.StandardCharsets;

/** Renders /banger/vm.conf: KEY=value lines that init.sh sources (values are validated by GuestBootConfig). */
final class VmConf {
    private VmConf() { }

    static byte[] render(GuestBootConfig c) {
        String s = "HOSTNAME=" + c.hostname() + "\n"
                + "IP=" + c.guestIp() + "\n"
                + "PREFIX=" + c.prefixLength() + "\n"
                + "GATEWAY=" + c.gateway() + "\n"
                + "DNS=" + c.dns() + "\n"
                + "HOME=" + c.homeDir() + "\n"
                + "WORK=" + (c.hasWorkDisk() ? "1" : "0") + "\n";
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
