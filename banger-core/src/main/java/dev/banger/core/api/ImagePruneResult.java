package dev.banger.core.api;

import java.util.List;

/** {@code image.prune}: what emptying the blob cache and sweeping crash leftovers freed. */
public record ImagePruneResult(int blobsRemoved, long blobBytesFreed, List<String> leftoversRemoved, long leftoverBytesFreed,
                               long bytesFreed) { }
