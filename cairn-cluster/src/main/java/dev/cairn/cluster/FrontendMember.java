// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A front-end's presence in the cluster ({@code cairn proxy}, issue 21): one ZooKeeper session, its
 * registration {@code frontends/<name>} (ephemeral; Curator writes it again on a new session) and a
 * {@link ClusterObserver} over the same client, which is all a front-end reads (where users' stores
 * are mastered). It writes nothing else and takes part in no election.
 */
public final class FrontendMember implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FrontendMember.class);

    private final ClusterConfig config;
    private final ClusterPaths paths;
    private final FrontendRecord self;
    private final CuratorFramework client;
    private final ClusterObserver observer;
    private PersistentNode registration;

    public FrontendMember(ClusterConfig config, FrontendRecord self) {
        this.config = config;
        this.paths = new ClusterPaths(config.root());
        this.self = self;
        this.client = CuratorFrameworkFactory.builder().connectString(config.zookeeper())
                .sessionTimeoutMs(Math.toIntExact(config.sessionTimeout().toMillis()))
                .connectionTimeoutMs(Math.toIntExact(config.connectionTimeout().toMillis()))
                .retryPolicy(new ExponentialBackoffRetry(100, 3)).build();
        this.observer = new ClusterObserver(client, false, paths);
    }

    /** Connects, registers and starts watching; fails when the ensemble is not reachable within the connection timeout. */
    public void start() throws Exception {
        client.start();
        if (!client.blockUntilConnected(Math.toIntExact(config.connectionTimeout().toMillis()), TimeUnit.MILLISECONDS))
            throw new IOException("ZooKeeper " + config.zookeeper() + " not reachable within " + config.connectionTimeout());
        observer.start();
        registration = new PersistentNode(client, CreateMode.EPHEMERAL, false, paths.frontend(self.name()), RecordCodec.encode(self));
        registration.start();
        if (!registration.waitForInitialCreate(config.connectionTimeout().toMillis(), TimeUnit.MILLISECONDS))
            throw new IOException("could not register " + paths.frontend(self.name()) + " within " + config.connectionTimeout());
        log.info("front-end {} registered at {}{}: {}", self.name(), config.zookeeper(), config.root(), self.addresses());
    }

    /** The cluster as this front-end last saw it (never waits for the ensemble). */
    public ClusterObserver observer() { return observer; }

    public FrontendRecord self() { return self; }

    /** Leaves: the registration goes at once when connected (else with the session), then the client. */
    @Override public void close() {
        if (registration != null) {
            try {
                registration.close();
            } catch (IOException | RuntimeException e) {
                // the session's end removes it
            }
        }
        observer.close();
        client.close();
    }
}
