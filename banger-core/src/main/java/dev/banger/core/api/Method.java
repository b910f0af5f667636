package dev.banger.core.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.banger.core.Json;
import java.io.IOException;

/**
 * One RPC method: its name and the types of its params and result. The CLI calls through it and
 * bangerd registers its handler under it, so neither side spells a field name by hand.
 * Params are read strictly (an unknown member is invalid params: a misspelt option must not be
 * silently ignored); results leniently (a CLI tolerates a newer daemon's extra fields).
 */
public record Method<P, R>(String name, Class<P> params, JavaType result) {
    public static <P, R> Method<P, R> of(String name, Class<P> params, Class<R> result) {
        return new Method<>(name, params, Json.MAPPER.constructType(result));
    }

    public static <P, E> Method<P, java.util.List<E>> listOf(String name, Class<P> params, Class<E> element) {
        return new Method<>(name, params, Json.MAPPER.getTypeFactory().constructCollectionType(java.util.List.class, element));
    }

    private ObjectReader strict() {
        return Json.MAPPER.readerFor(params).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** The params of a request; throws a Jackson exception naming what is wrong. */
    public P decodeParams(JsonNode json) throws IOException {
        return strict().readValue(json == null || json.isNull() ? Json.MAPPER.createObjectNode() : json);
    }

    public R decodeResult(JsonNode json) throws IOException {
        return Json.MAPPER.readerFor(result).readValue(json);
    }
}
