#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Does one user's costliest IMAP cost everyone else? (issue 15)
#
# Starts one Cairn node on loopback (non-default ports, a fresh data directory), adds two
# attacking users and a victim, and runs `cairn bench fairness`: the attackers loop over the
# costliest LIST, SEARCH TEXT, THREAD REFERENCES and FETCH of everything they can build, over
# COMPRESS=DEFLATE, while the victim logs in, selects INBOX and fetches, in a loop. Prints the
# victim's latency per loop, then stops the node. Takes a few minutes; not part of CI.
#
#   bench/fairness.sh                                     # this tree's server
#   SERVER_TREE=/tmp/cairn-main bench/fairness.sh         # another checkout's server, the same load
#   DURATION=30s bench/fairness.sh --stars 9 --name-length 40   # options go to `cairn bench fairness`
#
# Settings (environment): SERVER_TREE (this tree), IMAP_PORT (24143), LMTP_PORT (24024),
# DURATION (60s), WARMUP (5s), WORK (a temp directory), KEEP (1 keeps it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
SERVER_TREE=${SERVER_TREE:-$root}
IMAP_PORT=${IMAP_PORT:-24143}
LMTP_PORT=${LMTP_PORT:-24024}
DURATION=${DURATION:-60s}
WARMUP=${WARMUP:-5s}
WORK=${WORK:-$(mktemp -d /tmp/cairn-fairness.XXXXXX)}
PASSWORD=fairness-secret
die() { echo "fairness.sh: $*" >&2; exit 1; }

server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$server_pid" 2>/dev/null || true  # a node whose carriers are stuck may not stop
    wait "$server_pid" 2>/dev/null || true
  fi
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

(exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null && die "port $IMAP_PORT is in use (set IMAP_PORT)"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
./mvnw -B -q -DskipTests -Dmaven.test.skip=true package -pl cairn-bench -am >&2
"$SERVER_TREE/cairn" version >/dev/null  # builds that tree's server if needed

data="$WORK/data"
mkdir -p "$data"
for user in a1 a2 v1; do
  echo "$PASSWORD" | "$SERVER_TREE/cairn" user add "$user" --password-stdin --address "$user@example.org" --data "$data" >/dev/null
done
"$SERVER_TREE/cairn" serve --data "$data" --imap "127.0.0.1:$IMAP_PORT" --lmtp "127.0.0.1:$LMTP_PORT" \
  --imaps off --pop3 off --pop3s off --admin off > "$WORK/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null && break; sleep 0.2; done
(exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null || { cat "$WORK/server.log" >&2; die "the server did not start"; }

echo "server: $SERVER_TREE ($(git -C "$SERVER_TREE" rev-parse --short HEAD 2>/dev/null || echo "not a git checkout")), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$JAVA_HOME/bin/java" ${BENCH_JAVA_OPTS:-} -cp "cairn-bench/target/cairn-bench.jar:cairn-bench/target/lib/*" dev.cairn.bench.BenchMain fairness \
  --port "$IMAP_PORT" --attackers a1,a2 --victim v1 --password "$PASSWORD" --duration "$DURATION" --warmup "$WARMUP" "$@"
echo "server log: $(grep -c . "$WORK/server.log") lines, $(du -k "$WORK/server.log" | cut -f1) KiB" >&2
