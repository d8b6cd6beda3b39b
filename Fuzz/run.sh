#!/bin/sh
# `make fuzz`: builds the libFuzzer harnesses (Fuzz/Package.swift) with the fuzzer and
# AddressSanitizer, seeds a corpus per harness from the bundled files, runs each for
# SECONDS (default 120), and prints executions, executions per second, coverage and
# findings per harness (also in Fuzz/out/stats.txt). Crashes and timeouts land in
# Fuzz/out/findings/; minimise one with
#   Fuzz/.build/release/FuzzCompile -minimize_crash=1 -runs=20000 FILE
# and commit it under Tests/IotopoCompilerTests/Regressions/ (see RELIABILITY.md).
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-120}
OUT=Fuzz/out
mkdir -p "$OUT/findings"
# The comma form matters: two separate -sanitize flags silently drop one.
(cd Fuzz && swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
BIN=Fuzz/.build/release
for h in compile workload diff; do mkdir -p "$OUT/corpus/$h"; done
cp topologies/*/platform.yaml topologies/*/variants/*.yaml topologies/invalid/*/*.yaml "$OUT/corpus/compile/" 2>/dev/null || true
cp topologies/*/workloads/*.yaml topologies/invalid/invalid-step/*.yaml "$OUT/corpus/workload/" 2>/dev/null || true
n=0
for g in golden/*/workloads/*.txt golden/*/platform.summary.txt; do
  n=$((n + 1)); { cat "$g"; printf '\0'; sed -e 's/ok/fault/; 3d' "$g"; } > "$OUT/corpus/diff/pair-$n"
done
: > "$OUT/stats.txt"
for h in compile workload diff; do
  case $h in compile) exe=FuzzCompile ;; workload) exe=FuzzWorkload ;; diff) exe=FuzzDiff ;; esac
  log="$OUT/$h.log"
  SWIFT_BACKTRACE=enable=no "$BIN/$exe" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=4096 \
    -dict=Fuzz/yaml.dict -artifact_prefix="$OUT/findings/$h-" -print_final_stats=1 "$OUT/corpus/$h" > "$log" 2>&1 || true
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  found=$(ls "$OUT/findings" | grep -c "^$h-" || true)
  echo "$h: $execs executions, $speed per second, coverage $cov edges, $found findings (log $log)" | tee -a "$OUT/stats.txt"
done
