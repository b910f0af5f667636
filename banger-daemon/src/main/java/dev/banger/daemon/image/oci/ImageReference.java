package dev.banger.daemon.image.oci;

import java.util.regex.Pattern;

/**
 * A parsed OCI image reference: {@code [registry/]repository[:tag][@sha256:hex]}.
 *
 * <p>Docker Hub defaults apply: {@code alpine} is {@code registry-1.docker.io/library/alpine:latest},
 * and {@code docker.io} / {@code index.docker.io} mean {@code registry-1.docker.io}. The first path
 * component is a registry host only when it contains {@code .} or {@code :} or is {@code localhost}.
 * When a digest is given, {@code tag} may be null (no tag was written) and the digest wins.
 */
public record ImageReference(String registry, String repository, String tag, String digest) {
    public static final String DOCKER_HUB = "registry-1.docker.io";

    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:[._-][a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern HOST = Pattern.compile(
            "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");

    public ImageReference {
        if (registry == null || registry.isEmpty()) throw new IllegalArgumentException("image reference has no registry");
        if (repository == null || repository.isEmpty()) throw new IllegalArgumentException("image reference has no repository");
        if (tag == null && digest == null) throw new IllegalArgumentException("image reference needs a tag or a digest");
    }

    /** Parses {@code name[:tag|@sha256:hex]}; a reference with neither gets tag {@code latest}. */
    public static ImageReference parse(String ref) {
        if (ref == null || ref.isBlank()) throw new IllegalArgumentException("empty image reference");
        if (!ref.equals(ref.strip()) || ref.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("image reference contains whitespace: " + oneLine(ref));
        }
        String rest = ref;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                if (digest.contains(":") && !digest.startsWith("sha256:")) {
                    throw new IllegalArgumentException("unsupported digest algorithm in " + ref + " (only sha256)");
                }
                throw new IllegalArgumentException("invalid digest in " + ref + " (want sha256:<64 lowercase hex>)");
            }
        }
        String tag = null;
        int slash = rest.lastIndexOf('/');
        int colon = rest.lastIndexOf(':');
        if (colon > slash) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) throw new IllegalArgumentException("invalid tag '" + tag + "' in " + ref);
        }
        if (rest.isEmpty()) throw new IllegalArgumentException("image reference has no repository: " + ref);

        String registry = DOCKER_HUB;
        String repository = rest;
        int first = rest.indexOf('/');
        if (first >= 0) {
            String head = rest.substring(0, first);
            if (head.contains(".") || head.contains(":") || head.equals("localhost")) {
                if (!HOST.matcher(head).matches()) throw new IllegalArgumentException("invalid registry host '" + head + "' in " + ref);
                registry = head;
                repository = rest.substring(first + 1);
            }
        }
        if (registry.equals("docker.io") || registry.equals("index.docker.io")) registry = DOCKER_HUB;
        if (registry.equals(DOCKER_HUB) && !repository.contains("/")) repository = "library/" + repository;
        for (String c : repository.split("/", -1)) {
            if (!COMPONENT.matcher(c).matches()) {
                throw new IllegalArgumentException("invalid repository name '" + repository + "' in " + ref
                        + " (components must be lowercase [a-z0-9] separated by . _ -)");
            }
        }
        if (repository.length() > 255) throw new IllegalArgumentException("repository name too long in " + ref);
        if (tag == null && digest == null) tag = "latest";
        return new ImageReference(registry, repository, tag, digest);
    }

    /** True when {@code s} looks like an OCI reference rather than a banger image name. */
    public static boolean isOciReference(String s) {
        return s != null && (s.indexOf('/') >= 0 || s.indexOf(':') >= 0 || s.indexOf('@') >= 0);
    }

    /** What to ask the registry's manifest endpoint for: the digest when there is one, else the tag. */
    public String reference() {
        return digest != null ? digest : tag;
    }

    /** {@code registry/repository[:tag][@digest]}, fully qualified. */
    public String canonical() {
        StringBuilder sb = new StringBuilder(registry).append('/').append(repository);
        if (tag != null) sb.append(':').append(tag);
        if (digest != null) sb.append('@').append(digest);
        return sb.toString();
    }

    @Override
    public String toString() {
        return canonical();
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }
}
