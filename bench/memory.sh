#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The memory of a default `./cairn serve` under `cairn bench imap`, two builds alternated.
#
# For each round and each build (old, new; the order swapped every round, so drift of the
# machine hits both alike): a fresh data directory with the users, a default `./cairn serve` of
# that build (only the IMAP port moved), then the IMAP load at each client count in turn on that
# one server, its VmRSS and VmHWM (/proc/PID/status) sampled every second. Prints a table per
# client count: peak RSS (VmHWM at the end of the phase), steady RSS (median VmRSS over the
# second half of the measured time), ops/s and the server's CPU per operation.
#
#   bench/memory.sh OLD_ROOT NEW_ROOT        # two checkouts, each with a built ./cairn
#   CLIENTS="50" DURATION=60s ROUNDS=1 bench/memory.sh ../old .     # a quick look
#
# Settings (environment): CLIENTS ("50 200"), DURATION (5m), WARMUP (10s), ROUNDS (2),
# USERS_PER_CLIENT (2), FILL (30), SEED (1), PORT (24143), WORK (directory; results stay there).
# The load generator is NEW_ROOT's `cairn bench`, for both builds.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: bench/memory.sh OLD_ROOT NEW_ROOT" >&2; exit 2; }
old="$(cd "$1" && pwd)"; new="$(cd "$2" && pwd)"
CLIENTS=${CLIENTS:-"50 200"}
DURATION=${DURATION:-5m}
WARMUP=${WARMUP:-10s}
ROUNDS=${ROUNDS:-2}
USERS_PER_CLIENT=${USERS_PER_CLIENT:-2}
FILL=${FILL:-30}
SEED=${SEED:-1}
PORT=${PORT:-24143}
PASSWORD=bench-pass
WORK=${WORK:-$(mktemp -d /tmp/cairn-memory.XXXXXX)}
mkdir -p "$WORK/results"
die() { echo "memory: $*" >&2; exit 1; }
command -v sqlite3 >/dev/null || die "sqlite3 is needed (apt-get install sqlite3)"

max_clients=0
for c in $CLIENTS; do [ "$c" -gt "$max_clients" ] && max_clients=$c; done
USERS=$((max_clients * USERS_PER_CLIENT))

server=""; sampler=""
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

"$old/cairn" version >/dev/null && "$new/cairn" version >/dev/null  # builds them if needed
echo "memory: work directory $WORK; old $old ($(git -C "$old" rev-parse --short HEAD)), new $new" \
  "($(git -C "$new" rev-parse --short HEAD)); clients $CLIENTS, $ROUNDS rounds of $DURATION after $WARMUP" >&2

# One user through the CLI (Cairn's own Argon2id hash), the others copied in SQL.
make_users() {  # root data
  echo "$PASSWORD" | "$1/cairn" user add u1 --password-stdin --address u1@example.org --data "$2" >/dev/null
  sqlite3 "$2/directory.db" "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS)
    INSERT INTO users (name, password_hash, created_at) SELECT 'u' || i, (SELECT password_hash FROM users WHERE name = 'u1'),
      (SELECT created_at FROM users WHERE name = 'u1') FROM n;
    WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS)
    INSERT INTO addresses (address, user_name, is_primary) SELECT 'u' || i || '@example.org', 'u' || i, 1 FROM n;"
}

sample() {  # pid file: "epoch-seconds VmRSS-kB VmHWM-kB" every second while the process lives
  while [ -r "/proc/$1/status" ]; do
    awk -v t="$(date +%s)" '/^VmRSS/ {r = $2} /^VmHWM/ {h = $2} END {if (r) print t, r, h}' "/proc/$1/status" >> "$2" 2>/dev/null || true
    sleep 1
  done
}

for ((round = 1; round <= ROUNDS; round++)); do
  order="old new"; [ $((round % 2)) -eq 0 ] && order="new old"
  for build in $order; do
    root=$old; [ "$build" = new ] && root=$new
    data="$WORK/data-$build-$round"
    rm -rf "$data"; mkdir -p "$data"
    make_users "$root" "$data"
    # A default node: nothing but the data directory and the port differ from `./cairn serve`.
    "$root/cairn" serve --data "$data" --imap "127.0.0.1:$PORT" --pop3 off --lmtp off --admin off \
      > "$WORK/serve-$build-$round.log" 2>&1 &
    server=$!   # the launcher execs java: this is the JVM's pid
    for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || { cat "$WORK/serve-$build-$round.log" >&2; die "$build did not start"; }
    rss="$WORK/results/rss-$build-$round.txt"
    sample "$server" "$rss" & sampler=$!
    for clients in $CLIENTS; do
      echo "== round $round, $build, $clients clients ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
      start=$(date +%s)
      "$new/cairn" bench imap --port "$PORT" --user 'u%d' --password "$PASSWORD" --users $((clients * USERS_PER_CLIENT)) \
        --clients "$clients" --fill "$FILL" --duration "$DURATION" --warmup "$WARMUP" --seed "$SEED" \
        --server-pid "$server" --no-progress --json > "$WORK/results/imap-c$clients-$build-$round.json" || true
      end=$(date +%s)
      echo "$clients $start $end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$WORK/results/phases-$build-$round.txt"
      python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("   %.0f ops/s, %s errors, server %.0f us/op" % (r["ops_per_second"], r["errors"], r["server_cpu_us_per_op"]))' \
        "$WORK/results/imap-c$clients-$build-$round.json" >&2 || true
    done
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; sampler=""
    rm -rf "$data"
  done
done

echo
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
  "$(free -g | awk '/Mem:/ {print $2}') GiB RAM ($(uname -r))"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); old $(git -C "$old" rev-parse --short HEAD), new $(git -C "$new" rev-parse --short HEAD);" \
  "runs of $DURATION after $WARMUP warm-up, $USERS_PER_CLIENT users a client, $FILL messages each"
python3 - "$WORK/results" "$ROUNDS" "$CLIENTS" <<'EOF'
import json, os, statistics, sys
results, rounds, clients = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
print("\n| clients | build | round | peak RSS MiB | steady RSS MiB | ops/s | server CPU us/op | errors | load avg (1 min, at end) |")
print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
summary = {}
for c in clients:
    for build in ("old", "new"):
        for r in range(1, rounds + 1):
            try:
                rep = json.load(open(f"{results}/imap-c{c}-{build}-{r}.json"))
                samples = [tuple(map(int, l.split())) for l in open(f"{results}/rss-{build}-{r}.txt") if l.strip()]
                phase = next(l.split() for l in open(f"{results}/phases-{build}-{r}.txt") if l.split()[0] == c)
            except (OSError, ValueError, StopIteration):
                continue
            start, end = int(phase[1]), int(phase[2])
            inside = [s for s in samples if start <= s[0] <= end]
            if not inside:
                continue
            peak = max(s[2] for s in inside) / 1024
            half = [s[1] for s in inside if s[0] >= (start + end) / 2]
            steady = statistics.median(half) / 1024 if half else float("nan")
            summary.setdefault((c, build), []).append((peak, steady, rep["ops_per_second"], rep["server_cpu_us_per_op"]))
            print(f"| {c} | {build} | {r} | {peak:.0f} | {steady:.0f} | {rep['ops_per_second']:.0f} | {rep['server_cpu_us_per_op']:.0f} | {rep['errors']} | {phase[3]} |")
print("\n| clients | peak RSS MiB old → new (max) | steady RSS MiB old → new (median) | ops/s old → new (median) | new ÷ old | server us/op old → new |")
print("| ---: | --- | --- | --- | ---: | --- |")
for c in clients:
    o, n = summary.get((c, "old")), summary.get((c, "new"))
    if not o or not n:
        continue
    m = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"| {c} | {max(x[0] for x in o):.0f} → {max(x[0] for x in n):.0f} | {m(o,1):.0f} → {m(n,1):.0f} | "
          f"{m(o,2):.0f} → {m(n,2):.0f} | {m(n,2) / m(o,2):.2f} | {m(o,3):.0f} → {m(n,3):.0f} |")
EOF
echo "(raw results: $WORK/results)"
