package dev.banger.daemon.image;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.image.build.TarBuilder;
import dev.banger.daemon.image.build.UnsafeEntryException;
import dev.banger.daemon.image.oci.DockerCredentials;
import dev.banger.daemon.image.oci.OciLayoutFixture;
import dev.banger.daemon.image.oci.OciLayoutFixture.Compression;
import dev.banger.daemon.image.oci.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Malicious or broken images and failed pulls, through the daemon's {@link ImageService}: each is
 * refused with an error naming the problem and leaves nothing behind — no image record, nothing
 * under {@code images/} (no {@code .build-*} staging), no flattening scratch, and nothing in the
 * blob cache but complete, verified blobs (other layers' blobs may stay: they are content-addressed).
 */
class OciPullRefusalTest {
    private static TestRegistry registry;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = TestRegistry.start();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) registry.close();
    }

    private static TarBuilder base() throws Exception {
        return new TarBuilder().dir("etc", 0755, 0, 0).file("etc/hostname", 0644, 0, 0, "box\n")
                .dir("bin", 0755, 0, 0).file("bin/true", 0755, 0, 0, "#!/bin/sh\n");
    }

    /** Pushes an image of these layers (gzip, bottom first) byte for byte; returns the reference and the layout. */
    private Pushed push(TestRegistry reg, TarBuilder... layers) throws Exception {
        String repo = "refuse/img-" + UUID.randomUUID().toString().substring(0, 8);
        List<OciLayoutFixture.Layer> ls = Arrays.stream(layers).map(t -> {
            try {
                return new OciLayoutFixture.Layer(t.bytes(), Compression.GZIP);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve(repo.replace('/', '-')), "v1", ls,
                OciLayoutFixture.Config.none());
        reg.pushExact(w, repo + ":v1");
        return new Pushed(reg.host() + "/" + repo + ":v1", w);
    }

    private record Pushed(String ref, OciLayoutFixture.Written written) {
        String layer(int i) {
            return written.layerDigests().get(i);
        }
    }

    private static Throwable refused(PullHarness h, String ref) throws Exception {
        Throwable t = catchThrowable(() -> h.images.pull(ref, ProgressSink.NONE));
        assertThat(t).as("pull of " + ref + " must be refused").isNotNull();
        assertNothingLeft(h);
        return t;
    }

    private static void assertNothingLeft(PullHarness h) throws Exception {
        assertThat(h.images.list()).as("images in the store").isEmpty();
        assertThat(h.imageDirEntries()).as("entries under images/").isEmpty();
        assertThat(h.cacheEntriesBesideBlobs()).as("scratch in the cache dir").isEmpty();
        assertThat(h.unverifiedBlobs()).as("partial or unverified blobs").isEmpty();
    }

    @Test
    void aLayerEntryClimbingOutOfTheRootIsRefused() throws Exception {
        byte[] passwd = Files.readAllBytes(Path.of("/etc/passwd"));
        try (PullHarness h = PullHarness.start()) {
            Pushed p = push(registry, base(), new TarBuilder().file("../../etc/passwd", 0644, 0, 0, "evil::0:0::/:/bin/sh\n"));
            Throwable t = refused(h, p.ref());
            assertThat(t).isInstanceOf(UnsafeEntryException.class)
                    .hasMessageContaining("../../etc/passwd").hasMessageContaining("outside the root")
                    .hasMessageContaining("in layer " + p.layer(1));
            assertThat(h.cachedDigests()).as("verified blobs may stay").contains(p.layer(0), p.layer(1));
        }
        assertThat(Files.readAllBytes(Path.of("/etc/passwd"))).isEqualTo(passwd);
    }

    @Test
    void aPathThroughASymlinkFromALowerLayerIsRefused() throws Exception {
        try (PullHarness h = PullHarness.start()) {
            Pushed p = push(registry, base().symlink("evil", "/etc", 0, 0),
                    new TarBuilder().file("evil/passwd", 0644, 0, 0, "evil::0:0::/:/bin/sh\n"));
            Throwable t = refused(h, p.ref());
            assertThat(t).isInstanceOf(UnsafeEntryException.class)
                    .hasMessageContaining("evil/passwd").hasMessageContaining("symlink 'evil'")
                    .hasMessageContaining("in layer " + p.layer(1));
        }
    }

    @Test
    void aNameDebugfsCannotCarryIsRefused() throws Exception {
        try (PullHarness h = PullHarness.start()) {
            Pushed quote = push(registry, base(), new TarBuilder().file("etc/say\"cheese", 0644, 0, 0, "x"));
            assertThat(refused(h, quote.ref())).isInstanceOf(UnsafeEntryException.class)
                    .hasMessageContaining("double quote in name").hasMessageContaining("in layer " + quote.layer(1));

            Pushed newline = push(registry, base(), new TarBuilder().file("etc/two\nlines", 0644, 0, 0, "x"));
            assertThat(refused(h, newline.ref())).isInstanceOf(UnsafeEntryException.class)
                    .hasMessageContaining("control character 0x0a").hasMessageContaining("'etc/two\\x0alines'")
                    .hasMessageContaining("in layer " + newline.layer(1));
        }
    }

    @Test
    void aBlobWhoseBytesDoNotMatchItsDigestIsRefused() throws Exception {
        try (PullHarness h = PullHarness.start()) {
            Pushed p = push(registry, base(), new TarBuilder().file("etc/motd", 0644, 0, 0, "hello ".repeat(5000)));
            Path stored = registry.blobData(p.layer(1));
            byte[] bytes = Files.readAllBytes(stored);
            for (int i = 20; i < bytes.length; i += 7) bytes[i] ^= 0x5a;   // same size, other content
            Files.write(stored, bytes);

            Throwable t = refused(h, p.ref());
            assertThat(t).hasMessageContaining("digest mismatch").hasMessageContaining(p.layer(1));
            assertThat(h.cachedDigests()).as("the good lower layer may stay, the bad one may not")
                    .contains(p.layer(0)).doesNotContain(p.layer(1));
        }
    }

    @Test
    void anUnknownTagIsRefused() throws Exception {
        try (PullHarness h = PullHarness.start()) {
            Pushed p = push(registry, base());
            String missing = p.ref().replace(":v1", ":no-such-tag");
            Throwable t = refused(h, missing);
            assertThat(t).hasMessageContaining("not found").hasMessageContaining(missing);
            assertCode(t, RpcErrors.NOT_FOUND);
            assertThat(h.cachedDigests()).isEmpty();
        }
    }

    @Test
    void anUnknownRepositoryIsNotFoundNamingTheReference() throws Exception {
        try (PullHarness h = PullHarness.start()) {
            String missing = registry.host() + "/refuse/no-such-repo-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
            Throwable t = refused(h, missing);
            assertCode(t, RpcErrors.NOT_FOUND);
            assertThat(t).hasMessageStartingWith("image " + missing + " not found").hasMessageContaining("HTTP 404");
            assertThat(t.getMessage()).doesNotContain("\n");
        }
    }

    /** An access refusal names the registry and says how to log in, in one line, with the FAILED code. */
    private static void assertSaysHowToAuthenticate(Throwable t, String host) {
        assertCode(t, RpcErrors.FAILED);
        assertThat(t).hasMessageContaining(host).hasMessageContaining("docker login " + host)
                .hasMessageContaining("$DOCKER_CONFIG");
        assertThat(t.getMessage()).doesNotContain("\n");
    }

    private static void assertCode(Throwable t, int code) {
        assertThat(t).isInstanceOf(RpcException.class);
        assertThat(((RpcException) t).code()).as("RPC error code").isEqualTo(code);
    }

    @Test
    void anAccountWithoutReadAccessIsToldHowToAuthenticate() throws Exception {
        try (TestRegistry reg = TestRegistry.startWithTokenAuth("owner", "right-password")) {
            Pushed p = push(reg, base());
            DockerCredentials outsider = PullHarness.credentialsFor(tmp, reg.host(), TestRegistry.OUTSIDER, TestRegistry.OUTSIDER_PASSWORD);
            try (PullHarness h = PullHarness.start(outsider)) {
                int issuedBefore = reg.tokensIssued();
                Throwable t = refused(h, p.ref());
                assertThat(reg.tokensIssued()).as("a token was issued, without access").isGreaterThan(issuedBefore);
                assertThat(t).hasMessageStartingWith("access to " + p.ref() + " denied").hasMessageContaining("HTTP 401");
                assertSaysHowToAuthenticate(t, reg.host());
                assertThat(h.cachedDigests()).isEmpty();
            }
        }
    }

    @Test
    void aTokenAuthRegistryWithoutCredentialsIsRefused() throws Exception {
        try (TestRegistry reg = TestRegistry.startWithTokenAuth("owner", "right-password")) {
            Pushed p = push(reg, base());
            try (PullHarness h = PullHarness.start()) {
                int refusedBefore = reg.tokensRefused();
                Throwable t = refused(h, p.ref());
                assertThat(t).hasMessageContaining("authentication required for " + reg.host());
                assertSaysHowToAuthenticate(t, reg.host());
                assertThat(reg.tokensRefused()).isGreaterThan(refusedBefore);
                assertThat(h.cachedDigests()).isEmpty();
            }
            DockerCredentials wrong = PullHarness.credentialsFor(tmp, reg.host(), "owner", "wrong-password");
            try (PullHarness h = PullHarness.start(wrong)) {
                Throwable t = refused(h, p.ref());
                assertThat(t).hasMessageContaining("authentication failed for " + reg.host()).hasMessageContaining("owner")
                        .hasMessageNotContaining("wrong-password");
                assertSaysHowToAuthenticate(t, reg.host());
            }
        }
    }

    @Test
    void aSecondPullOfTheSameReferenceIsAConflict() throws Exception {
        try (PullHarness h = PullHarness.start()) {
            Pushed p = push(registry, base());
            ImageRecord first = h.images.pull(p.ref(), ProgressSink.NONE);

            Throwable t = catchThrowable(() -> h.images.pull(p.ref(), ProgressSink.NONE));
            assertThat(t).isInstanceOf(RpcException.class).hasMessageContaining("already pulled").hasMessageContaining(p.ref());
            assertThat(((RpcException) t).code()).isEqualTo(RpcErrors.CONFLICT);
            assertThat(h.images.list()).containsExactly(first);
            assertThat(h.imageDirEntries()).containsExactly(first.id());
            assertThat(h.cacheEntriesBesideBlobs()).isEmpty();
        }
    }

    @Test
    void resolvingAnAlreadyPulledReferenceAsksTheRegistryNothing() throws Exception {
        try (PullHarness h = PullHarness.start()) {
            Pushed p = push(registry, base());
            ImageRecord pulled = h.images.pull(p.ref(), ProgressSink.NONE);
            List<TestRegistry.Request> before = registry.requests();
            assertThat(before).anyMatch(r -> r.path().contains("/manifests/") && r.method().equals("GET"));

            assertThat(h.images.resolve(p.ref(), ProgressSink.NONE)).isEqualTo(pulled);
            assertThat(h.images.resolve(pulled.id(), ProgressSink.NONE)).isEqualTo(pulled);

            assertThat(registry.requests()).as("registry requests after resolve").hasSameSizeAs(before);
            assertThat(h.images.list()).containsExactly(pulled);
        }
    }
}
