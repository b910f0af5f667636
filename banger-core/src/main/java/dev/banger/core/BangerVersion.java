package dev.banger.core;

/**
 * banger's version, in one place: the CLI's {@code --version}, bangerd's {@code daemon.status}, and the
 * root helper's {@code version} operation all say this, so {@code system status} and doctor can tell a
 * helper left behind by an upgrade (a compile-time constant, so annotations can use it).
 */
public final class BangerVersion {
    public static final String VERSION = "0.1.0";

    private BangerVersion() { }
}
