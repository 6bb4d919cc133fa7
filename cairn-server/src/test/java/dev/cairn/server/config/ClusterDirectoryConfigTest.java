// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.directory.PostgresDirectory;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code [directory] url}: the cluster's PostgreSQL directory, its keys and their errors. */
class ClusterDirectoryConfigTest {
    private static final String URL = "[directory]\nurl = \"postgresql://db.example.org:5432/cairn\"\n";

    @Test
    void withoutAUrlTheNodeKeepsItsSqliteFile() {
        assertThat(ConfigLoader.parse("", "c").directory().postgres()).isEmpty();
        assertThat(ConfigLoader.parse("[directory]\nfile = \"d.db\"", "c").directory().postgres()).isEmpty();
    }

    @Test
    void readsTheUrlUserPasswordFilePoolSizeAndTimeout() {
        PostgresDirectory.Settings s = ConfigLoader.parse("data = \"/var/lib/cairn\"\n" + URL
                + "user = \"cairn\"\npassword_file = \"directory.password\"\npool_size = 16\ntimeout = \"5s\"\n", "c")
                .directory().postgres().orElseThrow();
        assertThat(s).isEqualTo(new PostgresDirectory.Settings("postgresql://db.example.org:5432/cairn", "cairn",
                Path.of("/var/lib/cairn/directory.password"), 16, Duration.ofSeconds(5)));
        PostgresDirectory.Settings defaults = ConfigLoader.parse(URL + "user = \"cairn\"\npassword_file = \"/etc/cairn/pw\"\n", "c")
                .directory().postgres().orElseThrow();
        assertThat(defaults.poolSize()).isEqualTo(PostgresDirectory.Settings.DEFAULT_POOL_SIZE);
        assertThat(defaults.timeout()).isEqualTo(PostgresDirectory.Settings.DEFAULT_TIMEOUT);
        assertThat(defaults.passwordFile()).isEqualTo(Path.of("/etc/cairn/pw"));
        assertThat(ConfigLoader.parse("[directory]\nurl = \"postgresql://db:5432/cairn?ssl=true\"\nuser = \"u\"\npassword_file = \"p\"", "c")
                .directory().postgres()).map(PostgresDirectory.Settings::url).contains("postgresql://db:5432/cairn?ssl=true");
    }

    @Test
    void refusesWhatCannotWork() {
        assertThatThrownBy(() -> ConfigLoader.parse(URL + "password_file = \"p\"", "c"))
                .hasMessage("c: directory.user: needed with directory.url");
        assertThatThrownBy(() -> ConfigLoader.parse(URL + "user = \"u\"", "c"))
                .hasMessageContaining("directory.password_file: needed with directory.url");
        // The password itself is never in the config.
        assertThatThrownBy(() -> ConfigLoader.parse(URL + "user = \"u\"\npassword = \"secret\"", "c"))
                .hasMessageContaining("directory.password: unknown key");
        assertThatThrownBy(() -> ConfigLoader.parse("[directory]\nuser = \"u\"", "c"))
                .hasMessage("c: directory.user: only with directory.url (a PostgreSQL directory)");
        assertThatThrownBy(() -> ConfigLoader.parse("[directory]\nurl = \"mysql://db/cairn\"\nuser = \"u\"\npassword_file = \"p\"", "c"))
                .hasMessageContaining("is not postgresql://HOST:PORT/DATABASE");
        assertThatThrownBy(() -> ConfigLoader.parse(URL + "user = \"u\"\npassword_file = \"p\"\npool_size = 0", "c"))
                .hasMessageContaining("directory.pool_size: 0 is not between 1 and 1000");
        assertThat(ConfigLoader.parse(URL + "user = \"u\"\npassword_file = \"p\"\npool_size = 1", "c").directory().postgres())
                .map(PostgresDirectory.Settings::poolSize).contains(1);
        assertThatThrownBy(() -> ConfigLoader.parse(URL + "user = \"u\"\npassword_file = \"p\"\ntimeout = \"0s\"", "c"))
                .hasMessageContaining("directory.timeout: must be between 250ms and 60s");
    }
}
