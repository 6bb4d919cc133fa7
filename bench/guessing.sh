#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Password guessing against a real `cairn serve` (issue 15, item 4): CONNECTIONS connections
# from 127.0.0.1 (half IMAP, half POP3) guess alice's password as fast as they are answered,
# while LOGINS legitimate users (u1..uN, each once, a full Argon2id check each) log in from
# 127.0.0.2. Prints the guesses the server checked per second and the logins' median and p99.
# Takes about DURATION + 30 s; not part of CI. Loopback only.
#
#   bench/guessing.sh                                   # this checkout's server
#   SERVER=/path/to/other/checkout/cairn bench/guessing.sh   # another build's server, same client
#
# Settings (environment): CONNECTIONS (1500), LOGINS (20), DURATION (60), WARMUP (5),
# IMAP_PORT (38143), POP3_PORT (38110), ADMIN_PORT (38180; /metrics counts the checks server-side), WORK (a temporary directory, removed unless KEEP=1).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER=${SERVER:-$root/cairn}
CONNECTIONS=${CONNECTIONS:-1500}
LOGINS=${LOGINS:-20}
DURATION=${DURATION:-60}
WARMUP=${WARMUP:-5}
IMAP_PORT=${IMAP_PORT:-38143}
POP3_PORT=${POP3_PORT:-38110}
ADMIN_PORT=${ADMIN_PORT:-38180}
WORK=${WORK:-$(mktemp -d /tmp/cairn-guessing.XXXXXX)}

# each connection is a descriptor on both sides
ulimit -n "$(( CONNECTIONS * 2 + 1000 > $(ulimit -n) ? CONNECTIONS * 2 + 1000 : $(ulimit -n) ))"

echo "guessing.sh: users in $WORK/data" >&2
echo "alice's real password, never guessed" | "$SERVER" user add --data "$WORK/data" --password-stdin alice >/dev/null
for i in $(seq 1 "$LOGINS"); do
  echo guessing-bench | "$SERVER" user add --data "$WORK/data" --password-stdin "u$i" >/dev/null
done

server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

"$SERVER" serve --data "$WORK/data" --imap "127.0.0.1:$IMAP_PORT" --pop3 "127.0.0.1:$POP3_PORT" \
  --lmtp off --admin "127.0.0.1:$ADMIN_PORT" >"$WORK/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  grep -q "pop3: listening" "$WORK/server.log" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.5
done

"$root/cairn" bench guess --imap-port "$IMAP_PORT" --pop3-port "$POP3_PORT" --connections "$CONNECTIONS" \
  --target alice --user 'u%d' --password guessing-bench --logins "$LOGINS" --duration "$DURATION" --warmup "$WARMUP" \
  --metrics "http://127.0.0.1:$ADMIN_PORT/metrics"
