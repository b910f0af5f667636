package dev.banger.daemon.fetch;

import java.net.http.HttpClient;
import java.time.Duration;

/** The one HTTP client configuration bangerd uses for registries, catalogs and bundles. */
public final class HttpClients {
    private HttpClients() { }

    /**
     * Follows redirects the way registries and release hosts need (NORMAL: never from HTTPS to
     * HTTP, and the JDK drops Authorization on the way); a connect that hangs fails after 20 s.
     */
    public static HttpClient standard() {
        return HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(20))
                .build();
    }
}
