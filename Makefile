# The README's two commands: `make run` and `make test`. Everything else is CMake.
# Both install the Debian packages that are missing, configure and build first.
# `make fuzz` runs each fuzz target of tests/fuzz for FUZZ_SECONDS.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CONFIG     ?= zsnode.properties
SIM_PORT   ?= 7070
SIM_HOSTS  ?= 3
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_RSS_MB ?= 2048

# clang and its libFuzzer runtime: `make fuzz`, and the short fuzz runs of `make test`.
FUZZ_DEBS = clang libclang-rt-14-dev

DEBS = cmake make gcc pkg-config protobuf-c-compiler libprotobuf-c-dev libprotobuf-dev libnng-dev nng-utils \
       libxml2-dev libcurl4-openssl-dev libpq-dev postgresql libjansson-dev libsodium-dev \
       libxxhash-dev openssl procps curl python3 $(FUZZ_DEBS)

.PHONY: all deps build build-asan build-fuzz run test test-asan fuzz bench bench-vm install clean

all: build

deps:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DZS_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# The agent simulator runs beside the node (SIM_HOSTS hosts on 127.0.1.1:SIM_PORT and up,
# control API on 127.0.0.1:SIM_PORT/sim/) and stops with it; SIM_HOSTS=0 SIM_PORT=... to change.
# The fuzz targets only, built with clang, libFuzzer, ASan and UBSan.
build-fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZS_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

run: build
	@./$(BUILD)/tests/kvmsim/zs-kvmsim --port $(SIM_PORT) --hosts $(SIM_HOSTS) & sim=$$!; \
	trap 'kill $$sim 2>/dev/null; wait $$sim 2>/dev/null' EXIT; trap : INT TERM; \
	./$(BUILD)/server/zsnode -c $(CONFIG) --set SftpBackupStorage.port=$(SIM_PORT)

test: build build-asan build-fuzz
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j $(JOBS)

fuzz: build-fuzz
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_RSS_MB)

bench: build
	./$(BUILD)/tests/bench/zsbench

# 1,000 then 10,000 VMs through the whole create flow on 100 simulated hosts (see
# README-bench-vm.md); BENCH_VM_ARGS="--vms 500" for a quick run.
BENCH_VM_ARGS ?=
bench-vm: build
	./$(BUILD)/tests/bench/zsbench_vm ./$(BUILD)/server/zsnode ./$(BUILD)/plugins \
	  ./$(BUILD)/tests/kvmsim/zs-kvmsim $(BENCH_VM_ARGS)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
