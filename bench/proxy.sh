#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 21, must-show 6: `cairn bench imap` through `cairn proxy` against the node directly, and
# the idle cost of a relayed connection. ProxyBenchIT (cairn-server; runs only when this script
# sets CAIRN_PROXY_BENCH) starts a real three-server ZooKeeper ensemble, a PostgreSQL directory,
# one `cairn serve` node mastering store s1 with 100 users (u1..u100) placed on it and one
# `cairn proxy`; then, in one run, direct and proxy alternated (the order swapped every round),
# ROUNDS pairs at each client count, each a `cairn bench imap --json` process; then `cairn bench
# idle` through the proxy at IDLE connections, once measuring the proxy's heap and RSS (--pid),
# once the node's behind it. Prints each run (ops/s, p50/p99 of all operations, errors), the
# medians and the ratio proxy / direct per client count, and the idle tables. Not part of CI.
#
#   bench/proxy.sh                                   # 3 pairs of 30 s at 50 and 200 clients; idle 1,000 and 10,000 (9,000)
#   ROUNDS=1 DURATION=10s IDLE=100,1000 bench/proxy.sh
#   JFR=1 bench/proxy.sh                             # the proxy records a flight recording (proxy.jfr in the results)
#   PIN=1 bench/proxy.sh                             # the proxy on a core of its own (taskset), the rest on the other
#   PIN=clients bench/proxy.sh                       # the proxy and the load generator on one core, the node's machine on the other
#   MIX=select=5,fetch-flags=20,... bench/proxy.sh   # another operation mix (cairn bench imap --mix; IDLE= skips idle)
#   PROXY_OPTS='-Djdk.pollerMode=1' bench/proxy.sh  # JVM options of the proxy alone
#   RELAYS=1 bench/proxy.sh                          # two more ways: bench/MinimalRelay.java (no login, one virtual
#                                                    # thread a direction, or one selector), the baselines of a relay
# Each client count starts with a pair of WARM_ROUND (15 s; WARM_ROUND= for none), round 0 in the
# table, not counted in the medians: the proxy sat idle while the node filled the mailboxes.
#
# 10,000 relayed connections hold ~20,000 descriptors in the proxy: the script raises `ulimit -n`
# (soft and hard; as root). Runs under flock /work/wt/bench.lock when that file exists.
set -euo pipefail
cd "$(dirname "$0")/.."
export CAIRN_PROXY_BENCH=${WORK:-$(mktemp -d /tmp/cairn-proxy-bench.XXXXXX)}
mkdir -p "$CAIRN_PROXY_BENCH"
[ -n "${JFR:-}" ] && export CAIRN_PROXY_BENCH_JFR=1
[ -n "${RELAYS:-}" ] && export CAIRN_PROXY_BENCH_RELAYS=$PWD/bench/MinimalRelay.java
# PIN=1: the proxy on CPU 1, everything else (node, ZooKeeper, PostgreSQL, load generator) on CPU 0,
# as a proxy tier on machines of its own; direct runs then have one core, as the proxy runs' node does
# PIN=clients: the load generator on CPU 1 too: clients off the node's core both ways, as a service's are
[ -n "${PIN:-}" ] && export CAIRN_PROXY_BENCH_PIN=$PIN
export CAIRN_PROXY_BENCH_ROUNDS=${ROUNDS:-3} CAIRN_PROXY_BENCH_CLIENTS=${CLIENTS-"50 200"}   # CLIENTS= : the idle measure alone
export CAIRN_PROXY_BENCH_DURATION=${DURATION:-30s} CAIRN_PROXY_BENCH_WARMUP=${WARMUP:-5s}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export MAVEN_OPTS=${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}
ulimit -Hn 65536 2>/dev/null || true   # needs CAP_SYS_RESOURCE: not in every sandbox (hard limit 20000 there)
ulimit -Sn "$(ulimit -Hn)"
# 10,000 where they fit, else 9,000 (two descriptors a relayed connection, and the JVM's own)
if [ "$(ulimit -Sn)" -ge 21000 ]; then default_idle=1000,10000; else default_idle=1000,9000
  echo "proxy.sh: ulimit -n is $(ulimit -Sn) (hard limit): idle measured at $default_idle, not 10,000" >&2; fi
export CAIRN_PROXY_BENCH_IDLE=${IDLE-$default_idle} CAIRN_PROXY_BENCH_MIX=${MIX:-} CAIRN_PROXY_BENCH_PROXY_OPTS=${PROXY_OPTS:-} CAIRN_PROXY_BENCH_WARM_ROUND=${WARM_ROUND-15s}
cmd=(./mvnw -B -o -P '!fuzz' verify -pl cairn-server -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
     -Dit.test='ProxyBenchIT' -Dfailsafe.failIfNoSpecifiedTests=false)
nice_cmd=(); nice -n -5 true 2>/dev/null && nice_cmd=(nice -n -5)
log="$CAIRN_PROXY_BENCH/maven.log"
start=$(date +%s)
status=0
if [ -e /work/wt/bench.lock ]; then
  flock -o /work/wt/bench.lock "${nice_cmd[@]}" "${cmd[@]}" >"$log" 2>&1 || status=$?
else
  "${nice_cmd[@]}" "${cmd[@]}" >"$log" 2>&1 || status=$?
fi
out="cairn-server/target/failsafe-reports/dev.cairn.server.ProxyBenchIT-output.txt"
[ -f "$out" ] && cp "$out" "$CAIRN_PROXY_BENCH/"
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
  "$(free -g | awk '/Mem:/ {print $2}') GiB RAM ($(uname -r)); $(git rev-parse --short HEAD); ended $(date -u '+%Y-%m-%d %H:%M UTC')," \
  "$(( $(date +%s) - start )) s in all"
[ -f "$out" ] && grep -h '^ProxyBenchIT' "$out" | grep -v ' exit 0$' || true
python3 - "$CAIRN_PROXY_BENCH" <<'EOF'
import glob, json, os, re, statistics, sys
d = sys.argv[1]
runs = {}
for f in sorted(glob.glob(f"{d}/imap-c*-*.json")):
    m = re.match(r"imap-c(\d+)-([a-z-]+)-(\d+)\.json", os.path.basename(f))
    try:
        r = json.load(open(f))
    except (OSError, ValueError):
        print(f"{os.path.basename(f)}: no result (see {f[:-5]}.err)")
        continue
    runs.setdefault(int(m[1]), []).append((int(m[3]), m[2], r))
def each(r):  # " (node + proxy)" when the run measured both (or node + relay)
    e = r.get("server_cpu_us_per_op_each", [])
    return " (" + " + ".join(f"{x:.0f}" for x in e) + ")" if len(e) > 1 else ""
def pct(r, p):
    return r.get(p, float("nan"))
if runs:
    print("\n| clients | round | way | ops/s | p50 ms | p99 ms | errors | node (+ proxy) CPU us/op | machine CPU us/op |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for c in sorted(runs):
    for rnd, way, r in sorted(runs[c], key=lambda x: (x[0], x[1])):
        print(f"| {c} | {rnd} | {way} | {r['ops_per_second']:.0f} | {pct(r, 'p50_ms'):.2f} | {pct(r, 'p99_ms'):.2f} | {r['errors']} | {r.get('server_cpu_us_per_op', float('nan')):.0f}{each(r) if way != 'direct' else ''} | {r.get('machine_cpu_us_per_op', float('nan')):.0f} |")
if runs:
    print("\n| clients | way | direct ops/s (median) | way's ops/s (median) | way / direct | p99 ms direct → way (median) | machine CPU us/op direct → way (median) |")
    print("| ---: | --- | ---: | ---: | ---: | --- | --- |")
for c in sorted(runs):
    ways = sorted({way for rnd, way, r in runs[c]}, key=lambda w: (w != "proxy", w))
    m = {w: [r for rnd, way, r in runs[c] if way == w and rnd > 0] for w in ways}
    if not m.get("direct"):
        continue
    od = statistics.median(r["ops_per_second"] for r in m["direct"])
    pd = statistics.median(pct(r, "p99_ms") for r in m["direct"])
    md = statistics.median(r.get("machine_cpu_us_per_op", float("nan")) for r in m["direct"])
    for w in ways:
        if w == "direct" or not m[w]:
            continue
        op = statistics.median(r["ops_per_second"] for r in m[w])
        pp = statistics.median(pct(r, "p99_ms") for r in m[w])
        mp = statistics.median(r.get("machine_cpu_us_per_op", float("nan")) for r in m[w])
        print(f"| {c} | {w} | {od:.0f} | {op:.0f} | {op / od:.2f} | {pd:.2f} → {pp:.2f} | {md:.0f} → {mp:.0f} |")
for who in ("proxy", "node"):
    f = f"{d}/idle-{who}.txt"
    if os.path.exists(f):
        print(f"\nIdle connections through the proxy, heap and RSS of the {who}:")
        print(open(f).read().rstrip())
EOF
echo "proxy.sh: exit $status (results and logs: $CAIRN_PROXY_BENCH)"
exit "$status"
