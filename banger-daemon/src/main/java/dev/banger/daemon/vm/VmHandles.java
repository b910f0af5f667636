package dev.banger.daemon.vm;

/** Identity of a VM's live host objects: enough to find and kill its VMM and remove its sockets. */
record VmHandles(long pid, String vmm, String qmpSocket, String agentSocket) { }
