/**
 * The root helper's wire types and the one interface both sides share.
 *
 * <p>bangerd depends on this package (not banger-core) because only bangerd and the helper speak
 * this protocol: the CLI never does, and keeping the request records next to the operations that
 * validate them means one change touches one module. {@link dev.banger.roothelper.api.RootOperations}
 * is what bangerd calls: {@link dev.banger.roothelper.api.HelperClient} sends it over the helper's
 * socket, {@code ops.NetworkOperations} runs it in process (bangerd itself root, no helper).
 */
package dev.banger.roothelper.api;
