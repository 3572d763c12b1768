# The README's entry points. `make run` starts the engine on its defaults;
# `make test` builds and runs every test. Both install missing Debian packages.
BUILD ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
DEBIAN_PACKAGES := cmake g++ ninja-build pkg-config libboost1.81-all-dev liblua5.4-dev \
  libyaml-cpp-dev libpugixml-dev libsqlite3-dev libssl-dev openssl catch2 clang-14 python3-aiosmtpd \
  prometheus nodejs chromium python3-cryptography nats-server libnats-dev

.PHONY: all deps configure build run test bench bench-cluster clean asan tsan fuzz fuzz-build

all: build

deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages. Run:"; echo "  sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/artery run

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build
	@for b in $(BUILD)/bench/*; do echo "== $$(basename $$b)"; $$b || exit 1; done

# Only the clustered-channel bench (docs/performance.md, "Clustered channels"):
# builds just it, the engine and the plugins. BENCH_CLUSTER_ARGS adds
# arguments, e.g. --rounds 5 --seconds 6 --connections 4.
BENCH_CLUSTER_ARGS ?=
bench-cluster: configure
	cmake --build $(BUILD) -j $(JOBS) --target bench_cluster
	$(BUILD)/bench/bench_cluster $(BENCH_CLUSTER_ARGS)

# The whole suite under ASan+UBSan (CI's second step, .ci/run): a sanitizer
# report from any process, the engines the tests start included, fails it
# (.ci/sanitizer_suite.sh). ASAN_CTEST_ARGS adds ctest arguments (-R, -LE).
ASAN_BUILD ?= build-asan
ASAN_CTEST_ARGS ?=
asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DARTERY_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	.ci/sanitizer_suite.sh $(ASAN_BUILD) -j $(JOBS) --timeout 900 $(ASAN_CTEST_ARGS)

# The control plane's concurrency under ThreadSanitizer: the registry and
# runtime tests, which drive channels from several threads at once.
tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DARTERY_TSAN=ON $(CMAKE_FLAGS)
	cmake --build build-tsan -j $(JOBS) --target artery_runtime_tests mllp
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ./artery_runtime_tests "[registry]"

# libFuzzer targets (fuzz/, docs/security.md "Fuzzing"): clang-14 with
# libFuzzer, ASan and UBSan, in build-fuzz, over the code under test, linked
# with the normal build's engine library (fuzz/CMakeLists.txt says why). Each
# runs FUZZ_SECONDS; the table it prints (executions, crashes per target)
# goes into docs/security.md. FUZZ_TARGETS=hl7_message ... runs only those;
# FUZZ_JOBS targets at a time (default 2).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
FUZZ_BUILD ?= build-fuzz
FUZZ_CMAKE_FLAGS ?=
FUZZ_PACKAGES := clang-14 libfuzzer-14-dev

fuzz-build: deps
	@missing=$$(for p in $(FUZZ_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages. Run:"; echo "  sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi
	$(MAKE) configure
	cmake --build $(BUILD) -j $(JOBS) --target artery_core mllp file systemone fhir
	cmake -S fuzz -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 \
	  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DARTERY_CORE_BUILD=$(abspath $(BUILD)) \
	  $(FUZZ_CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

fuzz: fuzz-build
	FUZZ_JOBS=$${FUZZ_JOBS:-2} fuzz/run_fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD)
