# iotopo: `make run` builds and runs every bundled topology; `make test` runs every test.
# Both install what a fresh Debian machine lacks (libyaml-dev) first.

SWIFT      ?= swift
BIN        := .build/debug/iotopo
RELEASE    := .build/release/iotopo
PLATFORMS  := $(sort $(wildcard topologies/*/platform.yaml))
WORKLOADS  := $(sort $(wildcard topologies/*/workloads/*.yaml))
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps build release run test unit-test golden-test schema-test golden sanitize fuzz bench corpus clean

all: build

# libyaml is a SwiftPM system library found through pkg-config (yaml-0.1).
# libfdt is one too, found by its header (Debian's libfdt-dev has no pkg-config file): it
# reads flattened device trees for import. dtc (device-tree-compiler) turns .dts into .dtb for
# `iotopo import FILE.dts`; the tests that compile .dts need it.
deps:
	@pkg-config --exists yaml-0.1 || { \
	  echo "installing libyaml-dev (Debian package: the YAML parser iotopo links)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libyaml-dev pkg-config; }
	@test -f /usr/include/libfdt.h || { \
	  echo "installing libfdt-dev (Debian package: the device tree reader iotopo links)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libfdt-dev; }
	@command -v dtc >/dev/null || { \
	  echo "installing device-tree-compiler (Debian package: dtc, for importing .dts files)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq device-tree-compiler; }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Check and compile every bundled platform, run every bundled workload, then show this
# machine's IOMMU groups with their reasons (docs/import.md). Warnings are expected on some
# platforms (the embedded SoC has no IOMMU); errors, and workload expectations that fail,
# fail the run.
run: build
	@for p in $(PLATFORMS); do \
	  echo "== check and compile $$p"; \
	  $(BIN) check $$p || exit 1; \
	  $(BIN) compile --format text $$p || exit 1; \
	done
	@for w in $(WORKLOADS); do \
	  echo "== run $$w"; \
	  $(BIN) run $$w || exit 1; \
	done
	@echo "== this machine: iotopo groups --host --why"
	@$(BIN) groups --host --why

# Benchmarks (bench/run.py): iotopo check vs libyaml's bare event parse vs dtc at 2k, 20k
# and 200k devices; then ten million DMAs through the engine, IOTLB-hit and page-walk
# paths, vs a C hash-table floor (about ten minutes; `make bench BENCH_ARGS=--quick` for
# one size, `BENCH_ARGS='--only engine'` for one part). Figures go in BENCHMARKS.md.
bench: release
	@command -v dtc >/dev/null || { echo "installing device-tree-compiler (Debian package)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq device-tree-compiler; }
	python3 bench/run.py $(BENCH_ARGS)

# xmllint validates iotopo's JUnit reports against the schema kept in the tests; Graphviz's
# dot renders every bundled platform to SVG in the tests.
test-deps: deps
	@command -v xmllint >/dev/null || { \
	  echo "installing libxml2-utils (Debian package: xmllint, for the JUnit schema test)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libxml2-utils; }
	@command -v dot >/dev/null || { \
	  echo "installing graphviz (Debian package: dot, for the SVG rendering test)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz; }

unit-test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

# Every golden case in CI mode: nothing is written, a missing or obsolete golden fails.
golden-test: build
	CI=true $(BIN) test

# The JSON Schema of the topology language against the bundled topologies and the
# type-error fixtures, with Python's jsonschema and ruamel.yaml (YAML 1.2, as editors read
# it), installed from PyPI when missing.
schema-test: build
	@python3 -c "import jsonschema, ruamel.yaml" 2>/dev/null || { \
	  echo "installing jsonschema and ruamel.yaml (PyPI, for the schema test)"; \
	  python3 -m pip install -q jsonschema ruamel.yaml; }
	python3 Tests/schema/validate.py

test: unit-test golden-test schema-test

# Rewrite the goldens that differ and create the missing ones. Read `iotopo test`'s diff
# first; review `git diff golden/` before committing. Obsolete goldens are listed, not
# deleted (`$(BIN) test --obsolete=delete` removes them).
golden: build
	$(BIN) test --update=all

# The whole test suite under AddressSanitizer (with LeakSanitizer), then under
# ThreadSanitizer (the golden runner is parallel), each in a build folder of its own. The
# suppression files list only leaks and races inside the Swift runtime libraries.
sanitize: test-deps
	ASAN_OPTIONS=malloc_context_size=8 LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/sanitizers/lsan.supp \
	  $(SWIFT) test --scratch-path .build/asan --sanitize=address
	TSAN_OPTIONS="suppressions=$(CURDIR)/Tests/sanitizers/tsan.supp halt_on_error=1" \
	  $(SWIFT) test --scratch-path .build/tsan --sanitize=thread

# libFuzzer harnesses (Fuzz/): the compiler, the workload front end and engine, the golden
# diff, the importer, the firmware readers, and paths (golden discovery, includes, golden
# writes and deletions in a repository of links and special files), linked with an
# instrumented libyaml (Fuzz/libyaml.sh); each runs FUZZ_SECONDS (default 120).
# FUZZ_HARNESSES picks some (compile workload diff import firmware paths). Findings go to
# Fuzz/out/findings/ and make the target fail.
FUZZ_SECONDS ?= 120
FUZZ_HARNESSES ?=
fuzz: deps
	Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

# Accuracy on real machines (docs/import.md): every lspci report in the corpus of real
# hardware-probe uploads beside the project is imported, checked, and its groups, computed
# with the quirks of the report's kernel, compared with the groups Linux formed. Prints a
# table, the accuracy line, and each mismatch with iotopo's reasons; fails when fewer than
# CORPUS_MIN_EXACT machines match exactly under upstream rules. The corpus is data, not part
# of the project: where it is absent, this says so and passes.
#
# Then every firmware table of the ACPI corpus (docs/firmware.md): each DMAR, IVRS and IORT
# is read (checksum held), its fields held against iasl's decode beside it, its counts
# against the corpus index, and it is imported and checked; the lints it sets off are
# listed. Fails when one table does not hold.
CORPUS          ?= ../shared/corpus/lspci
CORPUS_MIN_EXACT ?= 29
ACPI_CORPUS     ?= ../shared/corpus/acpi
corpus: release
	@if [ -d "$(CORPUS)" ]; then \
	  $(RELEASE) fleet "$(CORPUS)" --min-exact $(CORPUS_MIN_EXACT); \
	else \
	  echo "corpus: $(CORPUS) is absent; skipped (the accuracy measure needs the corpus of real lspci reports)"; \
	fi
	@if [ -d "$(ACPI_CORPUS)" ]; then \
	  echo; $(RELEASE) fleet "$(ACPI_CORPUS)"; \
	else \
	  echo "corpus: $(ACPI_CORPUS) is absent; skipped (the firmware measure needs the corpus of real ACPI tables)"; \
	fi

clean:
	rm -rf .build
