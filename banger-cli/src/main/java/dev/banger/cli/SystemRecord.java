package dev.banger.cli;

import java.util.List;

/**
 * {@code /etc/banger/install.json}: what was installed, for whom, from where (docs/system-install.md).
 * Written by {@code system install}, read by {@code system status} and {@code uninstall}.
 */
record SystemRecord(String version, String owner, int ownerUid, int ownerGid, String ownerHome, String prefix,
                    String subnet, String helperSocket, String network, List<String> units) {
    static SystemRecord of(SystemInputs in) {
        SystemOwner o = in.owner();
        return new SystemRecord(in.version(), o.name(), o.uid(), o.gid(), o.home().toString(), in.prefix().toString(), in.subnet(),
                SystemLayout.HELPER_SOCKET.toString(), "bridged",
                SystemLayout.UNITS.stream().map(u -> SystemLayout.UNIT_DIR.resolve(u).toString()).toList());
    }
}
