package dev.banger.roothelper.dns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xbill.DNS.Message;
import org.xbill.DNS.SimpleResolver;

/**
 * Forwards a query that is not a {@code .vm} name to the upstream resolvers, one after the other,
 * within one deadline shared between them (a dead first upstream must not eat the whole budget).
 */
public final class Upstreams {
    private final List<InetSocketAddress> servers;
    private final Duration deadline;

    public Upstreams(List<InetSocketAddress> servers, Duration deadline) {
        this.servers = List.copyOf(servers);
        this.deadline = deadline;
    }

    public List<InetSocketAddress> servers() {
        return servers;
    }

    /** The first upstream answer, or empty when none answered in time (the caller answers SERVFAIL). */
    Optional<Message> forward(Message query, boolean tcp) {
        long end = System.nanoTime() + deadline.toNanos();
        for (int i = 0; i < servers.size(); i++) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                break;
            }
            // Each remaining upstream gets an equal share of what is left.
            Duration share = Duration.ofNanos(left / (servers.size() - i));
            SimpleResolver resolver = new SimpleResolver(servers.get(i));
            resolver.setTCP(tcp);
            resolver.setTimeout(share);
            try {
                Message answer = resolver.sendAsync(query.clone()).toCompletableFuture().get(share.toNanos(), TimeUnit.NANOSECONDS);
                return Optional.of(answer);
            } catch (ExecutionException | TimeoutException e) {
                // Next upstream.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
