package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** {@code vm.exec}: {@code rows}/{@code cols} null for 24x80, {@code cwd} null for the agent's default. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmExecParams(String vm, List<String> argv, Map<String, String> env, String cwd, boolean tty, Integer rows,
                           Integer cols) { }
