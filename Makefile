# The README's entry points. `make run` starts the engine on its defaults;
# `make test` builds and runs every test. Both install missing Debian packages.
BUILD ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
DEBIAN_PACKAGES := cmake g++ ninja-build pkg-config libboost1.81-all-dev liblua5.4-dev \
  libyaml-cpp-dev libpugixml-dev libsqlite3-dev libssl-dev openssl catch2 clang-14 python3-aiosmtpd \
  prometheus nodejs chromium python3-cryptography nats-server libnats-dev

.PHONY: all deps configure build run test bench clean asan tsan

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

asan:
	$(MAKE) test BUILD=build-asan BUILD_TYPE=Debug CMAKE_FLAGS="-DARTERY_SANITIZE=ON"

# The control plane's concurrency under ThreadSanitizer: the registry and
# runtime tests, which drive channels from several threads at once.
tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DARTERY_TSAN=ON $(CMAKE_FLAGS)
	cmake --build build-tsan -j $(JOBS) --target artery_runtime_tests mllp
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ./artery_runtime_tests "[registry]"

clean:
	rm -rf $(BUILD)
