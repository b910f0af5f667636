package dev.banger.roothelper.api;

/** The helper's banger version ({@link dev.banger.core.BangerVersion}), compared with the CLI's by {@code system status} and doctor. */
public record HelperVersion(String version) { }
