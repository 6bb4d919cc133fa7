// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

/**
 * A cluster's record of a planned switchover: called once the replica took the store over, with
 * its epoch; writes the new master into the store map.
 */
@FunctionalInterface
public interface SwitchRecord {
    /**
     * @return null when the map names the replica master at {@code epoch}, else why it does not
     * @throws Exception when the map could not be written (the new master's node writes it then)
     */
    String record(long epoch) throws Exception;
}
