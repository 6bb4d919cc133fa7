#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 20, must-show 1: kill -9 of a cluster's master node under LMTP and IMAP load, ROUNDS times
# (ClusterFailoverRoundsIT, which runs only when this script sets CAIRN_FAILOVER_ROUNDS). A real
# three-server ZooKeeper ensemble (separate JVMs), two `cairn serve` nodes, store s1 (sync,
# degrade), two LMTP deliverers and two QRESYNC IMAP clients following the master all along. Each
# round: kill -9 of the current master's node, the time until the first 250 on the new master,
# the killed node restarted and waited for until the store record lists it in in_sync again. At the
# end: 0 acknowledged messages lost (every 250's Message-ID present once on the master), 0 UIDs
# reused (no UID the QRESYNC clients saw under a UIDVALIDITY named two messages); prints p50/p99 of
# the failover times and the session timeout used. Not part of CI; about 25 s a round.
#
#   bench/cluster-failover.sh                     # 50 rounds, session timeout 4 s
#   ROUNDS=5 bench/cluster-failover.sh
#   SESSION_TIMEOUT=10s bench/cluster-failover.sh
#
# Run it alone on the machine (flock -o /work/wt/bench.lock bench/cluster-failover.sh on a shared one).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CAIRN_FAILOVER_ROUNDS=${ROUNDS:-50}
export CAIRN_FAILOVER_SESSION_TIMEOUT=${SESSION_TIMEOUT:-4s}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export MAVEN_OPTS=${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}
log="$(mktemp -t cluster-failover.XXXXXX)"
status=0
./mvnw -B -o -P '!fuzz' verify -pl cairn-server -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test='ClusterFailoverRoundsIT' -Dfailsafe.failIfNoSpecifiedTests=false >"$log" 2>&1 || status=$?
out="cairn-server/target/failsafe-reports/dev.cairn.server.ClusterFailoverRoundsIT-output.txt"
{ cat "$log"; [ -f "$out" ] && cat "$out"; } | grep -E '^ClusterFailoverRoundsIT|Tests run:.*ClusterFailoverRoundsIT|FAIL|Expecting|lost|reused' | awk '!seen[$0]++' || true
echo "cluster-failover.sh: exit $status (full output: $log)"
exit "$status"
