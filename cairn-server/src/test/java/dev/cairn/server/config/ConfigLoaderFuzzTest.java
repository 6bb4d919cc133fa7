// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Config files as an operator may mistype them: TOML text gives a config or a ConfigException
 * naming the file, never another exception. Name lookups are switched off meanwhile
 * ({@link OfflineResolverProvider}): invented host names must not reach DNS.
 */
class ConfigLoaderFuzzTest {
    @FuzzTest
    @DictionaryFile(resourcePath = "/dev/cairn/server/config/ConfigLoaderFuzzTest.dict")
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
