package dev.banger.core.api;

/** {@code image.pull}: an OCI reference. */
public record ImagePullParams(String ref) { }
