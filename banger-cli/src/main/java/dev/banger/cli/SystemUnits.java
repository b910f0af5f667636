package dev.banger.cli;

import java.util.List;

/**
 * The text of the two units a system install writes (docs/system-install.md says why each line is
 * there). Pure functions of {@link SystemInputs}: the same inputs give the same bytes.
 */
final class SystemUnits {
    private SystemUnits() { }

    private static String header(SystemInputs in) {
        return "# Written by banger system install (banger " + in.version() + "); the next install or uninstall replaces it.\n"
                + "# Why each line is here: " + in.prefix().resolve("docs/system-install.md") + "\n";
    }

    static String bangerd(SystemInputs in) {
        SystemOwner o = in.owner();
        String runtimeDeps = "user-runtime-dir@" + o.uid() + ".service";
        return header(in)
                + "[Unit]\n"
                + "Description=banger daemon of " + o.name() + " (bangerd)\n"
                + "After=network.target " + SystemLayout.HELPER_UNIT + " " + runtimeDeps + "\n"
                + "Wants=" + SystemLayout.HELPER_UNIT + " " + runtimeDeps + "\n"
                + "\n"
                + "[Service]\n"
                + "Type=simple\n"
                + "User=" + o.name() + "\n"
                + "Environment=BANGER_NETWORK=bridged\n"
                + "Environment=BANGER_HELPER_SOCKET=" + SystemLayout.HELPER_SOCKET + "\n"
                + "Environment=XDG_RUNTIME_DIR=" + o.runtimeParent() + "\n"
                + "ExecStart=" + in.bangerd() + "\n"
                + "KillMode=process\n"
                + "Restart=on-failure\n"
                + "RestartSec=2s\n"
                + "UMask=0077\n"
                + "ProtectHome=read-only\n"
                + "ReadWritePaths=" + String.join(" ", List.of(o.stateDir().toString(), o.configDir().toString(), "-" + o.runtimeParent())) + "\n"
                + "\n"
                + "[Install]\n"
                + "WantedBy=multi-user.target\n";
    }

    static String helper(SystemInputs in) {
        SystemOwner o = in.owner();
        List<String> exec = List.of(in.helper().toString(),
                "--socket", SystemLayout.HELPER_SOCKET.toString(),
                "--owner-uid", Integer.toString(o.uid()),
                "--owner-gid", Integer.toString(o.gid()),
                "--audit-log", SystemLayout.AUDIT_LOG.toString(),
                "--subnet", in.subnet(),
                "--state-dir", SystemLayout.HELPER_STATE.toString());
        return header(in)
                + "[Unit]\n"
                + "Description=banger root helper for " + o.name() + " (bridge, taps, NAT, <name>.vm)\n"
                + "After=network.target\n"
                + "\n"
                + "[Service]\n"
                + "Type=simple\n"
                + "ExecStart=" + String.join(" ", exec) + "\n"
                + "Restart=on-failure\n"
                + "RestartSec=2s\n"
                + "UMask=0077\n"
                + "RuntimeDirectory=banger\n"
                + "RuntimeDirectoryMode=0755\n"
                + "StateDirectory=banger-roothelper\n"
                + "StateDirectoryMode=0700\n"
                + "LogsDirectory=banger\n"
                + "LogsDirectoryMode=0700\n"
                + "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_CHOWN\n"
                + "NoNewPrivileges=yes\n"
                + "ProtectSystem=strict\n"
                + "ReadWritePaths=-/etc/hosts\n"
                + "ProtectHome=yes\n"
                + "PrivateTmp=yes\n"
                + "DevicePolicy=closed\n"
                + "DeviceAllow=/dev/net/tun rw\n"
                + "RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6\n"
                + "SystemCallFilter=@system-service\n"
                + "SystemCallArchitectures=native\n"
                + "ProtectKernelModules=yes\n"
                + "ProtectControlGroups=yes\n"
                + "ProtectClock=yes\n"
                + "ProtectHostname=yes\n"
                + "RestrictNamespaces=yes\n"
                + "RestrictRealtime=yes\n"
                + "RestrictSUIDSGID=yes\n"
                + "LockPersonality=yes\n"
                + "\n"
                + "[Install]\n"
                + "WantedBy=multi-user.target\n";
    }
}
