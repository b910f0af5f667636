package dev.banger.roothelper.dns;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.xbill.DNS.config.ResolvConfResolverConfigProvider;

/**
 * The upstream resolvers: the {@code nameserver} lines of a resolv.conf, parsed by dnsjava's own
 * resolv.conf reader (subclassed only to read a given path instead of the fixed /etc/resolv.conf).
 */
public final class ResolvConf extends ResolvConfResolverConfigProvider {
    private ResolvConf() { }

    /**
     * The nameservers of {@code file}, without {@code self} (the bridge address: forwarding to
     * ourselves would loop). A missing file means no upstream.
     */
    public static List<InetSocketAddress> upstreams(Path file, InetAddress self) throws IOException {
        ResolvConf conf = new ResolvConf();
        try (InputStream in = Files.newInputStream(file)) {
            conf.parseResolvConf(in);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return conf.servers().stream().filter(s -> !s.getAddress().equals(self)).toList();
    }
}
