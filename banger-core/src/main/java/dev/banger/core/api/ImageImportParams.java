package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code image.import}: {@code source} an absolute path; {@code kernelRef} null for the default kernel. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ImageImportParams(String name, String source, String kernelRef) { }
