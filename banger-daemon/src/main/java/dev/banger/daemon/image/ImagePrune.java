package dev.banger.daemon.image;

import dev.banger.daemon.Leftovers;
import dev.banger.daemon.image.oci.BlobCache;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code image prune}: empties the OCI blob cache (images already pulled keep working: they are
 * flattened) and removes crash leftovers older than this daemon's start (younger ones may belong
 * to a running build or pull).
 */
public final class ImagePrune {
    private final BlobCache blobs;
    private final Leftovers leftovers;
    private final Instant daemonStart;

    public ImagePrune(BlobCache blobs, Leftovers leftovers, Instant daemonStart) {
        this.blobs = blobs;
        this.leftovers = leftovers;
        this.daemonStart = daemonStart;
    }

    /** {@code {"blobs_removed","blob_bytes_freed","leftovers_removed":[paths],"leftover_bytes_freed","bytes_freed"}}. */
    public Map<String, Object> prune() throws IOException, InterruptedException {
        BlobCache.Freed freed = blobs.clear();
        List<Leftovers.Removed> swept = leftovers.sweep(daemonStart);
        long sweptBytes = swept.stream().mapToLong(Leftovers.Removed::bytes).sum();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("blobs_removed", freed.blobs());
        out.put("blob_bytes_freed", freed.bytes());
        out.put("leftovers_removed", swept.stream().map(Leftovers.Removed::path).toList());
        out.put("leftover_bytes_freed", sweptBytes);
        out.put("bytes_freed", freed.bytes() + sweptBytes);
        return out;
    }
}
