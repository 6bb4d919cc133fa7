#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cairn against Dovecot on this machine, side by side, with the same load (`cairn bench`).
#
# Installs Dovecot from Debian if missing, starts two private Dovecot instances on loopback
# (as shipped, and in its documented high-performance login mode: service_count = 0,
# process_min_avail = CPU count) and one Cairn node, all with their default durability, the
# same users (u1..uN, same password, same Argon2id hash where possible) and the same corpus.
# Then for each client count it runs the IMAP profile against each server in turn, RUNS
# times (alternating, so drift of the machine hits all alike), and the LMTP load likewise,
# and prints the medians and the ratios. Takes minutes; not part of CI.
#
#   bench/compare-dovecot.sh                      # the issue's profile (50 and 200 clients, 3 runs)
#   CLIENTS="10" RUNS=1 DURATION=10s bench/compare-dovecot.sh   # a quick look
#
# Settings (environment): CLIENTS ("50 200"), USERS_PER_CLIENT (2), FILL (30), RUNS (3),
# DURATION (60s), WARMUP (10s), LMTP_CONNECTIONS ("8"; a list runs each), LMTP_RECIPIENTS ("1-3";
# a list of N or MIN-MAX runs each), LMTP_SIZE (bytes; empty = the realistic size distribution),
# LMTP_DURATION (30s), SEED (1),
# SERVERS ("cairn dovecot dovecot-fast"), KEEP (1 keeps the work directory), WORK (directory).
# Results: a table on stdout, every raw JSON report in $WORK/results/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

CLIENTS=${CLIENTS-"50 200"}  # CLIENTS="" runs no IMAP load
USERS_PER_CLIENT=${USERS_PER_CLIENT:-2}
FILL=${FILL:-30}
RUNS=${RUNS:-3}
DURATION=${DURATION:-60s}
WARMUP=${WARMUP:-10s}
LMTP_CONNECTIONS=${LMTP_CONNECTIONS:-8}
LMTP_RECIPIENTS=${LMTP_RECIPIENTS:-1-3}
LMTP_SIZE=${LMTP_SIZE:-}
LMTP_DURATION=${LMTP_DURATION:-30s}
SEED=${SEED:-1}
SERVERS=${SERVERS:-"cairn dovecot dovecot-fast"}
PASSWORD=bench-pass
KEEP=${KEEP:-0}
die() { echo "compare-dovecot: $*" >&2; exit 1; }

max_clients=0
for c in $CLIENTS; do [ "$c" -gt "$max_clients" ] && max_clients=$c; done
# Enough users for the IMAP clients, and never fewer than LMTP's recipients need.
USERS=${USERS:-$((max_clients * USERS_PER_CLIENT))}
[ "$USERS" -ge 20 ] || USERS=20

WORK=${WORK:-$(mktemp -d /tmp/cairn-compare.XXXXXX)}
mkdir -p "$WORK/results"
# mktemp makes it 0700: Dovecot's auth process (user dovecot) must reach the users file inside.
chmod 755 "$WORK"
echo "compare-dovecot: work directory $WORK, $USERS users, clients: $CLIENTS, $RUNS runs of $DURATION" >&2

pids=()
cleanup() {
  for dir in "$WORK/dovecot" "$WORK/dovecot-fast"; do bench/dovecot.sh stop "$dir" || true; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$KEEP" != 1 ]; then rm -rf "$WORK/dovecot/mail" "$WORK/dovecot-fast/mail" "$WORK/cairn-data"; fi
}
trap cleanup EXIT

# --- build -------------------------------------------------------------------------------
bench/dovecot.sh install
command -v sqlite3 >/dev/null 2>&1 || { [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null; } || true
command -v python3 >/dev/null 2>&1 || die "python3 is needed to summarise the results"
./cairn version >/dev/null  # builds the server if needed
java_bin=""
for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /usr/lib/jvm/*; do
  if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] \
      && "$candidate/bin/java" -version 2>&1 | grep -Eq 'version "(2[5-9]|[3-9][0-9])'; then
    java_bin="$candidate/bin/java"; break
  fi
done
[ -n "$java_bin" ] || die "no JDK 25 found (set JAVA_HOME)"
export JAVA_HOME="${java_bin%/bin/java}"
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
./mvnw -B -q -DskipTests -Dmaven.test.skip=true package -pl cairn-bench -am >&2
bench() { "$java_bin" -cp "cairn-bench/target/cairn-bench.jar:cairn-bench/target/lib/*" dev.cairn.bench.BenchMain "$@"; }

# --- Cairn -------------------------------------------------------------------------------
CAIRN_IMAP=${CAIRN_IMAP:-21143}; CAIRN_LMTP=${CAIRN_LMTP:-21024}
DOVECOT_IMAP=${DOVECOT_IMAP:-22143}; DOVECOT_LMTP=${DOVECOT_LMTP:-22024}
FAST_IMAP=${FAST_IMAP:-23143}; FAST_LMTP=${FAST_LMTP:-23024}
declare -A imap_port lmtp_port server_pid
for port in $CAIRN_IMAP $CAIRN_LMTP $DOVECOT_IMAP $DOVECOT_LMTP $FAST_IMAP $FAST_LMTP; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is in use (set CAIRN_IMAP, CAIRN_LMTP, DOVECOT_IMAP, DOVECOT_LMTP, FAST_IMAP, FAST_LMTP)"
  fi
done
domain=example.org

if [[ " $SERVERS " == *" cairn "* ]]; then
  data="$WORK/cairn-data"
  mkdir -p "$data"
  # One user through the CLI (so the hash is Cairn's own Argon2id), the rest copied in SQL:
  # a JVM per user would take minutes.
  echo "$PASSWORD" | ./cairn user add u1 --password-stdin --address "u1@$domain" --data "$data" >&2
  db="$data/directory.db"
  if [ "$USERS" -gt 1 ]; then
    if command -v sqlite3 >/dev/null 2>&1; then
      sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS)
        INSERT INTO users (name, password_hash, created_at) SELECT 'u' || i, (SELECT password_hash FROM users WHERE name = 'u1'),
          (SELECT created_at FROM users WHERE name = 'u1') FROM n;
        WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS)
        INSERT INTO addresses (address, user_name, is_primary) SELECT 'u' || i || '@$domain', 'u' || i, 1 FROM n;"
      [ "$(./cairn user list --data "$data" | tail -1)" = "$USERS users" ] || die "copying users into Cairn's directory failed"
    else
      for ((i = 2; i <= USERS; i++)); do
        echo "$PASSWORD" | ./cairn user add "u$i" --password-stdin --address "u$i@$domain" --data "$data" >/dev/null
      done
    fi
  fi
  ./cairn serve --data "$data" --imap "127.0.0.1:$CAIRN_IMAP" --lmtp "127.0.0.1:$CAIRN_LMTP" \
    --imaps off --pop3 off --pop3s off --admin off > "$WORK/cairn.log" 2>&1 &
  pids+=($!)
  server_pid[cairn]=$!
  imap_port[cairn]=$CAIRN_IMAP; lmtp_port[cairn]=$CAIRN_LMTP
  for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$CAIRN_IMAP") 2>/dev/null && break; sleep 0.2; done
  (exec 3<>"/dev/tcp/127.0.0.1/$CAIRN_IMAP") 2>/dev/null || { cat "$WORK/cairn.log" >&2; die "cairn did not start"; }
fi

# --- Dovecot (the same Argon2id hash as Cairn's when we have it) ------------------------------
hash_for_dovecot=""
if [ -f "$WORK/cairn-data/directory.db" ] && command -v sqlite3 >/dev/null 2>&1; then
  phc=$(sqlite3 "$WORK/cairn-data/directory.db" "SELECT password_hash FROM users WHERE name = 'u1'")
  case "$phc" in \$argon2id\$*) hash_for_dovecot="{ARGON2ID}$phc" ;; esac
fi
start_dovecot() {  # name mode imap lmtp
  local out
  out=$(DOVECOT_HASH="$hash_for_dovecot" bench/dovecot.sh start "$WORK/$1" "$2" "$3" "$4" "$USERS" "$PASSWORD")
  server_pid[$1]=$(tail -1 <<<"$out")
  imap_port[$1]=$3; lmtp_port[$1]=$4
}
[[ " $SERVERS " == *" dovecot "* ]] && start_dovecot dovecot shipped "$DOVECOT_IMAP" "$DOVECOT_LMTP"
[[ " $SERVERS " == *" dovecot-fast "* ]] && start_dovecot dovecot-fast fast "$FAST_IMAP" "$FAST_LMTP"

# --- the runs ------------------------------------------------------------------------------
for clients in $CLIENTS; do
  users=$((clients * USERS_PER_CLIENT))
  for ((run = 1; run <= RUNS; run++)); do
    for server in $SERVERS; do
      out="$WORK/results/imap-c$clients-$server-$run.json"
      echo "== imap, $clients clients, run $run/$RUNS: $server" >&2
      bench imap --port "${imap_port[$server]}" --user 'u%d' --password "$PASSWORD" --users "$users" \
        --clients "$clients" --fill "$FILL" --duration "$DURATION" --warmup "$WARMUP" --seed "$SEED" \
        --server-pid "${server_pid[$server]}" --json > "$out" || true
      python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("   %.0f ops/s, %s errors, server %.0f us/op" % (r["ops_per_second"], r["errors"], r["server_cpu_us_per_op"]))' "$out" >&2 || true
    done
  done
done
size_options=()
[ -n "$LMTP_SIZE" ] && size_options=(--min-size "$LMTP_SIZE" --max-size "$LMTP_SIZE")
for connections in $LMTP_CONNECTIONS; do
  for recipients in $LMTP_RECIPIENTS; do
    # "c8" for the default mix of 1-3 recipients, "c8r10" for 10 recipients a message.
    load="c$connections"; [ "$recipients" != "1-3" ] && load="c${connections}r$recipients"
    for ((run = 1; run <= RUNS; run++)); do
      for server in $SERVERS; do
        out="$WORK/results/lmtp-$load-$server-$run.json"
        echo "== lmtp, $connections connections, $recipients recipients, run $run/$RUNS: $server" >&2
        bench lmtp --port "${lmtp_port[$server]}" --rcpt "u%d@$domain" --users "$USERS" --recipients "$recipients" \
          --connections "$connections" --duration "$LMTP_DURATION" --warmup "$WARMUP" --seed "$SEED" \
          "${size_options[@]}" --server-pid "${server_pid[$server]}" --json > "$out" || true
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("   %.0f deliveries/s, %s errors, server %.0f us/op" % (r["ops_per_second"], r["errors"], r["server_cpu_us_per_op"]))' "$out" >&2 || true
      done
    done
  done
done

# --- summary ---------------------------------------------------------------------------------
echo
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
  "$(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(df -h "$WORK" | awk 'NR==2 {print $1}') ($(uname -r))"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
  "Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1), IMAP runs of $DURATION and LMTP runs of $LMTP_DURATION" \
  "after $WARMUP warm-up, $FILL messages per user${LMTP_SIZE:+, LMTP messages of $LMTP_SIZE bytes}"
python3 - "$WORK/results" "$SERVERS" <<'EOF'
import json, os, statistics, sys, collections
results, servers = sys.argv[1], sys.argv[2].split()
groups = collections.defaultdict(list)
for name in sorted(os.listdir(results)):
    kind, load, server, run = name[:-5].rsplit("-", 1)[0].split("-", 2) + [name[:-5].rsplit("-", 1)[1]]
    try:
        groups[(kind, load, server)].append(json.load(open(os.path.join(results, name))))
    except (ValueError, OSError):
        pass
def med(reports, key):
    values = [r[key] for r in reports if r.get(key, -1) is not None and r.get(key, -1) >= 0]
    return statistics.median(values) if values else float("nan")
print("\n| load | server | ops/s (median) | p50 ms | p99 ms | server CPU us/op | bench CPU us/op | errors | runs |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
def load_key(load):
    c, _, r = load[1:].partition("r")
    return (int(c), int(r) if r else 0)
loads = sorted({(k, l) for (k, l, s) in groups}, key=lambda x: (x[0], load_key(x[1])))
for kind, load in loads:
    for server in servers:
        rs = groups.get((kind, load, server), [])
        if rs:
            for r in rs:
                r["generator_cpu_us_per_op"] = 1e6 * r["generator_cpu_seconds"] / r["ops"] if r["ops"] else -1
            print("| %s %s | %s | %.0f | %.2f | %.2f | %.0f | %.0f | %d | %d |" % (kind, load, server,
                med(rs, "ops_per_second"), med(rs, "p50_ms"), med(rs, "p99_ms"), med(rs, "server_cpu_us_per_op"),
                med(rs, "generator_cpu_us_per_op"), sum(r["errors"] for r in rs), len(rs)))
if "cairn" in servers:
    print("\n| load | peer | Cairn ops/s ÷ peer ops/s | peer CPU/op ÷ Cairn CPU/op |")
    print("| --- | --- | ---: | ---: |")
    for kind, load in loads:
        cairn = groups.get((kind, load, "cairn"), [])
        for peer in servers:
            if peer == "cairn" or not cairn or not groups.get((kind, load, peer)):
                continue
            p = groups[(kind, load, peer)]
            print("| %s %s | %s | %.2f | %.2f |" % (kind, load, peer,
                med(cairn, "ops_per_second") / max(med(p, "ops_per_second"), 1e-9),
                med(p, "server_cpu_us_per_op") / max(med(cairn, "server_cpu_us_per_op"), 1e-9)))
print("\n(c = IMAP clients or LMTP connections, r = recipients a message; raw reports in %s)" % results)
EOF
