package dev.banger.roothelper.api;

/**
 * Remove everything banger made on the host: every VM's taps, NAT elements and DNS records (a reconcile
 * with no live VM), then the nft table {@code inet banger}, the hosts block or resolved's link settings,
 * and the bridge. What {@code banger system uninstall} sends before it stops the helper. Takes no fields:
 * the helper removes only names it derives from its own configuration.
 */
public record RemoveHostState() implements HelperRequest { }
