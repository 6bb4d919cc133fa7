// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn proxy}'s config, read by the node's loader; and a node's [proxy] section (unified mode). */
class ProxyConfigTest {
    @TempDir Path dir;

    private String proxy(String more) throws Exception {
        Files.writeString(dir.resolve("cluster.secret"), "a cluster secret of some length\n");
        return """
                data = "%s"
                [directory]
                url = "postgresql://127.0.0.1:5432/cairn"
                user = "cairn"
                password_file = "db.password"
                [cluster]
                zookeeper = "127.0.0.1:2181"
                [proxy]
                name = "proxy-1"
                secret_file = "cluster.secret"
                login_wait = "3s"
                """.formatted(dir) + more;
    }

    @Test
    void aProxysConfigIsToldFromANodesByItsProxyName() throws Exception {
        Path proxy = Files.writeString(dir.resolve("proxy.toml"), proxy(""));
        Path node = Files.writeString(dir.resolve("node.toml"), "[proxy]\nlogin_wait = \"3s\"\n"); // unified mode's [proxy]
        Path plain = Files.writeString(dir.resolve("plain.toml"), "[imap]\nlisten = \"127.0.0.1:3143\"\n");
        assertThat(ConfigLoader.isProxy(proxy)).isTrue();
        assertThat(ConfigLoader.isProxy(node)).isFalse();
        assertThat(ConfigLoader.isProxy(plain)).isFalse();
        assertThatThrownBy(() -> ConfigLoader.isProxy(dir.resolve("missing.toml"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("missing.toml");
    }

    @Test
    void aProxyConfigReadsTheSharedSectionsAsANodeDoes() throws Exception {
        ProxyConfig c = ConfigLoader.parseProxy(proxy("""
                [imap]
                listen = "127.0.0.1:3143"
                [limits]
                max_connections = 77
                """), "proxy.toml");
        assertThat(c.name()).isEqualTo("proxy-1");
        assertThat(new String(c.secret().secret())).isEqualTo("a cluster secret of some length");
        assertThat(c.shared().imap().address()).isEqualTo(new ListenAddress("127.0.0.1", 3143));
        assertThat(c.shared().limits().maxConnections()).isEqualTo(77);
        assertThat(c.shared().cluster().zookeeper()).isEqualTo("127.0.0.1:2181");
        assertThat(c.shared().relay().loginWait()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.shared().relay().connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.shared().replication()).isNull();
    }

    @Test
    void aProxyWithoutThePostgresDirectoryIsRefused() throws Exception {
        String text = proxy("").replace("url = \"postgresql://127.0.0.1:5432/cairn\"\nuser = \"cairn\"\npassword_file = \"db.password\"\n", "");
        assertThatThrownBy(() -> ConfigLoader.parseProxy(text, "proxy.toml"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("proxy.toml: directory.url: is required")
                .hasMessageContaining("PostgreSQL");
    }

    @Test
    void aProxyHoldsNoMailSoAStoreSectionIsRefused() throws Exception {
        assertThatThrownBy(() -> ConfigLoader.parseProxy(proxy("[store]\nslots = [\"s0\"]\n"), "proxy.toml"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("proxy.toml: [store]: a proxy holds no mail");
        assertThatThrownBy(() -> ConfigLoader.parseProxy(proxy("[replication]\nnode = \"n1\"\n"), "proxy.toml"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("proxy.toml: [replication]: a proxy has no slots")
                .hasMessageContaining("[proxy] secret_file");
    }

    @Test
    void aProxyNeedsItsNameTheClusterAndTheSecret() throws Exception {
        assertThatThrownBy(() -> ConfigLoader.parseProxy(proxy("").replace("name = \"proxy-1\"\n", ""), "p"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("p: proxy.name: is required");
        assertThatThrownBy(() -> ConfigLoader.parseProxy(proxy("").replace("name = \"proxy-1\"", "name = \"proxy_1\""), "p"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("proxy.name: 'proxy_1'");
        assertThatThrownBy(() -> ConfigLoader.parseProxy(proxy("").replace("secret_file = \"cluster.secret\"\n", ""), "p"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("p: proxy.secret_file: is required");
        assertThatThrownBy(() -> ConfigLoader.parseProxy(proxy("").replace("[cluster]\nzookeeper = \"127.0.0.1:2181\"\n", ""), "p"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("p: [cluster]: is required");
        Files.writeString(dir.resolve("short.secret"), "too short");
        assertThatThrownBy(() -> ConfigLoader.parseProxy(proxy("").replace("cluster.secret", "short.secret"), "p"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("at least 16 characters");
    }

    @Test
    void aNodesProxySectionTakesTheRelayKeysOnly() {
        NodeConfig n = ConfigLoader.parse("[proxy]\nconnect_timeout = \"2s\"\nlogin_wait = 0\n", "node.toml");
        assertThat(n.relay()).isEqualTo(new RelaySettings(Duration.ofSeconds(2), Duration.ZERO, null));
        assertThat(ConfigLoader.parse("", "node.toml").relay()).isEqualTo(RelaySettings.DEFAULT);
        assertThatThrownBy(() -> ConfigLoader.parse("[proxy]\nname = \"p\"\n", "node.toml"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("node.toml: proxy.name: unknown key")
                .hasMessageContaining("is for `cairn proxy`");
        assertThatThrownBy(() -> ConfigLoader.parse("[proxy]\nlogin_wait = \"3m\"\n", "node.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("proxy.login_wait: must be at most 2m");
    }
}
