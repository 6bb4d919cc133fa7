#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two builds of Cairn ("before" and "after") under the same `cairn bench imap` load, alternated in
# one run so that the drift of a shared machine falls on both alike. One bench client (this
# tree's, with every state check) drives both servers, so both are judged by the same model.
#
#   bench/before-after.sh /path/to/old-worktree             # after = this tree
#   CLIENTS="10" DURATION=20s bench/before-after.sh ../old  # a quick look
#
# Each run gets a fresh data directory and a fresh server (`./cairn serve`, default settings,
# IMAP only), created with that tree's own `cairn user add`; the order is, per client count,
# before then after (ORDER), RUNS times. Both trees must be built (`./mvnw -o -DskipTests package
# -pl cairn-server -am`); the launcher rebuilds a stale tree itself.
#
# Settings (environment): CLIENTS ("50 200"), USERS_PER_CLIENT (2), FILL (30), RUNS (1),
# DURATION (5m), WARMUP (10s), SEED (1), NICE (19), ORDER ("before after"), WORK (directory),
# KEEP (1 keeps data), BEFORE_JAVA_OPTS / AFTER_JAVA_OPTS (each server's CAIRN_JAVA_OPTS, e.g. the
# after build's `./cairn serve --print-jvm-options` for the before build, to compare two builds
# under the same heap and collector).
# Results: a table on stdout; in $WORK/results/ every JSON report, the bench's progress lines
# with a timestamp each (the per-interval rates come from them), and /proc/loadavg every 30 s.
set -euo pipefail
after_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
before_root="$(cd "${1:?usage: bench/before-after.sh OLD-TREE}" && pwd)"
CLIENTS=${CLIENTS:-"50 200"}
USERS_PER_CLIENT=${USERS_PER_CLIENT:-2}
FILL=${FILL:-30}
RUNS=${RUNS:-1}
DURATION=${DURATION:-5m}
WARMUP=${WARMUP:-10s}
SEED=${SEED:-1}
NICE=${NICE:-19}
ORDER=${ORDER:-"before after"}  # "after before" for a second round in the other order
KEEP=${KEEP:-0}
BEFORE_JAVA_OPTS=${BEFORE_JAVA_OPTS:-}
AFTER_JAVA_OPTS=${AFTER_JAVA_OPTS:-}
PASSWORD=bench-pass
domain=example.org
WORK=${WORK:-$(mktemp -d /tmp/cairn-before-after.XXXXXX)}
mkdir -p "$WORK/results"
die() { echo "before-after: $*" >&2; exit 1; }
command -v sqlite3 >/dev/null || die "sqlite3 is needed to create the users"
command -v python3 >/dev/null || die "python3 is needed to summarise the results"
declare -A root=([before]="$before_root" [after]="$after_root")
declare -A port=([before]=${BEFORE_PORT:-31643} [after]=${AFTER_PORT:-31743})
for p in "${port[@]}"; do
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && die "port $p is in use (set BEFORE_PORT, AFTER_PORT)"
done
echo "before-after: before $(git -C "$before_root" rev-parse --short HEAD), after $(git -C "$after_root" rev-parse --short HEAD), work $WORK" >&2
"$after_root/cairn" version >/dev/null
"$before_root/cairn" version >/dev/null

server=""; sampler=""
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  [ "$KEEP" = 1 ] || rm -rf "$WORK"/data-*
}
trap cleanup EXIT

run_one() {  # which clients run
  local which=$1 clients=$2 run=$3 users=$(($2 * USERS_PER_CLIENT)) tree="${root[$1]}"
  local name="c$clients-$which-$run" data="$WORK/data-$which-c$clients-$run"
  # One user through the CLI (that tree's own hash and schema), the rest copied in SQL.
  echo "$PASSWORD" | "$tree/cairn" user add u1 --password-stdin --address "u1@$domain" --data "$data" >/dev/null
  sqlite3 "$data/directory.db" "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $users)
    INSERT INTO users (name, password_hash, created_at) SELECT 'u' || i, (SELECT password_hash FROM users WHERE name = 'u1'),
      (SELECT created_at FROM users WHERE name = 'u1') FROM n;
    WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $users)
    INSERT INTO addresses (address, user_name, is_primary) SELECT 'u' || i || '@$domain', 'u' || i, 1 FROM n;"
  local java_opts="$BEFORE_JAVA_OPTS"; [ "$which" = after ] && java_opts="$AFTER_JAVA_OPTS"
  CAIRN_JAVA_OPTS="$java_opts" nice -n "$NICE" "$tree/cairn" serve --data "$data" --imap "127.0.0.1:${port[$which]}" --lmtp off \
    --imaps off --pop3 off --pop3s off --admin off > "$WORK/results/$name.server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/${port[$which]}") 2>/dev/null && break; sleep 0.2; done
  (exec 3<>"/dev/tcp/127.0.0.1/${port[$which]}") 2>/dev/null || { cat "$WORK/results/$name.server.log" >&2; die "$which did not start"; }
  (while :; do echo "$(date +%s) $(cat /proc/loadavg)"; sleep 30; done) > "$WORK/results/$name.load" &
  sampler=$!
  echo "== $(date -u +%H:%M:%S) imap, $clients clients, run $run/$RUNS: $which (pid $server)" >&2
  nice -n "$NICE" "$after_root/cairn" bench imap --port "${port[$which]}" --user 'u%d' --password "$PASSWORD" \
    --users "$users" --clients "$clients" --fill "$FILL" --duration "$DURATION" --warmup "$WARMUP" \
    --seed "$SEED" --server-pid "$server" --json > "$WORK/results/$name.json" \
    2> >(while IFS= read -r line; do echo "$(date +%s.%N) $line"; done > "$WORK/results/$name.progress") || true
  kill "$sampler"; wait "$sampler" 2>/dev/null || true; sampler=""
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  [ "$KEEP" = 1 ] || rm -rf "$data"
  python3 - "$WORK/results/$name" <<'EOF' >&2 || true
import json, sys
r = json.load(open(sys.argv[1] + ".json"))
print("   %.0f ops/s, %d errors %s, server %.0f us/op" % (r["ops_per_second"], r["errors"], r["errors_by_kind"], r["server_cpu_us_per_op"]))
EOF
}

for clients in $CLIENTS; do
  for ((run = 1; run <= RUNS; run++)); do
    for which in $ORDER; do run_one "$which" "$clients" "$run"; done
  done
done

python3 - "$WORK/results" <<'EOF'
import glob, json, os, re, statistics, sys
results = sys.argv[1]
def interval_rates(path):
    # "[run] 20/300 s, 101234 ops, 5061 ops/s, 0 errors", each line stamped when it arrived.
    points = []
    for line in open(path):
        m = re.match(r"(\d+\.\d+) \[run\] \S+ s, (\d+) ops", line)
        if m:
            points.append((float(m.group(1)), int(m.group(2))))
    return [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(points, points[1:]) if b[0] > a[0]]
def loads(path):
    values = [float(line.split()[1]) for line in open(path) if line.strip()]
    return (min(values), statistics.median(values), max(values)) if values else (0, 0, 0)
rows = []
for path in glob.glob(os.path.join(results, "*.json")):
    name = os.path.basename(path)[:-5]
    clients, which, run = re.match(r"c(\d+)-(\w+)-(\d+)", name).groups()
    r = json.load(open(path))
    rates = interval_rates(os.path.join(results, name + ".progress"))
    lo, med, hi = loads(os.path.join(results, name + ".load"))
    kinds = ", ".join("%s %d" % kv for kv in sorted(r["errors_by_kind"].items())) or "-"
    rows.append((int(clients), int(run), which != "before", "| %s | %s | %s | %.0f | %.0f | %.2f | %.2f | %.0f | %d: %s | %.1f / %.1f / %.1f |" % (
        clients, which, run, r["ops_per_second"], statistics.median(rates) if rates else 0,
        r["p50_ms"], r["p99_ms"], r["server_cpu_us_per_op"], r["errors"], kinds, lo, med, hi)))
print("| clients | server | run | ops/s | median 10 s rate | p50 ms | p99 ms | server µs/op | errors | load 1-min min / median / max |")
print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
for row in sorted(rows):
    print(row[3])
EOF
