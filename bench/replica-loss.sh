#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Replica loss at the issue's figure (issue 19): ReplicaLossIT's two-node run (real `cairn serve`
# processes, LMTP from 8 connections, the replica killed with SIGKILL under load) with 100,000
# deliveries, async then sync, with the default uid_block, modseq_block and degraded_uid_window
# as an operator runs them. Every delivery must get 250 (0 failures), the restarted replica must
# catch up and the store leave degraded mode by itself, and `cairn replica verify` must find both
# copies identical. Prints the test's figures (deliveries/s while degraded, the slowest delivery,
# the catch-up time). Takes many minutes; not part of CI.
#
#   bench/replica-loss.sh                       # 100,000 deliveries, default tuning
#   DELIVERIES=20000 SMALL_BLOCKS=1 bench/replica-loss.sh   # CI's small blocks and window
#
# Settings (environment): DELIVERIES (100000), SMALL_BLOCKS (0: the defaults; 1: uid_block 20,
# modseq_block 40, degraded_uid_window 200, so every INBOX gets a new UIDVALIDITY), TIMEOUT ("60 m").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
DELIVERIES=${DELIVERIES:-100000}
SMALL_BLOCKS=${SMALL_BLOCKS:-0}
TIMEOUT=${TIMEOUT:-60 m}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export MAVEN_OPTS=${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}
export CAIRN_REPLICA_LOSS_DELIVERIES="$DELIVERIES"
if [ "$SMALL_BLOCKS" = 1 ]; then export CAIRN_REPLICA_LOSS_DEFAULT_TUNING=false; else export CAIRN_REPLICA_LOSS_DEFAULT_TUNING=true; fi
log="$(mktemp -t replica-loss.XXXXXX)"
status=0
./mvnw -B -o -P '!fuzz' verify -pl cairn-server -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test='ReplicaLossIT#aKilledReplicaFailsNoDeliveryTheMasterRunsDegradedAndTheStoreIsBackInSyncByItself' \
  -Dfailsafe.failIfNoSpecifiedTests=false -Dcairn.it.timeout="$TIMEOUT" >"$log" 2>&1 || status=$?
out="cairn-server/target/failsafe-reports/dev.cairn.server.ReplicaLossIT-output.txt"
{ cat "$log"; [ -f "$out" ] && cat "$out"; } | grep -E '^ReplicaLossIT |Tests run:.*ReplicaLossIT|FAIL' | sort -u || true
echo "replica-loss.sh: exit $status (full output: $log)"
exit "$status"
