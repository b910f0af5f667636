/**
 * The RPC surface as types: one record per method's params and result, shared by the CLI (which
 * sends and prints them) and bangerd (which decodes and returns them). {@link Methods} lists every
 * method with its two types. Field names are the wire names in snake_case (the one mapper,
 * {@code Json.MAPPER}); they are a public interface, pinned by the golden files in
 * banger-core/src/test/resources/rpc and documented in docs/rpc.md. Optional params are boxed and
 * left out of the JSON when null.
 */
package dev.banger.core.api;
