#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Online user move of a large user under continuous LMTP deliveries (issue 20, must-show 5):
# OnlineUserMoveIT (cairn-server) at a size CI does not run. A real three-server ZooKeeper
# ensemble, a real PostgreSQL directory, two `cairn serve` nodes crosswise (n1 masters s1 and
# replicates s2, n2 the reverse); alice has MESSAGES messages of about BODY bytes in three
# mailboxes and moves from s1 to s2. Prints the move's own line (copy, records followed, how long
# her writes were held, total) and the deliveries' (acknowledged, 451 answers, failures, longest
# answer); the test fails on a failed delivery or any difference in the mailboxes.
#
#   bench/user-move.sh                         # 10,000 messages of about 4 KiB
#   MESSAGES=2000 BODY=20000 bench/user-move.sh
#
# Runs under flock /work/wt/bench.lock when that file exists (one benchmark at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
export CAIRN_MOVE_MESSAGES=${MESSAGES:-10000} CAIRN_MOVE_BODY=${BODY:-4096}
cmd=(./mvnw -B -q -o -P '!fuzz' verify -pl cairn-server -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
     -Dit.test='OnlineUserMoveIT' -Dfailsafe.failIfNoSpecifiedTests=false -Dcairn.it.timeout="30 m")
start=$(date +%s)
status=0
if [ -e /work/wt/bench.lock ]; then flock -o /work/wt/bench.lock "${cmd[@]}" || status=$?; else "${cmd[@]}" || status=$?; fi
grep -h 'cairn user move:\|deliveries:\|old messages' cairn-server/target/failsafe-reports/dev.cairn.server.OnlineUserMoveIT-output.txt || true
echo "user move: ${CAIRN_MOVE_MESSAGES} messages of ~${CAIRN_MOVE_BODY} bytes: $(( $(date +%s) - start )) s in all (build, setup, move, checks); exit ${status}"
exit $status
