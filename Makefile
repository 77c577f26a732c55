# Makefile - the README's two commands (`make demo`, `make test`) and a few helpers over CMake.
# Every target installs missing Debian packages first, so a fresh Debian 12 machine needs nothing else.
JOBS  ?= 2
BUILD ?= build
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-fast sanitize valgrind traces bench clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Record one lesson, print its report, and show it: a window with a display, a PNG without one.
demo: build
	@scripts/demo.sh $(BUILD)

# Everything CI checks: the full suite, then the tracer/model/viewer tests under ASan+UBSan and TSan.
test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300
	@$(MAKE) --no-print-directory sanitize

test-fast: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300

sanitize: deps
	@cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DCONVIZ_SANITIZE=address,undefined >/dev/null
	@cmake --build $(BUILD)-asan -j$(JOBS)
	@cd $(BUILD)-asan && ctest --output-on-failure -j$(JOBS) -L sanitize --timeout 600
	@cmake -S . -B $(BUILD)-tsan -DCMAKE_BUILD_TYPE=Debug -DCONVIZ_SANITIZE=thread >/dev/null
	@cmake --build $(BUILD)-tsan -j$(JOBS)
	@cd $(BUILD)-tsan && ctest --output-on-failure -j$(JOBS) -L sanitize -LE no-tsan --timeout 600

traces: build
	@scripts/lessons.sh $(BUILD)

bench: build
	@for b in $(BUILD)/bin/bench_*; do echo "== $$b"; $$b; done

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-tsan out
