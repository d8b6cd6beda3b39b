#!/bin/sh
# `make fuzz`: builds the libFuzzer harnesses (Fuzz/Package.swift) with the fuzzer and
# AddressSanitizer, against a libyaml instrumented the same way (Fuzz/libyaml.sh), seeds a
# corpus per harness from the bundled files, runs each for SECONDS (default 120), and
# prints executions, executions per second, coverage and findings per harness, this run's
# and the sum of every run so far (kept in Fuzz/out/total-HARNESS).
#
#   Fuzz/run.sh [SECONDS [HARNESS...]]     HARNESS: compile, workload, diff, import, firmware, paths (default all)
#
# The import harness (FuzzImport) reads its input as lspci -vvnn text and as a sysfs config
# file; its seeds are the lspci fixtures, the import checks' fixtures and, when it is beside
# the checkout, the corpus of real lspci reports (../shared/corpus/lspci, as `make corpus`);
# its dictionary is Fuzz/lspci.dict. Its findings are reduced by hand to unit tests in
# Tests/IotopoImportTests/ImportFuzzRegressionTests.swift (RELIABILITY.md, "Fuzzing the importer").
#
# The firmware harness (FuzzFirmware) reads its input as a DMAR, IVRS and IORT table, as
# acpidump text and as a flattened device tree, then imports it; its seeds are the firmware
# fixtures and, beside the checkout, the corpus of real ACPI tables (../shared/corpus/acpi);
# its dictionary is Fuzz/firmware.dict. Its findings go to
# Tests/IotopoFirmwareTests/FirmwareFuzzRegressionTests.swift.
#
# The paths harness (FuzzPaths) decodes its input into a small repository of files, folders,
# symbolic links and FIFOs beside a folder it must never read or change, then checks its root
# files and runs the golden runner on it, as CI would, then with --update all --obsolete
# delete (RELIABILITY.md, "Fuzzing paths"). Its seeds are written by the harness itself
# (IOTOPO_FUZZ_PATHS_SEEDS=DIR, from Fuzz/Sources/FuzzPaths/Seeds.swift, so they always
# decode as described); inputs are six bytes an entry, at most 24 entries; no dictionary.
# Its findings go to Tests/IotopoEndToEndTests/HostileRepositoryTests.swift.
#
# Crashes and timeouts land in Fuzz/out/findings/, and make the script exit 1; minimise one with
#   Fuzz/.build/release/FuzzCompile -minimize_crash=1 -runs=20000 FILE
# and commit it under Tests/IotopoCompilerTests/Regressions/ (see RELIABILITY.md).
# ASan records no allocation stacks while fuzzing (malloc_context_size=0, a third faster);
# running a finding again by hand (`Fuzz/.build/release/FuzzCompile FILE`) gives them.
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-120}
[ $# -gt 0 ] && shift
HARNESSES=${*:-compile workload diff import firmware paths}
OUT=Fuzz/out
mkdir -p "$OUT/findings"
# libyaml built with coverage and ASan (Fuzz/libyaml.sh). Its pkg-config file, first on
# PKG_CONFIG_PATH, makes the CYAML target's -lyaml find that archive, the only libyaml in its
# folder, so the parser is linked in statically and the system's libyaml.so not at all
# (checked below). Not --whole-archive: -lyaml already comes after the objects that use it,
# and forcing the archive in again would define each of its members twice.
LIBYAML=$(Fuzz/libyaml.sh)
if [ -n "$LIBYAML" ]; then
  export PKG_CONFIG_PATH="$LIBYAML/../pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
fi
# SwiftPM reuses its build plan for the path dependency (the iotopo package) and misses a
# source file added to it since ("cannot find 'X' in scope"); dropping the plan makes it
# plan again, which takes a second or two.
rm -f Fuzz/.build/release/description.json
# Nor does it always rebuild a harness when a struct of the project it uses changes layout:
# a harness compiled against the old layout then writes past the new one (AddressSanitizer
# saw a stack-buffer-overflow in Engine.init from a stale FuzzWorkload object). The harnesses
# are one small file each; they are always compiled again.
rm -rf Fuzz/.build/release/Fuzz*.build
# The comma form matters: two separate -sanitize flags silently drop one.
(cd Fuzz && swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
BIN=Fuzz/.build/release
if readelf -d "$BIN/FuzzCompile" | grep -q 'libyaml'; then
  libyaml="the system's libyaml (not instrumented)"
else
  libyaml="libyaml instrumented"
fi
echo "fuzzing with $libyaml"
for h in compile workload diff import firmware paths; do mkdir -p "$OUT/corpus/$h"; done
# Seeds are named after their whole path (many files share a name: platform.yaml, fires.yaml).
seed() {
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$OUT/corpus/$h/$(echo "$f" | tr / _)"; done
}
h=compile; seed topologies/*/platform.yaml topologies/*/memory.yaml topologies/*/variants/*.yaml topologies/invalid/*/*.yaml
h=workload; seed topologies/*/workloads/*.yaml topologies/invalid/invalid-step/*.yaml
# lspci text, and the config files of the snapshot fixtures for the config-space parser. The
# real corpus may be absent (CI): the glob then matches nothing and seed skips it.
h=import; seed topologies/import/*.txt $(find topologies/invalid -path '*/import-*' \( -name '*.txt' -o -name config \) | sort) \
  ../shared/corpus/lspci/*.txt
h=firmware; seed topologies/import/*/*.dat topologies/import/*/*.dtb topologies/import/*/acpidump.txt topologies/import/soc-laptop-iort.txt \
  $(find topologies/invalid -path '*/firmware-*' \( -name '*.txt' -o -name '*.dtb' -o -path '*/tables/*' \) | sort) ../shared/corpus/acpi/*/*.bin
# The paths harness writes its own seeds (described entry by entry in its Seeds.swift).
IOTOPO_FUZZ_PATHS_SEEDS="$OUT/corpus/paths" SWIFT_BACKTRACE=enable=no "$BIN/FuzzPaths"
n=0
for g in golden/*/workloads/*.txt golden/*/platform.summary.txt; do
  n=$((n + 1)); { cat "$g"; printf '\0'; sed -e 's/ok/fault/; 3d' "$g"; } > "$OUT/corpus/diff/pair-$n"
done
: > "$OUT/stats.txt"
status=0
for h in $HARNESSES; do
  case $h in
    compile) exe=FuzzCompile; len=0; dict=yaml ;; workload) exe=FuzzWorkload; len=0; dict=yaml ;;
    # Diff inputs up to 2 KiB: the seeds are whole goldens, but a few dozen short lines reach
    # every branch (the edit budget is 200), at twice the rate.
    diff) exe=FuzzDiff; len=2048; dict=yaml ;;
    # lspci inputs up to 64 KiB: a desktop's full lspci -vvnn is 20 to 60 KiB (a few seeds of
    # the real corpus are longer and are cut to this), and the builder's passes over all
    # functions make longer inputs slow without reaching new code.
    import) exe=FuzzImport; len=65536; dict=lspci ;;
    # Tables up to 16 KiB: the corpus's largest is 6.5 KiB (an IORT).
    firmware) exe=FuzzFirmware; len=16384; dict=firmware ;;
    # 24 entries of 6 bytes; the entries are indices into vocabularies, so no dictionary.
    paths) exe=FuzzPaths; len=144; dict= ;;
    *) echo "unknown harness '$h' (compile, workload, diff, import, firmware, paths)" >&2; exit 64 ;;
  esac
  log="$OUT/$h.log"
  touch "$OUT/stamp-$h"
  start=$(date +%s)
  # The artifact prefix is absolute: the paths harness runs its cases from inside the tree
  # it built, and a crash there is saved from that working directory.
  ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0} SWIFT_BACKTRACE=enable=no \
    "$BIN/$exe" -max_total_time="$SECONDS_EACH" -max_len=$len -timeout=10 -rss_limit_mb=4096 \
    ${dict:+-dict=Fuzz/$dict.dict} -artifact_prefix="$PWD/$OUT/findings/$h-" -print_final_stats=1 "$OUT/corpus/$h" > "$log" 2>&1 || true
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  found=$(ls "$OUT/findings" | grep -c "^$h-" || true)
  new=$(find "$OUT/findings" -name "$h-*" -newer "$OUT/stamp-$h" | sort)
  # The running sum of executions and seconds over every run of this harness.
  set -- $(cat "$OUT/total-$h" 2>/dev/null || echo 0 0)
  total=$(( $1 + ${execs:-0} )); seconds=$(( $2 + $(date +%s) - start ))
  echo "$total $seconds" > "$OUT/total-$h"
  echo "$h: $execs executions, $speed per second, coverage $cov edges, $found findings in Fuzz/out/findings; all runs: $total executions in $seconds s (log $log)" | tee -a "$OUT/stats.txt"
  if [ -n "$new" ]; then
    echo "$h: new findings (minimise each and commit it as a regression, RELIABILITY.md):" >&2
    echo "$new" | sed 's/^/  /' >&2
    status=1
  fi
done
exit $status
