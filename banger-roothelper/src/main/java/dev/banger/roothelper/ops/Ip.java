package dev.banger.roothelper.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import dev.banger.roothelper.api.ErrorCode;
import dev.banger.roothelper.api.HelperException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** iproute2 through its JSON output ({@code ip -j}): reads links, addresses and routes, runs changes. */
final class Ip {
    /** {@code tapOwner}: as ip prints it, the owner's user name when it has one, else its uid; null when unowned. */
    record Link(String name, String kind, String master, String mac, String alias, boolean up, String tapOwner) {
        boolean isBridge() {
            return "bridge".equals(kind);
        }

        boolean isTap() {
            return "tun".equals(kind);
        }
    }

    record Address(String interfaceName, String local, Ipv4Prefix network) { }

    record Route(String destination, String device, Ipv4Prefix prefix) { }

    private final HostCommands commands;

    Ip(HostCommands commands) {
        this.commands = commands;
    }

    List<Link> links() {
        return parseLinks(json("ip", "-j", "-d", "link", "show"));
    }

    /** One link by name (a smaller dump than {@link #links()}); empty when it does not exist. */
    Optional<Link> link(String name) {
        HostCommands.CommandResult result = commands.run(List.of("ip", "-j", "-d", "link", "show", "dev", name), "");
        if (!result.ok() && result.stderr().contains("does not exist")) {
            return Optional.empty();
        }
        return parseLinks(parse(result)).stream().filter(l -> l.name().equals(name)).findFirst();
    }

    private static List<Link> parseLinks(JsonNode dump) {
        List<Link> links = new ArrayList<>();
        for (JsonNode link : dump) {
            JsonNode info = link.path("linkinfo");
            links.add(new Link(link.path("ifname").asText(), info.path("info_kind").asText(""),
                    link.path("master").asText(null), link.path("address").asText(""), link.path("ifalias").asText(null),
                    flags(link).anyMatch("UP"::equals), info.path("info_data").path("user").asText(null)));
        }
        return links;
    }

    List<Address> ipv4Addresses() {
        List<Address> addresses = new ArrayList<>();
        for (JsonNode link : json("ip", "-j", "-4", "addr", "show")) {
            for (JsonNode address : link.path("addr_info")) {
                String local = address.path("local").asText();
                addresses.add(new Address(link.path("ifname").asText(), local,
                        new Ipv4Prefix(Ipv4Prefix.parseAddress(local), address.path("prefixlen").asInt(32))));
            }
        }
        return addresses;
    }

    /** Every IPv4 route of every table except the default routes (they overlap everything by design). */
    List<Route> ipv4Routes() {
        List<Route> routes = new ArrayList<>();
        for (JsonNode route : json("ip", "-j", "-4", "route", "show", "table", "all")) {
            String destination = route.path("dst").asText("");
            if (destination.isEmpty() || destination.equals("default")) {
                continue;
            }
            routes.add(new Route(destination, route.path("dev").asText(""), Ipv4Prefix.parse(destination)));
        }
        return routes;
    }

    /** Runs a change; a non-zero exit is a {@code failed} HelperException with the tool's first error line. */
    void change(String... argv) {
        HostCommands.CommandResult result = commands.run(List.of(argv), "");
        if (!result.ok()) {
            throw new HelperException(ErrorCode.FAILED, String.join(" ", argv) + ": " + result.firstErrorLine());
        }
    }

    private JsonNode json(String... argv) {
        return parse(commands.run(List.of(argv), ""));
    }

    private static JsonNode parse(HostCommands.CommandResult result) {
        String argv = String.join(" ", result.argv());
        if (!result.ok()) {
            throw new HelperException(ErrorCode.FAILED, argv + ": " + result.firstErrorLine());
        }
        try {
            return Json.MAPPER.readTree(result.stdout().isBlank() ? "[]" : result.stdout());
        } catch (JsonProcessingException e) {
            throw new HelperException(ErrorCode.FAILED, argv + ": unreadable JSON: " + e.getOriginalMessage());
        }
    }

    private static Stream<String> flags(JsonNode link) {
        List<String> flags = new ArrayList<>();
        link.path("flags").forEach(flag -> flags.add(flag.asText()));
        return flags.stream();
    }
}
