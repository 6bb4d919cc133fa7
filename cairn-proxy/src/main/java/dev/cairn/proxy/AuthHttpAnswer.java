// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the endpoint answers nginx, in response headers only (nginx ignores the body). Any
 * {@code Auth-Status} but "OK" is passed to the client as the login's error; with
 * {@code Auth-Wait: N} nginx waits N seconds, answers the client and lets it try again, without
 * it nginx answers and closes the session.
 */
sealed interface AuthHttpAnswer {
    /** What the metrics call it ({@code status} label). */
    String status();

    Map<String, String> headers();

    /** Log in at this back-end: nginx does not resolve names, so the server is an address. */
    record Ok(InetAddress server, int port) implements AuthHttpAnswer {
        @Override public String status() { return "ok"; }

        @Override public Map<String, String> headers() {
            return Map.of("Auth-Status", "OK", "Auth-Server", server.getHostAddress(), "Auth-Port", Integer.toString(port));
        }
    }

    /** A wrong user name or password; {@code waitSeconds} 0: the session ends. */
    record Invalid(int waitSeconds) implements AuthHttpAnswer {
        @Override public String status() { return "invalid"; }

        @Override public Map<String, String> headers() { return failure("Invalid login or password", waitSeconds); }
    }

    /** The directory or the cluster could not answer now; {@code reason} is for the log only. */
    record Temporary(int waitSeconds, String reason) implements AuthHttpAnswer {
        @Override public String status() { return "temporary"; }

        @Override public Map<String, String> headers() { return failure("Temporary server problem, try again later", waitSeconds); }
    }

    /** Not a login this endpoint serves (a method or protocol it does not take, a malformed request): the session ends. */
    record Refused(String message) implements AuthHttpAnswer {
        @Override public String status() { return "refused"; }

        @Override public Map<String, String> headers() { return failure(message, 0); }
    }

    private static Map<String, String> failure(String status, int waitSeconds) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Auth-Status", status);
        if (waitSeconds > 0) h.put("Auth-Wait", Integer.toString(waitSeconds));
        return h;
    }
}
