#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A large user copied whole (resync) between two `cairn serve` processes with a small heap:
# StreamedResyncIT's first test (cairn-server) at a size CI does not run (CI: 128 MiB against
# -Xmx64m). Prints the test's line (size, heap, the master's summary of the copy: parts, bodies,
# bytes) and how long it took.
#
#   bench/resync.sh                        # 1024 MiB of mail, both nodes -Xmx128m
#   MIB=512 HEAP=96m bench/resync.sh
#
# Runs under flock /work/wt/bench.lock when that file exists (one benchmark at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${MIB:-1024}
HEAP=${HEAP:-128m}
export CAIRN_RESYNC_MIB=$MIB CAIRN_RESYNC_HEAP=$HEAP
cmd=(./mvnw -B -q -o -P '!fuzz' verify -pl cairn-server -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
     -Dit.test='StreamedResyncIT#aUserLargerThanTheHeapIsCopiedBetweenNodesOfThatHeap' -Dfailsafe.failIfNoSpecifiedTests=false
     -Dcairn.it.timeout="60 m")
start=$(date +%s)
if [ -e /work/wt/bench.lock ]; then flock -o /work/wt/bench.lock "${cmd[@]}"; else "${cmd[@]}"; fi
echo "resync: ${MIB} MiB at -Xmx${HEAP}: $(( $(date +%s) - start )) s in all (delivery, copy, verify); see the StreamedResyncIT line above"
