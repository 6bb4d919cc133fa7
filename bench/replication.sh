#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Replication benchmark (issue 5) over loopback, against real `cairn serve` processes: a master
# node and a replica node, each with its own data directory and config, durable commits (synced
# WAL) as shipped. Load comes from `cairn bench` (every reply checked).
#
# For each configuration (no replica, async, sync), RUNS times in turn:
#   - LMTP deliveries/s and latency: LMTP_CONNECTIONS connections, one recipient each, messages
#     of LMTP_SIZE bytes, USERS users;
#   - IMAP APPEND latency (median, p99): IMAP_CLIENTS clients appending messages of LMTP_SIZE bytes.
# Before measuring, every user's INBOX gets a message (IMAP, so each user is created, and with a
# replica holds its first UID/MODSEQ reservation, outside the measured part).
# Then, async: replication lag at half the async maximum (LMTP paced with --rate), from the
# master's histogram of commit-to-acknowledgement times (cairn_replication_delay_seconds, the
# difference of its buckets before and after the run); and the time a replica that was stopped
# (SIGSTOP) while CATCHUP_CHANGES small deliveries were made needs, after SIGCONT, until the
# master has its acknowledgement of every change (cairn_replication_lag_changes = 0).
# Takes several minutes; not part of CI or `./cairn test`.
#
#   bench/replication.sh                                  # the issue's profile, 3 runs
#   RUNS=1 DURATION=10s CATCHUP_CHANGES=20000 bench/replication.sh   # a quick look
#
# Settings (environment): RUNS (3), DURATION (20s), WARMUP (5s), USERS (1000), LMTP_CONNECTIONS (32),
# IMAP_CLIENTS (32), LMTP_SIZE (10240), LAG_DURATION (30s), CATCHUP_CHANGES (100000),
# CONFIGS ("none async sync"), CHANNELS (8), SEED (1), KEEP (1 keeps the work directory), WORK,
# PIN (see below).
#
# PIN=1 gives each node a core of its own, as on separate machines: n1 (the master, and the only
# node of "no replica") runs on CPU 0 alone; n2 (the replica) and the load generator share CPU 1,
# in every configuration alike. Without it (the default) both nodes and the load generator share
# every core, so a replica's work is taken from the master's CPU: that measures co-location on one
# machine, not replication. N1_CPUS / N2_CPUS / LOAD_CPUS choose other CPU lists (taskset -c).
# Results: one table on stdout, every raw JSON report and node log in $WORK.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

RUNS=${RUNS:-3}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
USERS=${USERS:-1000}
LMTP_CONNECTIONS=${LMTP_CONNECTIONS:-32}
IMAP_CLIENTS=${IMAP_CLIENTS:-32}
LMTP_SIZE=${LMTP_SIZE:-10240}
LAG_DURATION=${LAG_DURATION:-30s}
CATCHUP_CHANGES=${CATCHUP_CHANGES:-100000}
CONFIGS=${CONFIGS:-"none async sync"}
CHANNELS=${CHANNELS:-8}
SEED=${SEED:-1}
KEEP=${KEEP:-0}
PIN=${PIN:-0}
if [ "$PIN" = 1 ]; then
  N1_CPUS=${N1_CPUS:-0}; N2_CPUS=${N2_CPUS:-1}; LOAD_CPUS=${LOAD_CPUS:-1}
  command -v taskset >/dev/null 2>&1 || { echo "replication.sh: PIN=1 needs taskset (util-linux)" >&2; exit 1; }
fi
PASSWORD=bench-pass
SECRET="replication benchmark cluster secret"
domain=example.org
die() { echo "replication.sh: $*" >&2; exit 1; }

command -v python3 >/dev/null 2>&1 || die "python3 is needed"
command -v sqlite3 >/dev/null 2>&1 || die "sqlite3 is needed (apt-get install sqlite3)"
command -v curl >/dev/null 2>&1 || die "curl is needed"

WORK=${WORK:-$(mktemp -d /tmp/cairn-replbench.XXXXXX)}
mkdir -p "$WORK/results"
echo "replication.sh: work directory $WORK; $RUNS runs of $DURATION; configs: $CONFIGS" >&2

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$KEEP" = 1 ] || rm -rf "$WORK"/*/n1 "$WORK"/*/n2 "$WORK/lib"
}
trap cleanup EXIT

./cairn version >/dev/null  # builds the server (with `cairn bench`) if needed
# A copy of the build: sources edited meanwhile must not rebuild (or change) it in the middle of a run.
mkdir -p "$WORK/lib"
cp cairn-server/target/cairn-server.jar cairn-server/target/lib/*.jar "$WORK/lib/"
java_home=""
for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do
  if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ]; then java_home=$candidate; break; fi
done
[ -n "$java_home" ] || die "no JDK 25 found (set JAVA_HOME)"
# An array, not a function: `"${cairn[@]}" serve ... &` must leave the JVM's own pid in $! (to stop,
# SIGSTOP and measure it), not that of a subshell running a function.
# shellcheck disable=SC2206
cairn=("$java_home/bin/java" --enable-native-access=ALL-UNNAMED ${CAIRN_JAVA_OPTS:-} -cp "$WORK/lib/*" dev.cairn.server.Main)
# taskset execs the JVM, so $! stays the JVM's pid.
pinned() {  # n1|n2|load: the command prefix that pins it (nothing without PIN=1)
  [ "$PIN" = 1 ] || return 0
  case $1 in n1) echo taskset -c "$N1_CPUS" ;; n2) echo taskset -c "$N2_CPUS" ;; *) echo taskset -c "$LOAD_CPUS" ;; esac
}
# A free port below the ephemeral range (an ephemeral one may be taken by any outgoing connection,
# e.g. the load generator's, before the node binds it).
free_port() {
  python3 -c 'import random, socket
while True:
    p = random.randrange(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()'
}
load_avg() { cut -d' ' -f1 /proc/loadavg; }

# --- nodes --------------------------------------------------------------------------------
declare -A port pid
# config NAME MODE: writes $WORK/NAME/{n1,n2}.toml (mode none: n1 alone, no replication section)
config() {
  local name=$1 mode=$2 n
  mkdir -p "$WORK/$name"
  for n in n1 n2; do
    for p in imap lmtp admin repl; do port[$name-$n-$p]=$(free_port); done
  done
  for n in n1 n2; do
    {
      cat <<EOF
data = "$WORK/$name/$n"
[store]
channels = $CHANNELS
[imap]
listen = "127.0.0.1:${port[$name-$n-imap]}"
[lmtp]
listen = "127.0.0.1:${port[$name-$n-lmtp]}"
[admin]
listen = "127.0.0.1:${port[$name-$n-admin]}"
[pop3]
enabled = false
EOF
      if [ "$mode" != none ]; then
        cat <<EOF
[replication]
node = "$n"
slot = "s0"
listen = "127.0.0.1:${port[$name-$n-repl]}"
secret = "$SECRET"
sync_timeout = "2s"
[replication.peers]
n1 = "127.0.0.1:${port[$name-n1-repl]}"
n2 = "127.0.0.1:${port[$name-n2-repl]}"
[[replication.stores]]
name = "s1"
mode = "$mode"
master = "n1/s0"
replicas = ["n2/s0"]
EOF
      fi
    } > "$WORK/$name/$n.toml"
  done
}

# users NAME NODE: u1..u$USERS with one password hash (u1 through the CLI, the rest copied in SQL)
users() {
  local cfg="$WORK/$1/$2.toml" db="$WORK/$1/$2/directory.db"
  echo "$PASSWORD" | "${cairn[@]}" user add u1 --password-stdin --address "u1@$domain" --config "$cfg" >/dev/null
  sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS)
    INSERT INTO users (name, password_hash, created_at) SELECT 'u' || i, (SELECT password_hash FROM users WHERE name = 'u1'),
      (SELECT created_at FROM users WHERE name = 'u1') FROM n;
    WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS)
    INSERT INTO addresses (address, user_name, is_primary) SELECT 'u' || i || '@$domain', 'u' || i, 1 FROM n;"
}

start() {  # NAME NODE
  local name=$1 n=$2
  $(pinned "$n") "${cairn[@]}" serve --config "$WORK/$name/$n.toml" > "$WORK/$name/$n.log" 2>&1 &
  pids+=($!)
  pid[$name-$n]=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:${port[$name-$n-admin]}/health" >/dev/null 2>&1 && return 0
    kill -0 "${pid[$name-$n]}" 2>/dev/null || break
    sleep 0.2
  done
  cat "$WORK/$name/$n.log" >&2
  die "$name/$n did not start"
}

stop() {  # NAME NODE
  local p=${pid[$1-$2]}
  kill "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

# cluster NAME MODE: fresh data, users on both nodes, n1 (and n2) running
cluster() {
  local name=$1 mode=$2
  rm -rf "${WORK:?}/$name"
  config "$name" "$mode"
  users "$name" n1
  if [ "$mode" != none ]; then users "$name" n2; start "$name" n2; fi
  start "$name" n1
  # Every user's mailboxes exist (and, with a replica, hold their first UID/MODSEQ reservation)
  # before anything is measured: the first delivery to a user creates its store.
  $(pinned load) "${cairn[@]}" bench imap --port "${port[$name-n1-imap]}" --user 'u%d' --password "$PASSWORD" --users "$USERS" \
    --clients 32 --fill 1 --mix noop=1 --ops 1 --warmup 0s --max-size 2048 --no-progress --json > "$WORK/$name/fill.json" \
    || die "filling the users' mailboxes failed: $(cat "$WORK/$name/fill.json")"
}

metric() {  # NAME NODE METRIC: the sum of the metric's samples (0 when absent)
  curl -sf "http://127.0.0.1:${port[$1-$2-admin]}/metrics" | awk -v m="$3" '$1 == m || index($1, m "{") == 1 {s += $2} END {print s + 0}'
}

server_pids() {  # NAME MODE: the pids of every node of the configuration
  if [ "$2" = none ]; then echo "${pid[$1-n1]}"; else echo "${pid[$1-n1]},${pid[$1-n2]}"; fi
}

lmtp() {  # NAME MODE OUT [extra bench options]
  local name=$1 mode=$2 out=$3; shift 3
  $(pinned load) "${cairn[@]}" bench lmtp --port "${port[$name-n1-lmtp]}" --rcpt "u%d@$domain" --users "$USERS" --recipients 1 \
    --connections "$LMTP_CONNECTIONS" --min-size "$LMTP_SIZE" --max-size "$LMTP_SIZE" --seed "$SEED" \
    --server-pid "$(server_pids "$name" "$mode")" --no-progress --json "$@" > "$out" || true
}

imap_append() {  # NAME MODE OUT
  local name=$1 mode=$2 out=$3
  $(pinned load) "${cairn[@]}" bench imap --port "${port[$name-n1-imap]}" --user 'u%d' --password "$PASSWORD" --users "$USERS" \
    --clients "$IMAP_CLIENTS" --mix append=1 --fill 0 --min-size "$LMTP_SIZE" --max-size "$LMTP_SIZE" \
    --duration "$DURATION" --warmup "$WARMUP" --seed "$SEED" --server-pid "$(server_pids "$name" "$mode")" \
    --no-progress --json > "$out" || true
}

say() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("   %.0f ops/s, p50 %.2f ms, p99 %.2f ms, %s errors" % (r["ops_per_second"], r["p50_ms"], r["p99_ms"], r["errors"]))' "$1" >&2 || true; }

# --- throughput and latency per configuration -------------------------------------------------
for ((run = 1; run <= RUNS; run++)); do
  for mode in $CONFIGS; do
    name="$mode-$run"
    echo "== $mode, run $run/$RUNS (load $(load_avg))" >&2
    cluster "$name" "$mode"
    echo "$(load_avg)" > "$WORK/results/load-lmtp-$mode-$run.txt"
    lmtp "$name" "$mode" "$WORK/results/lmtp-$mode-$run.json" --duration "$DURATION" --warmup "$WARMUP"
    say "$WORK/results/lmtp-$mode-$run.json"
    echo "$(load_avg)" > "$WORK/results/load-imap-$mode-$run.txt"
    imap_append "$name" "$mode" "$WORK/results/imap-$mode-$run.json"
    say "$WORK/results/imap-$mode-$run.json"
    stop "$name" n1
    [ "$mode" = none ] || stop "$name" n2
    [ "$KEEP" = 1 ] || rm -rf "${WORK:?}/$name/n1" "${WORK:?}/$name/n2"
  done
done

# --- async: lag at half the maximum, and catch-up ------------------------------------------------
if [[ " $CONFIGS " == *" async "* ]]; then
  for ((run = 1; run <= RUNS; run++)); do
    name="lag-$run"
    rate=$(python3 -c 'import json,sys,statistics; print(round(statistics.median(json.load(open(f))["ops_per_second"] for f in sys.argv[1:]) / 2))' \
      "$WORK"/results/lmtp-async-*.json)
    echo "== async lag at $rate deliveries/s, run $run/$RUNS (load $(load_avg))" >&2
    cluster "$name" async
    # Warm (JIT) before measuring.
    lmtp "$name" async "$WORK/$name/warm.json" --duration 10s --warmup 0s --rate "$rate"
    curl -sf "http://127.0.0.1:${port[$name-n1-admin]}/metrics" > "$WORK/results/lag-before-$run.prom"
    echo "$(load_avg)" > "$WORK/results/load-lag-$run.txt"
    lmtp "$name" async "$WORK/results/lag-$run.json" --duration "$LAG_DURATION" --warmup 0s --rate "$rate"
    sleep 1
    curl -sf "http://127.0.0.1:${port[$name-n1-admin]}/metrics" > "$WORK/results/lag-after-$run.prom"
    say "$WORK/results/lag-$run.json"

    echo "== catch-up of $CATCHUP_CHANGES changes, run $run/$RUNS (load $(load_avg))" >&2
    kill -STOP "${pid[$name-n2]}"
    $(pinned load) "${cairn[@]}" bench lmtp --port "${port[$name-n1-lmtp]}" --rcpt "u%d@$domain" --users "$USERS" --recipients 1 \
      --connections "$LMTP_CONNECTIONS" --min-size 1024 --max-size 1024 --ops "$CATCHUP_CHANGES" --warmup 0s \
      --seed "$((SEED + run))" --no-progress --json > "$WORK/results/catchup-load-$run.json" || true
    say "$WORK/results/catchup-load-$run.json"
    behind=$(metric "$name" n1 cairn_replication_lag_changes)
    echo "$(load_avg)" > "$WORK/results/load-catchup-$run.txt"
    t0=$(date +%s.%N)
    kill -CONT "${pid[$name-n2]}"
    while :; do
      lag=$(metric "$name" n1 cairn_replication_lag_changes)
      [ "${lag%.*}" = 0 ] && break
      sleep 0.05
    done
    t1=$(date +%s.%N)
    python3 -c "import sys; print('{\"seconds\": %.3f, \"behind\": %s}' % (float(sys.argv[2]) - float(sys.argv[1]), sys.argv[3]))" \
      "$t0" "$t1" "$behind" > "$WORK/results/catchup-$run.json"
    echo "   $(cat "$WORK/results/catchup-$run.json")" >&2
    stop "$name" n1; stop "$name" n2
    [ "$KEEP" = 1 ] || rm -rf "${WORK:?}/$name/n1" "${WORK:?}/$name/n2"
  done
fi

# --- the table ----------------------------------------------------------------------------
echo
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
  "$(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(df -h "$WORK" | awk 'NR==2 {print $1}'), JDK $("$java_home/bin/java" -version 2>&1 | head -1 | cut -d'"' -f2)"
[ "$PIN" = 1 ] && echo "Pinned (taskset): n1 on CPU $N1_CPUS, n2 on CPU $N2_CPUS, load generator on CPU $LOAD_CPUS"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $RUNS runs of $DURATION" \
  "after $WARMUP warm-up; $USERS users; $LMTP_CONNECTIONS LMTP connections, $IMAP_CLIENTS IMAP clients, messages of $LMTP_SIZE bytes"
python3 - "$WORK/results" "$CONFIGS" "$CATCHUP_CHANGES" <<'EOF'
import json, os, re, statistics, sys, glob
results, configs, changes = sys.argv[1], sys.argv[2].split(), int(sys.argv[3])
def load(pattern):
    out = []
    for f in sorted(glob.glob(os.path.join(results, pattern))):
        try:
            out.append(json.load(open(f)))
        except (ValueError, OSError):
            pass
    return out
def loads(pattern):
    return [float(open(f).read()) for f in sorted(glob.glob(os.path.join(results, pattern)))]
def med(values):
    values = [v for v in values if v is not None and v == v and v >= 0]
    return statistics.median(values) if values else float("nan")
print("\n| configuration | deliveries/s (median) | LMTP p50 ms | LMTP p99 ms | ÷ no replica | APPEND p50 ms | APPEND p99 ms | server CPU µs/delivery | errors | load avg | runs |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
base = med([r["ops_per_second"] for r in load("lmtp-none-*.json")])
for c in configs:
    l, i = load("lmtp-%s-*.json" % c), load("imap-%s-*.json" % c)
    if not l:
        continue
    rate = med([r["ops_per_second"] for r in l])
    append = [r["kinds"].get("append", {}) for r in i]
    print("| %s | %.0f | %.2f | %.2f | %s | %.2f | %.2f | %.0f | %d | %.1f | %d |" % (
        {"none": "no replica"}.get(c, c), rate, med([r["p50_ms"] for r in l]), med([r["p99_ms"] for r in l]),
        "%.0f %%" % (100 * rate / base) if base == base and base > 0 else "-",
        med([a.get("p50_ms", -1) for a in append]), med([a.get("p99_ms", -1) for a in append]),
        med([r["server_cpu_us_per_op"] for r in l]), sum(r["errors"] for r in l + i),
        med(loads("load-lmtp-%s-*.txt" % c)), len(l)))

# Lag: the master's histogram of commit-to-acknowledgement times, the run's share (after - before).
def buckets(path):
    b = {}
    for line in open(path):
        m = re.match(r'cairn_replication_delay_seconds_bucket\{.*le="([^"]+)".*\}\s+(\S+)', line)
        if m:
            le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
            b[le] = b.get(le, 0) + float(m.group(2))
    return b
def quantile(diff, q):
    total = diff[max(diff)]
    if total <= 0:
        return float("nan")
    for le in sorted(diff):
        if diff[le] >= q * total:
            return le * 1000
    return float("inf")
lag_rows = []
for run in range(1, 100):
    before, after = os.path.join(results, "lag-before-%d.prom" % run), os.path.join(results, "lag-after-%d.prom" % run)
    if not (os.path.exists(before) and os.path.exists(after)):
        continue
    b, a = buckets(before), buckets(after)
    if not a:
        continue
    diff = {le: a[le] - b.get(le, 0) for le in a}
    r = load("lag-%d.json" % run)
    lag_rows.append((r[0]["ops_per_second"] if r else float("nan"), quantile(diff, 0.5), quantile(diff, 0.99), diff[max(diff)]))
if lag_rows:
    print("\n| async replication lag (commit to replica's acknowledgement) | deliveries/s | p50 ms (≤) | p99 ms (≤) | changes | load avg | runs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("| at half the async maximum | %.0f | %.1f | %.1f | %.0f | %.1f | %d |" % (med([r[0] for r in lag_rows]),
        med([r[1] for r in lag_rows]), med([r[2] for r in lag_rows]), med([r[3] for r in lag_rows]),
        med(loads("load-lag-*.txt")), len(lag_rows)))
c = load("catchup-[0-9]*.json")
if c:
    print("\n| catch-up | changes behind (master's count) | seconds (median) | all runs | load avg |")
    print("| --- | ---: | ---: | --- | ---: |")
    print("| replica stopped (SIGSTOP) while %d deliveries were made, then SIGCONT | %.0f | %.1f | %s | %.1f |" % (changes,
        med([r["behind"] for r in c]), med([r["seconds"] for r in c]), ", ".join("%.1f" % r["seconds"] for r in c),
        med(loads("load-catchup-*.txt"))))
print("\n(raw reports in %s)" % results)
EOF
