package dev.banger.roothelper.ops;

import dev.banger.roothelper.api.BridgeInfo;
import dev.banger.roothelper.api.ErrorCode;
import dev.banger.roothelper.api.HelperException;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.api.TapDeleted;
import dev.banger.roothelper.api.TapInfo;
import dev.banger.roothelper.api.VmIds;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The bridge and the taps, as root (part of {@link LocalRootOperations}). Every device name comes from
 * the configuration or is derived from a validated VM id. One lock serializes them, so the port
 * count and "does this tap exist" checks hold while the change is made.
 */
public final class NetworkOperations {
    private final HelperConfig config;
    private final Ip ip;
    private final Serialized serialized = new Serialized();

    public NetworkOperations(HelperConfig config, HostCommands commands) {
        this.config = config;
        this.ip = new Ip(commands);
    }

    public BridgeInfo ensureBridge() {
        return serialized.run(() -> {
            refuseForeignUsersOfSubnet();
            String mac = BridgeMac.of(config.bridge());
            Optional<Ip.Link> existing = ip.link(config.bridge());
            if (existing.isEmpty()) {
                ip.change("ip", "link", "add", "name", config.bridge(), "address", mac, "type", "bridge");
            } else if (!existing.get().isBridge()) {
                throw new HelperException(ErrorCode.CONFLICT, "interface " + config.bridge()
                        + " exists and is not a bridge (it is " + describeKind(existing.get()) + "); remove it or configure another bridge name");
            } else if (!existing.get().mac().equalsIgnoreCase(mac)) {
                ip.change("ip", "link", "set", "dev", config.bridge(), "address", mac);
            }
            String address = config.gateway() + "/" + config.subnet().length();
            boolean hasAddress = ip.ipv4Addresses().stream()
                    .anyMatch(a -> a.interfaceName().equals(config.bridge()) && a.local().equals(config.gateway()));
            if (!hasAddress) {
                ip.change("ip", "addr", "add", address, "dev", config.bridge());
            }
            if (existing.isEmpty() || !existing.get().up()) {
                ip.change("ip", "link", "set", "dev", config.bridge(), "up");
            }
            return new BridgeInfo(config.bridge(), config.subnet().toString(), config.gateway(), mac);
        });
    }

    /** The subnet must be banger's alone: no other interface's address and no route of someone else in it. */
    private void refuseForeignUsersOfSubnet() {
        String change = "; remove it or choose another subnet (config key " + HelperConfig.SUBNET_CONFIG_KEY + ", the helper's --subnet)";
        for (Ip.Address address : ip.ipv4Addresses()) {
            if (!address.interfaceName().equals(config.bridge()) && address.network().overlaps(config.subnet())) {
                throw new HelperException(ErrorCode.CONFLICT, "interface " + address.interfaceName() + " already holds "
                        + address.local() + "/" + address.network().length() + ", on the bridge subnet " + config.subnet() + change);
            }
        }
        for (Ip.Route route : ip.ipv4Routes()) {
            if (!route.device().equals(config.bridge()) && route.prefix().overlaps(config.subnet())) {
                throw new HelperException(ErrorCode.CONFLICT, "route " + route.destination()
                        + (route.device().isEmpty() ? "" : " (dev " + route.device() + ")")
                        + " overlaps the bridge subnet " + config.subnet() + change);
            }
        }
    }

    public TapInfo createTap(String vmId) {
        VmIds.require(vmId);
        String name = TapNames.forVm(vmId);
        return serialized.run(() -> {
            List<Ip.Link> links = ip.links();
            Ip.Link bridge = links.stream().filter(l -> l.name().equals(config.bridge()) && l.isBridge()).findFirst()
                    .orElseThrow(() -> new HelperException(ErrorCode.NO_BRIDGE, "bridge " + config.bridge() + " does not exist: ensure_bridge first"));
            Optional<Ip.Link> existing = links.stream().filter(l -> l.name().equals(name)).findFirst();
            if (existing.isPresent()) {
                return adopt(vmId, existing.get());
            }
            long ports = links.stream().filter(l -> bridge.name().equals(l.master())).count();
            if (ports >= config.maxPorts()) {
                throw new HelperException(ErrorCode.LIMIT, "bridge " + config.bridge() + " already has " + ports
                        + " ports (the limit is " + config.maxPorts() + "); remove stopped VMs or reconcile leaked taps");
            }
            // No multi_queue: QEMU opens it single-queue, and a mismatch is EINVAL at open.
            ip.change("ip", "tuntap", "add", "dev", name, "mode", "tap", "user", Integer.toString(config.ownerUid()));
            try {
                attach(vmId, name);
            } catch (HelperException e) {
                deleteQuietly(name, e);
                throw e;
            }
            return new TapInfo(vmId, name, config.bridge());
        });
    }

    /** A tap that already has this VM's name: ours from an earlier call (finish it) or another VM's (refuse). */
    private TapInfo adopt(String vmId, Ip.Link tap) {
        Optional<String> owner = TapNames.vmOfAlias(tap.alias());
        if (!tap.isTap() || !isOwner(tap.tapOwner()) || owner.isPresent() && !owner.get().equals(vmId)) {
            throw new HelperException(ErrorCode.CONFLICT, "interface " + tap.name() + " exists and is not this VM's tap ("
                    + describeKind(tap) + owner.map(id -> ", VM " + id).orElse("") + ")");
        }
        if (owner.isEmpty() || !config.bridge().equals(tap.master()) || !tap.up()) {
            attach(vmId, tap.name());
        }
        return new TapInfo(vmId, tap.name(), config.bridge());
    }

    private void attach(String vmId, String name) {
        ip.change("ip", "link", "set", "dev", name, "alias", TapNames.alias(vmId), "master", config.bridge(), "up");
    }

    private void deleteQuietly(String name, HelperException cause) {
        try {
            ip.change("ip", "link", "del", "dev", name);
        } catch (HelperException e) {
            cause.addSuppressed(e);
        }
    }

    public TapDeleted deleteTap(String vmId) {
        VmIds.require(vmId);
        String name = TapNames.forVm(vmId);
        return serialized.run(() -> {
            Optional<Ip.Link> existing = ip.link(name);
            if (existing.isEmpty()) {
                return new TapDeleted(vmId, name, false);
            }
            Optional<String> owner = TapNames.vmOfAlias(existing.get().alias());
            if (!existing.get().isTap() || owner.isPresent() && !owner.get().equals(vmId)) {
                throw new HelperException(ErrorCode.CONFLICT, "interface " + name + " is not this VM's tap ("
                        + describeKind(existing.get()) + owner.map(id -> ", VM " + id).orElse("") + "); left alone");
            }
            ip.change("ip", "link", "del", "dev", name);
            return new TapDeleted(vmId, name, true);
        });
    }

    public ReconcileResult reconcileTaps(List<String> liveVmIds) {
        liveVmIds.forEach(VmIds::require);
        Set<String> live = new HashSet<>(liveVmIds);
        Set<String> liveNames = new HashSet<>();
        liveVmIds.forEach(id -> liveNames.add(TapNames.forVm(id)));
        return serialized.run(() -> {
            List<String> deleted = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            for (Ip.Link link : ip.links()) {
                if (!link.isTap() || !TapNames.isBangerTap(link.name())) {
                    continue;
                }
                Optional<String> owner = TapNames.vmOfAlias(link.alias());
                // A tap with no alias yet (a crash between add and attach) belongs to whichever live VM has its name.
                boolean keep = owner.map(live::contains).orElseGet(() -> liveNames.contains(link.name()));
                if (keep) {
                    continue;
                }
                try {
                    ip.change("ip", "link", "del", "dev", link.name());
                    deleted.add(link.name());
                } catch (HelperException e) {
                    errors.add(e.getMessage());
                }
            }
            return new ReconcileResult(deleted, errors);
        });
    }

    /** Every banger tap, then the bridge itself; an interface of the bridge's name that is not a bridge is left alone. */
    public ReconcileResult removeBridge() {
        ReconcileResult taps = reconcileTaps(List.of());
        return serialized.run(() -> {
            List<String> deleted = new ArrayList<>(taps.deleted());
            List<String> errors = new ArrayList<>(taps.errors());
            Optional<Ip.Link> bridge = ip.link(config.bridge());
            if (bridge.isPresent() && !bridge.get().isBridge()) {
                errors.add("interface " + config.bridge() + " is not a bridge (it is " + describeKind(bridge.get()) + "); left alone");
            } else if (bridge.isPresent()) {
                try {
                    ip.change("ip", "link", "del", "dev", config.bridge());
                    deleted.add("bridge " + config.bridge());
                } catch (HelperException e) {
                    errors.add(e.getMessage());
                }
            }
            return new ReconcileResult(deleted, errors);
        });
    }

    /** ip prints a tap's owner by name when the uid has one: compare as the kernel would, by uid. */
    private boolean isOwner(String tapOwner) {
        if (tapOwner == null) {
            return false;
        }
        if (tapOwner.matches("[0-9]+")) {
            return Integer.parseInt(tapOwner) == config.ownerUid();
        }
        try {
            UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
            return users.lookupPrincipalByName(tapOwner).equals(users.lookupPrincipalByName(Integer.toString(config.ownerUid())));
        } catch (IOException e) {
            return false;
        }
    }


    private static String describeKind(Ip.Link link) {
        return link.kind().isEmpty() ? "a device of no kind" : "a " + link.kind() + " device";
    }
}
