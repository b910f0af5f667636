package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * {@code vm.run}: create a VM as {@code create} says, then run {@code argv} in it; an empty
 * {@code argv} runs the image's entrypoint + cmd (with its env and working dir), or else a login
 * shell on a terminal. {@code env} is added to the command's environment. {@code rm}: the VM is
 * removed when the command ends, when its boot fails, and when the call is cancelled.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmRunParams(VmCreateParams create, List<String> argv, Map<String, String> env, boolean tty, Integer rows,
                          Integer cols, boolean rm) { }
