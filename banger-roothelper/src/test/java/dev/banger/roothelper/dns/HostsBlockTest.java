package dev.banger.roothelper.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.roothelper.api.DnsRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hosts block as text, and the file rewrite (temp file + rename) in a temp dir. */
class HostsBlockTest {
    static final String A = "0123456789abcdef";
    static final String B = "fedcba9876543210";
    static final List<DnsRecord> TWO = List.of(new DnsRecord("zeta", A, "10.77.0.3"), new DnsRecord("alpha", B, "10.77.0.2"));
    // Tabs, a comment, trailing spaces, CRLF, and bytes that are not UTF-8: all must survive.
    static final String ORIGINAL = "127.0.0.1\tlocalhost\n# a comment  \n::1 ip6-localhost\r\n10.0.0.5 caf\u00e9.lan\n";

    static String block(String... lines) {
        StringBuilder b = new StringBuilder(HostsBlock.BEGIN).append('\n');
        for (String line : lines) {
            b.append(line).append('\n');
        }
        return b.append(HostsBlock.END).append('\n').toString();
    }

    @Test
    void theBlockIsAppendedSortedAndTheRestKeptByteForByte() {
        String written = HostsBlock.rewrite(ORIGINAL, TWO);
        assertThat(written).isEqualTo(ORIGINAL + block("10.77.0.2 alpha.vm", "10.77.0.3 zeta.vm"));
    }

    @Test
    void rewritingIsIdempotentAndReplacesTheBlockInPlace() {
        String withBlock = "127.0.0.1 localhost\n" + block("10.77.0.9 old.vm") + "192.168.1.1 router\n";
        String once = HostsBlock.rewrite(withBlock, TWO);
        assertThat(once).isEqualTo("127.0.0.1 localhost\n" + block("10.77.0.2 alpha.vm", "10.77.0.3 zeta.vm") + "192.168.1.1 router\n");
        assertThat(HostsBlock.rewrite(once, TWO)).isEqualTo(once);
        assertThat(HostsBlock.rewrite(once, List.of(TWO.get(0)))).isEqualTo("127.0.0.1 localhost\n" + block("10.77.0.3 zeta.vm") + "192.168.1.1 router\n");
    }

    @Test
    void noRecordsRemovesTheBlockAndRestoresTheOriginal() {
        assertThat(HostsBlock.rewrite(HostsBlock.rewrite(ORIGINAL, TWO), List.of())).isEqualTo(ORIGINAL);
        assertThat(HostsBlock.rewrite(ORIGINAL, List.of())).isEqualTo(ORIGINAL);
        assertThat(HostsBlock.rewrite("", List.of())).isEmpty();
    }

    @Test
    void aFileWithoutAFinalNewlineGetsOneBeforeTheBlock() {
        assertThat(HostsBlock.rewrite("127.0.0.1 localhost", TWO.subList(1, 2))).isEqualTo("127.0.0.1 localhost\n" + block("10.77.0.2 alpha.vm"));
    }

    @Test
    void aBlockWhoseEndWasDeletedEndsAtItsLastRecordLine() {
        String broken = "a 1\n" + HostsBlock.BEGIN + "\n10.77.0.9 old.vm\n10.77.0.8 older.vm\n192.168.1.1 router\n";
        assertThat(HostsBlock.rewrite(broken, List.of())).isEqualTo("a 1\n192.168.1.1 router\n");
    }

    @Test
    void theFileIsReplacedByRenameKeepingItsModeAndUntouchedWhenUnchanged(@TempDir Path dir) throws Exception {
        Path hosts = dir.resolve("hosts");
        byte[] original = ORIGINAL.getBytes(StandardCharsets.ISO_8859_1);
        Files.write(hosts, original);
        Files.setPosixFilePermissions(hosts, PosixFilePermissions.fromString("rw-r--r--"));
        Object inodeBefore = Files.getAttribute(hosts, "unix:ino");
        HostsFile file = new HostsFile(hosts);

        assertThat(file.write(TWO)).isTrue();
        assertThat(Files.getAttribute(hosts, "unix:ino")).as("renamed over, not rewritten").isNotEqualTo(inodeBefore);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hosts))).isEqualTo("rw-r--r--");
        assertThat(Files.readString(hosts, StandardCharsets.ISO_8859_1)).endsWith(block("10.77.0.2 alpha.vm", "10.77.0.3 zeta.vm"));
        Object inodeWritten = Files.getAttribute(hosts, "unix:ino");
        assertThat(file.write(TWO)).as("unchanged").isFalse();
        assertThat(Files.getAttribute(hosts, "unix:ino")).isEqualTo(inodeWritten);

        assertThat(file.write(List.of())).isTrue();
        assertThat(Files.readAllBytes(hosts)).isEqualTo(original);
        try (var left = Files.list(dir)) {
            assertThat(left.toList()).as("no temp file left").containsExactly(hosts);
        }
    }
}
