package dev.banger.daemon.doctor;

import java.util.List;

/** nft, which bridged networking's NAT and port forwards are built on (the root helper's `inet banger` table). */
final class NftablesCheck implements Check {
    private final Networking net;

    NftablesCheck(Networking net) {
        this.net = net;
    }

    @Override
    public String name() {
        return "nftables";
    }

    @Override
    public Finding run(HostProbe host) {
        var nft = host.tool("nft");
        if (nft.isEmpty()) {
            String summary = "nft not found: bridged networking's NAT needs it" + (net.bridged() ? "" : " (" + net.name() + " does not)");
            return net.bridged() ? Finding.fail(summary, null, "sudo apt-get install nftables")
                    : Finding.warn(summary, null, "sudo apt-get install nftables");
        }
        HostProbe.Output v = host.run(List.of("nft", "--version"));
        return Finding.ok("present: " + (v.ok() ? VmmDriverCheck.firstLine(v.stdout()) : "nft"), nft.get().toString());
    }
}
