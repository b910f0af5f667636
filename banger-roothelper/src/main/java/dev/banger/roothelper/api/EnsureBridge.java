package dev.banger.roothelper.api;

/** Ensure banger's bridge exists as the helper was configured (name, subnet): the caller chooses nothing. */
public record EnsureBridge() implements HelperRequest { }
