package dev.banger.roothelper;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Who is on the other end of a connection, from the kernel (SO_PEERCRED), and whether the helper
 * serves them: only the owner uid it was started with, and root. Java's SO_PEERCRED gives the
 * peer's user and group but not its pid, so the audit log has no pid.
 */
final class PeerCheck {
    record Peer(String uid, boolean served) { }

    private final UserPrincipal owner;
    private final UserPrincipal root;
    private final int ownerUid;

    PeerCheck(int ownerUid) throws IOException {
        UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
        // Looked up by number: the JDK compares principals by uid, whatever their names.
        this.owner = users.lookupPrincipalByName(Integer.toString(ownerUid));
        this.root = users.lookupPrincipalByName("0");
        this.ownerUid = ownerUid;
    }

    Peer check(SocketChannel channel) throws IOException {
        UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        if (peer.user().equals(owner)) {
            return new Peer(Integer.toString(ownerUid), true);
        }
        if (peer.user().equals(root)) {
            return new Peer("0", true);
        }
        // The JDK names the user (or gives the number when the uid has no passwd entry).
        return new Peer(peer.user().getName(), false);
    }
}
