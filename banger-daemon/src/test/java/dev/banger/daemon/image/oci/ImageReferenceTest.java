package dev.banger.daemon.image.oci;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageReferenceTest {
    private static final String D = "sha256:" + "ab".repeat(32);

    @ParameterizedTest
    @CsvSource(nullValues = "-", value = {
            // ref                                   registry               repository               tag      digest
            "alpine,                                 registry-1.docker.io,  library/alpine,          latest,  -",
            "alpine:3.20,                            registry-1.docker.io,  library/alpine,          3.20,    -",
            "bitnami/redis,                          registry-1.docker.io,  bitnami/redis,           latest,  -",
            "docker.io/library/debian:bookworm,      registry-1.docker.io,  library/debian,          bookworm, -",
            "docker.io/debian,                       registry-1.docker.io,  library/debian,          latest,  -",
            "index.docker.io/x/y:z,                  registry-1.docker.io,  x/y,                     z,       -",
            "ghcr.io/owner/app:v1.2.3,               ghcr.io,               owner/app,               v1.2.3,  -",
            "quay.io/a/b/c,                          quay.io,               a/b/c,                   latest,  -",
            "localhost/app,                          localhost,             app,                     latest,  -",
            "localhost:5000/team/app:_x,             localhost:5000,        team/app,                _x,      -",
            "127.0.0.1:5000/a.b/c-d_e:T-1.x,         127.0.0.1:5000,        a.b/c-d_e,               T-1.x,   -",
            "[::1]:5000/app:1,                       [::1]:5000,            app,                     1,       -",
            "my-registry:5000/app,                   my-registry:5000,      app,                     latest,  -",
            "library/alpine,                         registry-1.docker.io,  library/alpine,          latest,  -",
    })
    void parsesGoodReferences(String ref, String registry, String repository, String tag, String digest) {
        ImageReference r = ImageReference.parse(ref);
        assertThat(r).isEqualTo(new ImageReference(registry, repository, tag, digest));
    }

    @Test
    void digestReferences() {
        ImageReference r = ImageReference.parse("alpine@" + D);
        assertThat(r).isEqualTo(new ImageReference("registry-1.docker.io", "library/alpine", null, D));
        assertThat(r.reference()).isEqualTo(D);
        assertThat(r.canonical()).isEqualTo("registry-1.docker.io/library/alpine@" + D);

        ImageReference both = ImageReference.parse("localhost:5000/app:v1@" + D);
        assertThat(both).isEqualTo(new ImageReference("localhost:5000", "app", "v1", D));
        assertThat(both.reference()).as("the digest wins").isEqualTo(D);
        assertThat(both.canonical()).isEqualTo("localhost:5000/app:v1@" + D);
    }

    @Test
    void canonicalRoundTrips() {
        for (String s : new String[] {"alpine", "ghcr.io/o/a:v1", "127.0.0.1:5000/x/y@" + D}) {
            ImageReference r = ImageReference.parse(s);
            assertThat(ImageReference.parse(r.canonical())).isEqualTo(r);
        }
        assertThat(ImageReference.parse("alpine").canonical()).isEqualTo("registry-1.docker.io/library/alpine:latest");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", " ", "Alpine", "alpine:", "alpine:-x", "a//b", "/alpine", "alpine/",
            "a..b", "a__-b", "-a", "a-", "ghcr.io/Owner/app", "alpine@sha256:abc", "alpine@md5:" + "ab",
            "alpine@sha256:" + "AB" + "ab" + "cd", "alpine@", "alpine:tag with space", "ghcr.io/", "local host/app",
            "ghcr.io/app:v1:v2", "bad_host.io:99999999/app"
    })
    void rejectsBadReferences(String ref) {
        assertThatThrownBy(() -> ImageReference.parse(ref))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).isNotBlank().doesNotContain("\n"));
    }

    @Test
    void rejectsOverlongTagAndUnsupportedDigest() {
        assertThatThrownBy(() -> ImageReference.parse("alpine:" + "a".repeat(129))).isInstanceOf(IllegalArgumentException.class);
        assertThat(ImageReference.parse("alpine:" + "a".repeat(128)).tag()).hasSize(128);
        assertThatThrownBy(() -> ImageReference.parse("alpine@sha512:" + "ab".repeat(64)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only sha256");
        assertThatThrownBy(() -> ImageReference.parse("alpine@sha256:" + "AB".repeat(32)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sha256:<64 lowercase hex>");
    }

    @Test
    void ociReferenceDetection() {
        assertThat(ImageReference.isOciReference("alpine:3.20")).isTrue();
        assertThat(ImageReference.isOciReference("ghcr.io/a/b")).isTrue();
        assertThat(ImageReference.isOciReference("x@" + D)).isTrue();
        assertThat(ImageReference.isOciReference("debian-bookworm")).isFalse();
        assertThat(ImageReference.isOciReference("alpine")).isFalse();
    }
}
