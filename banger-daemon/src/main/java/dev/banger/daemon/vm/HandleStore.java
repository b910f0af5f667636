package dev.banger.daemon.vm;

import dev.banger.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory cache of live VM handles, backed by {@code <vmDir>/handles.json}. The file is
 * always written before the cache is updated (seed 000): a crash between the two leaves
 * disk ahead of memory, which reconcile recovers from; the reverse would strand a VMM.
 */
final class HandleStore {
    static final String FILE = "handles.json";
    private final Map<String, VmHandles> cache = new ConcurrentHashMap<>();

    void set(String vmId, Path vmDir, VmHandles handles) throws IOException {
        Path file = vmDir.resolve(FILE);
        Path tmp = vmDir.resolve(FILE + ".tmp");
        Files.write(tmp, Json.MAPPER.writeValueAsBytes(handles));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        cache.put(vmId, handles);
    }

    Optional<VmHandles> cached(String vmId) {
        return Optional.ofNullable(cache.get(vmId));
    }

    /** What the last start wrote; empty when the file is missing or corrupt (the runtime record is the fallback). */
    static Optional<VmHandles> readFile(Path vmDir) {
        Path file = vmDir.resolve(FILE);
        try {
            return Files.exists(file) ? Optional.of(Json.MAPPER.readValue(file.toFile(), VmHandles.class)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void seed(String vmId, VmHandles handles) {
        cache.put(vmId, handles);
    }

    void clear(String vmId, Path vmDir) throws IOException {
        cache.remove(vmId);
        if (vmDir != null) Files.deleteIfExists(vmDir.resolve(FILE));
    }
}
