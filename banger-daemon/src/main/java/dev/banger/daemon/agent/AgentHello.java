package dev.banger.daemon.agent;

/** What the guest agent reports about itself in its HELLO frame. */
public record AgentHello(String agentVersion, String kernel, long uptimeMs, String hostname) { }
