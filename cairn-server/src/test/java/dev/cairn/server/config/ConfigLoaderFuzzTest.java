// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Config files as an operator may mistype them: TOML text gives a config or a ConfigException
 * naming the file, never another exception. Name lookups are switched off meanwhile
 * ({@link OfflineResolverProvider}): invented host names must not reach DNS.
 */
class ConfigLoaderFuzzTest {
    @FuzzTest
    @DictionaryEntries({"\n", " = ", "\"", "'", "[", "]", "[[", "]]", "{", "}", ",", ".", "true", "false", "data",
            "[directory]", "file", "default_domain", "[store]", "metadata", "bodies", "sync", "max_message_size",
            "channels", "\"64M\"", "\"1T\"", "[imap]", "[imaps]", "[pop3]", "[pop3s]", "[lmtp]", "[admin]", "listen",
            "enabled", "trusted_networks", "\"10.0.0.0/8\"", "\"::1\"", "\"[::]:993\"", "\":995\"", "[tls]",
            "certificate", "key", "[limits]", "max_connections", "idle_timeout", "\"30m\"", "\"2d\"", "[replication]",
            "node", "slot", "secret", "\"0123456789abcdef\"", "secret_file", "sync_timeout", "uid_block",
            "modseq_block", "[replication.peers]", "[[replication.stores]]", "name", "mode", "\"async\"", "master",
            "replicas", "\"n1/s0\"", "tls", "trust", "9223372036854775807", "-1", "1e400", "1979-05-27T07:32:00Z"})
    void parse(byte[] data) {
        String toml = new String(data, StandardCharsets.UTF_8);
        OfflineResolverProvider.offline = true;
        try {
            assertThat(ConfigLoader.parse(toml, "fuzz.toml")).isNotNull();
        } catch (ConfigException e) {
            assertThat(e.getMessage()).startsWith("fuzz.toml");
        } finally {
            OfflineResolverProvider.offline = false;
        }
    }
}
