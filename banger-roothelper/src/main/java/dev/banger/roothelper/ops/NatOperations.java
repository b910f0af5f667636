package dev.banger.roothelper.ops;

import dev.banger.roothelper.api.ErrorCode;
import dev.banger.roothelper.api.HelperException;
import dev.banger.roothelper.api.Ipv4Text;
import dev.banger.roothelper.api.NatDisabled;
import dev.banger.roothelper.api.NatInfo;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.api.VmIds;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Per-VM NAT in banger's own nftables table ({@code inet banger}), as root (part of {@link LocalRootOperations}).
 *
 * <p>The rules are fixed and per bridge; which VMs get out is the set {@code nat_vms}, one element per
 * VM carrying {@code comment "vm <id>"}. Enable and disable add or delete an element, so cleanup rewrites
 * a set and never looks for rule handles. Every change to the table is one {@code nft -f -} batch. One
 * lock serializes the operations, so the "who holds this IP" check holds while the change is made.
 */
public final class NatOperations {
    private final HelperConfig config;
    private final HostCommands commands;
    private final Nft nft;
    private final ForeignAccepts foreign;
    private final Serialized serialized = new Serialized();

    public NatOperations(HelperConfig config, HostCommands commands) {
        this.config = config;
        this.commands = commands;
        this.nft = new Nft(commands);
        this.foreign = new ForeignAccepts(commands, nft, config.bridge());
    }

    public NatInfo enableNat(String vmId, String guestIp) {
        VmIds.require(vmId);
        requireGuestAddress(guestIp);
        return serialized.run(() -> {
            NftRuleset ruleset = nft.ruleset();
            Optional<NftRuleset.Element> holder = ruleset.elementWithIp(guestIp);
            if (holder.isPresent() && !holder.get().vmId().equals(Optional.of(vmId))) {
                throw new HelperException(ErrorCode.CONFLICT, guestIp + " already has NAT for vm " + holder.get().vmId().orElse("(unknown)")
                        + "; disable_nat that VM, or reconcile if it is gone");
            }
            List<String> notes = new ArrayList<>();
            StringBuilder batch = new StringBuilder(structure());
            // One IP per VM: an older address of this VM (its store changed) is replaced in the same batch.
            for (NftRuleset.Element old : ruleset.elementsOf(vmId)) {
                if (!old.ip().equals(guestIp)) {
                    batch.append("delete element inet banger nat_vms { ").append(old.ip()).append(" }\n");
                    notes.add("replaced this VM's earlier NAT address " + old.ip());
                }
            }
            if (holder.isEmpty()) {
                batch.append("add element inet banger nat_vms { ").append(guestIp).append(" comment \"")
                        .append(NftRuleset.Element.comment(vmId)).append("\" }\n");
            }
            nft.apply(batch.toString());
            enableForwarding().ifPresent(notes::add);
            for (NftRuleset.ForwardDrop drop : ruleset.forwardDrops()) {
                notes.add(foreign.ensure(ruleset, drop));
            }
            legacyForwardDrop().ifPresent(notes::add);
            return new NatInfo(vmId, guestIp, notes);
        });
    }

    public NatDisabled disableNat(String vmId) {
        VmIds.require(vmId);
        return serialized.run(() -> {
            NftRuleset ruleset = nft.ruleset();
            List<NftRuleset.Element> mine = ruleset.elementsOf(vmId);
            if (!mine.isEmpty()) {
                nft.apply(deleteElements(mine));
            }
            // The accepts in other tables stay while the bridge has VMs: they carry VM-to-VM traffic too.
            return new NatDisabled(vmId, !mine.isEmpty());
        });
    }

    /**
     * Writes the table's structure (so a VM without NAT is dropped from the start, also on a host that
     * forwards already) and deletes the element of every VM not in {@code liveVmIds}; with no NAT VM
     * left, the accepts in other tables go too.
     */
    public ReconcileResult reconcile(List<String> liveVmIds) {
        liveVmIds.forEach(VmIds::require);
        Set<String> live = new HashSet<>(liveVmIds);
        return serialized.run(() -> {
            NftRuleset ruleset = nft.ruleset();
            List<NftRuleset.Element> dead = ruleset.elements().stream().filter(e -> e.vmId().map(id -> !live.contains(id)).orElse(true)).toList();
            nft.apply(structure() + (dead.isEmpty() ? "" : deleteElements(dead)));
            List<String> deleted = new ArrayList<>(dead.stream().map(NftRuleset.Element::describe).toList());
            List<String> errors = new ArrayList<>();
            if (live.isEmpty()) {
                try {
                    deleted.addAll(foreign.removeAll(ruleset));
                } catch (HelperException e) {
                    errors.add(e.getMessage());
                }
            }
            return new ReconcileResult(deleted, errors);
        });
    }

    /**
     * Every VM's element and the accepts in other tables go (a reconcile with no live VM), then the table
     * {@code inet banger} itself. {@code net.ipv4.ip_forward} stays as it is: other software may rely on it.
     */
    public ReconcileResult removeTable() {
        ReconcileResult r = reconcile(List.of());
        return serialized.run(() -> {
            List<String> deleted = new ArrayList<>(r.deleted());
            List<String> errors = new ArrayList<>(r.errors());
            try {
                // reconcile has just written the structure, so the table exists here.
                nft.apply("delete table inet banger\n");
                deleted.add("nft table inet banger");
            } catch (HelperException e) {
                errors.add(e.getMessage());
            }
            return new ReconcileResult(deleted, errors);
        });
    }

    /**
     * The table's structure, elements untouched, and the accepts in any other table whose forward
     * policy is drop: called with every ensure_bridge, so a VM without NAT is dropped at the bridge
     * from the first start, and VMs reach each other on a host whose forward policy is drop (Docker's).
     */
    public List<String> ensureStructure() {
        return serialized.run(() -> {
            nft.apply(structure());
            List<String> notes = new ArrayList<>();
            NftRuleset ruleset = nft.ruleset();
            for (NftRuleset.ForwardDrop drop : ruleset.forwardDrops()) notes.add(foreign.ensure(ruleset, drop));
            return notes;
        });
    }

    /**
     * The table, the set and the two chains, re-written on every change: {@code add} leaves an existing
     * object alone and each chain is flushed and refilled in the same transaction, so the rules are
     * always exactly these and never duplicated, with no moment without them.
     */
    private String structure() {
        String bridge = "\"" + config.bridge() + "\"";
        return """
                add table inet banger
                add set inet banger nat_vms { type ipv4_addr; }
                add chain inet banger postrouting { type nat hook postrouting priority srcnat; policy accept; }
                add chain inet banger forward { type filter hook forward priority filter; policy accept; }
                flush chain inet banger postrouting
                flush chain inet banger forward
                add rule inet banger postrouting ip saddr @nat_vms oifname != BRIDGE masquerade
                add rule inet banger forward iifname BRIDGE oifname != BRIDGE ip saddr @nat_vms accept
                add rule inet banger forward oifname BRIDGE ct state established,related accept
                add rule inet banger forward iifname BRIDGE oifname != BRIDGE drop
                """.replace("BRIDGE", bridge);
    }

    private static String deleteElements(List<NftRuleset.Element> elements) {
        StringBuilder batch = new StringBuilder();
        elements.forEach(e -> batch.append("delete element inet banger nat_vms { ").append(e.ip()).append(" }\n"));
        return batch.toString();
    }

    /** A host address of the bridge subnet: not the network, the gateway (.1) or the broadcast address. */
    private void requireGuestAddress(String guestIp) {
        try {
            Ipv4Text.require("guest_ip", guestIp);
        } catch (IllegalArgumentException e) {
            throw new HelperException(ErrorCode.INVALID_REQUEST, e.getMessage());
        }
        int address = Ipv4Prefix.parseAddress(guestIp);
        Ipv4Prefix subnet = config.subnet();
        int host = address - subnet.network();
        if (!subnet.contains(address) || host <= 1 || host >= 255) {
            throw new HelperException(ErrorCode.INVALID_REQUEST, "guest_ip " + guestIp + " must be a guest address of the bridge subnet "
                    + subnet + ": " + subnet.host(2) + " to " + subnet.host(254) + " (" + subnet.host(1) + " is the gateway)");
        }
    }

    /** net.ipv4.ip_forward of the helper's network namespace; a note when it had to be turned on. */
    private Optional<String> enableForwarding() {
        HostCommands.CommandResult current = commands.run(List.of("sysctl", "-n", "net.ipv4.ip_forward"), "");
        if (!current.ok()) {
            throw new HelperException(ErrorCode.FAILED, "sysctl -n net.ipv4.ip_forward: " + current.firstErrorLine());
        }
        if (current.stdout().strip().equals("1")) {
            return Optional.empty();
        }
        HostCommands.CommandResult set = commands.run(List.of("sysctl", "-w", "net.ipv4.ip_forward=1"), "");
        if (!set.ok()) {
            throw new HelperException(ErrorCode.FAILED, "sysctl -w net.ipv4.ip_forward=1: " + set.firstErrorLine());
        }
        return Optional.of("enabled net.ipv4.ip_forward (it was " + current.stdout().strip() + ")");
    }

    /**
     * iptables-legacy rules live in x_tables, which nft neither lists nor changes. iptables-legacy-save
     * dumps only the tables already loaded (it reads /proc/net/ip_tables_names and loads nothing), so
     * this reads without side effects; a FORWARD policy DROP there is named with the commands to fix it.
     */
    private Optional<String> legacyForwardDrop() {
        HostCommands.CommandResult save;
        try {
            save = commands.run(List.of("iptables-legacy-save"), "");
        } catch (UncheckedIOException e) {
            return Optional.empty();
        }
        if (!save.ok() || !LegacyRules.forwardPolicyDrop(save.stdout())) {
            return Optional.empty();
        }
        String bridge = config.bridge();
        return Optional.of("not changed: iptables-legacy's filter FORWARD policy is DROP, which nft cannot see or change, so this VM's "
                + "traffic is dropped there; run: iptables-legacy -I FORWARD -i " + bridge + " -j ACCEPT; "
                + "iptables-legacy -I FORWARD -o " + bridge + " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
    }

}
