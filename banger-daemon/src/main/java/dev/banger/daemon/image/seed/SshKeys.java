package dev.banger.daemon.image.seed;

import dev.banger.daemon.fs.Sha256;
import dev.banger.daemon.host.HostCommand;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The SSH keys a VM's guest user accepts: banger's own per-user ed25519 key pair (so the CLI can
 * always get in) plus the host user's public keys from {@code ~/.ssh/*.pub}.
 *
 * <p>{@link #fingerprint()} covers exactly the authorized_keys content, so a work seed recorded
 * with an older fingerprint is known to be stale as soon as any key is added, removed or rotated.
 */
public final class SshKeys {
    static final String KEY_NAME = "id_ed25519";
    static final int MAX_KEY_BYTES = 16 * 1024;
    private static final Duration KEYGEN_TIMEOUT = Duration.ofSeconds(60);

    /** type, base64 blob, optional comment without control characters. */
    private static final Pattern KEY_LINE = Pattern.compile(
            "(?:ssh-|ecdsa-|sk-)[A-Za-z0-9@._+-]+ [A-Za-z0-9+/]+={0,3}(?: [^\\p{Cntrl}]*)?");

    /** One lock per key directory, shared by every SshKeys instance in this JVM. */
    private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();

    private final Path bangerKeyDir;
    private final Path userSshDir;

    public SshKeys(Path bangerKeyDir, Path userSshDir) {
        this.bangerKeyDir = Objects.requireNonNull(bangerKeyDir, "bangerKeyDir").toAbsolutePath().normalize();
        this.userSshDir = Objects.requireNonNull(userSshDir, "userSshDir").toAbsolutePath().normalize();
    }

    /**
     * Makes sure banger's key pair exists and returns the private key's path. A new pair is
     * generated under a temporary name and renamed into place, .pub first, so a crash can leave a
     * public key without its private key (regenerated next time) but never the reverse.
     */
    public Path ensureKeyPair() throws IOException, InterruptedException {
        synchronized (LOCKS.computeIfAbsent(bangerKeyDir, k -> new Object())) {
            Files.createDirectories(bangerKeyDir);
            Files.setPosixFilePermissions(bangerKeyDir, PosixFilePermissions.fromString("rwx------"));
            Path priv = bangerKeyDir.resolve(KEY_NAME);
            Path pub = bangerKeyDir.resolve(KEY_NAME + ".pub");
            if (Files.isRegularFile(priv, LinkOption.NOFOLLOW_LINKS)) {
                Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-------"));
                if (!Files.isRegularFile(pub, LinkOption.NOFOLLOW_LINKS)) {
                    derivePublicKey(priv, pub);
                }
                Files.setPosixFilePermissions(pub, PosixFilePermissions.fromString("rw-------"));
                return priv;
            }
            Path tmp = bangerKeyDir.resolve("." + KEY_NAME + "." + UUID.randomUUID() + ".tmp");
            Path tmpPub = tmp.resolveSibling(tmp.getFileName() + ".pub");
            try {
                HostCommand.of(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "banger", "-f", tmp.toString()),
                        KEYGEN_TIMEOUT).run();
                if (!Files.isRegularFile(tmp) || !Files.isRegularFile(tmpPub)) {
                    throw new IOException("ssh-keygen did not write " + tmp + " and its .pub");
                }
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                Files.setPosixFilePermissions(tmpPub, PosixFilePermissions.fromString("rw-------"));
                Files.move(tmpPub, pub, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, priv, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return priv;
            } finally {
                Files.deleteIfExists(tmp);
                Files.deleteIfExists(tmpPub);
            }
        }
    }

    /**
     * banger's public key line first, then each valid-looking {@code userSshDir/*.pub} in file-name
     * order; a key seen twice (same type and blob, whatever the comment) is kept once. Files that
     * are not a single plausible public key line are skipped.
     */
    public List<String> authorizedKeys() throws IOException, InterruptedException {
        Path priv = ensureKeyPair();
        Path bangerPub = priv.resolveSibling(KEY_NAME + ".pub");
        String own = readKeyLine(bangerPub);
        if (own == null) {
            throw new IOException("banger's public key is not a valid public key line: " + bangerPub);
        }
        Map<String, String> byBlob = new LinkedHashMap<>();
        byBlob.put(identity(own), own);
        for (Path candidate : userPublicKeyFiles()) {
            String line = readKeyLine(candidate);
            if (line != null) {
                byBlob.putIfAbsent(identity(line), line);
            }
        }
        return List.copyOf(byBlob.values());
    }

    /** Hex SHA-256 of the authorized_keys file content {@link #authorizedKeys()} describes. */
    public String fingerprint() throws IOException, InterruptedException {
        return fingerprintOf(authorizedKeys());
    }

    /** The authorized_keys file for these lines: one per line, each newline-terminated. */
    static String authorizedKeysContent(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String k : keys) {
            sb.append(k).append('\n');
        }
        return sb.toString();
    }

    static String fingerprintOf(List<String> keys) {
        return Sha256.of(authorizedKeysContent(keys).getBytes(StandardCharsets.UTF_8));
    }

    private List<Path> userPublicKeyFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(userSshDir)) {
            return files;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(userSshDir, "*.pub")) {
            for (Path p : ds) {
                files.add(p);
            }
        }
        files.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return files;
    }

    /** The single key line in file, or null if it is not one (too big, not UTF-8, several lines, junk). */
    private static String readKeyLine(Path file) throws IOException {
        byte[] data;
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_KEY_BYTES) {
                return null;
            }
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (java.nio.file.AccessDeniedException e) {
            return null;   // someone else's key file is not ours to read; not fatal
        }
        if (data.length > MAX_KEY_BYTES) {
            return null;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        if (text.endsWith("\r\n")) {
            text = text.substring(0, text.length() - 2);
        } else if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        text = text.stripTrailing();
        return KEY_LINE.matcher(text).matches() ? text : null;
    }

    private static String identity(String keyLine) {
        String[] parts = keyLine.split(" ", 3);
        return parts[0] + " " + parts[1];
    }

    private void derivePublicKey(Path priv, Path pub) throws IOException, InterruptedException {
        HostCommand.Result r = HostCommand.of(List.of("ssh-keygen", "-y", "-f", priv.toString()), KEYGEN_TIMEOUT).run();
        Path tmp = pub.resolveSibling("." + pub.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.writeString(tmp, r.stdout().strip() + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, pub, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
