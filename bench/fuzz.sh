#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Long fuzzing runs of the Jazzer targets (every *FuzzTest class; docs/fuzzing.md), under
# `nice -n 19`, one or two at a time, each in its own JVM through Maven, with a summary per target.
#
#   bench/fuzz.sh                      # every target, 1 h each (the issue's run)
#   bench/fuzz.sh all 10m              # every target, 10 minutes each
#   bench/fuzz.sh CommandFuzzTest 30m  # one target (its simple class name), or several: A,B
#   bench/fuzz.sh list                 # the targets and their modules
#   FUZZ_JOBS=2 bench/fuzz.sh all 1h   # two targets at a time (the machine has two cores)
#   FUZZ_JOBS=7 FUZZ_HEAP=768m bench/fuzz.sh all 1h   # seven at a time, sharing the two cores:
#                                      # each still fuzzes for an hour of wall time, at a lower rate
#
# DURATION is Jazzer's syntax: 30s, 10m, 1h. Each target starts from its checked-in inputs
# (src/test/resources/<package>/<Class>Inputs/<method>/) and the corpus earlier runs grew in
# <module>/.cifuzz-corpus/ (not committed), and adds to that corpus. A crash stops that target:
# its input is written next to the checked-in inputs (crash-<sha1>), which makes it a regression
# test of every later build; fix the parser, then commit the input.
#
# Results: target/fuzz/<UTC time>/summary.txt (target, module, executions, executions/s, edges
# covered ("cov", as libFuzzer counts them), features ("ft"), corpus entries, crashes) and one
# Maven/libFuzzer log per target beside it. Settings (environment): FUZZ_JOBS (1), FUZZ_HEAP (2g,
# the heap of each JVM), RESULTS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

target=${1:-all}
duration=${2:-1h}
jobs=${FUZZ_JOBS:-1}
die() { echo "fuzz.sh: $*" >&2; exit 1; }
[[ "$duration" =~ ^[0-9]+[smh]$ ]] || die "DURATION must look like 30s, 10m or 1h (got '$duration')"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "FUZZ_JOBS must be a positive number (got '$jobs')"

# module<TAB>simple class name, for every fuzz target
targets() {
  find . -path ./target -prune -o -path '*/src/test/java/*' -name '*FuzzTest.java' -print | sort |
    while read -r f; do
      module=${f#./}; module=${module%%/*}
      printf '%s\t%s\n' "$module" "$(basename "$f" .java)"
    done
}

if [ "$target" = list ]; then targets; exit 0; fi
selected=$(targets | awk -F'\t' -v t="$target" 't == "all" || index("," t ",", "," $2 ",") > 0')
[ -n "$selected" ] || die "no fuzz target '$target' (bench/fuzz.sh list)"

JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JAVA_HOME MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
# A heap bound for every JVM (Maven's and the fuzzing one): left alone, a fuzzing JVM grows towards
# a quarter of the machine's memory, two of them towards half.
export JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:-} -Xmx${FUZZ_HEAP:-2g}"
results=${RESULTS:-target/fuzz/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results"
summary="$results/summary.txt"

modules=$(printf '%s\n' "$selected" | cut -f1 | sort -u | paste -sd, -)
echo "fuzz.sh: building $modules" >&2
# Compiled once up front, so that two runs at a time do not compile over each other.
nice -n 19 ./mvnw -B -q -DskipTests -pl "$modules" -am test-compile > "$results/build.log" 2>&1 ||
  die "build failed, see $results/build.log"

# One target: fuzzing mode (JAZZER_FUZZ) of the default test execution, limited to its class;
# -Dtest also keeps the build's own short fuzzing pass (profile "fuzz") out of it.
run() {
  local module=$1 class=$2 log="$results/$2.log"
  echo "fuzz.sh: $class ($module) for $duration, log $log" >&2
  local started=$SECONDS status=ok
  # tempDir: surefire's boot files, one directory per run (two runs in one module would delete each other's)
  nice -n 19 ./mvnw -B -pl "$module" -am test -Dtest="$class" -Dsurefire.failIfNoSpecifiedTests=false -DtempDir="surefire-$class" \
    -DJAZZER_FUZZ=1 -Djazzer.max_duration="$duration" -Djazzer.instrument='dev.cairn.**' > "$log" 2>&1 || status=FAILED
  summarize "$module" "$class" "$log" "$status" $((SECONDS - started)) > "$results/$class.summary"
}

# libFuzzer's last status line: "#N DONE cov: C ft: F corp: E/Sb ... exec/s: R ..."
summarize() {
  local module=$1 class=$2 log=$3 status=$4 seconds=$5
  local last execs cov ft corp rate crashes
  last=$(grep -aE '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
  execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<< "$last")
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<< "$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<< "$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<< "$last")
  rate=$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<< "$last")
  crashes=$(grep -ac 'Test unit written to' "$log" || true)
  printf '%-24s %-18s %-7s %6ss %12s %8s %6s %7s %7s %7s\n' "$class" "$module" "$status" "$seconds" \
    "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
  grep -ah 'Test unit written to' "$log" | sed 's/^/    /' || true
}

printf '# bench/fuzz.sh %s %s, FUZZ_JOBS=%s, %s, %s\n' "$target" "$duration" "$jobs" "$(date -u +%FT%TZ)" "$(git rev-parse --short HEAD 2>/dev/null || echo "no git")" > "$summary"
printf '%-24s %-18s %-7s %7s %12s %8s %6s %7s %7s %7s\n' target module status time executions exec/s cov ft corpus crashes >> "$summary"
while IFS=$'\t' read -r module class; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run "$module" "$class" &
  # Maven's up-to-date check of the same modules, started by two runs at one moment, can race
  # (a run once fuzzed nothing): starts are spaced out.
  sleep 20
done <<< "$selected"
wait
while IFS=$'\t' read -r module class; do cat "$results/$class.summary" >> "$summary"; done <<< "$selected"
cat "$summary"
