// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

/** A configuration the node cannot run with; the message names the key and what is wrong. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
