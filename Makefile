# The two commands: `make serve` and `make test`. Every target installs what is missing first
# (scripts/install-deps.sh: quiet and quick when everything is present).
BUILD_DIR      ?= build
ASAN_BUILD_DIR ?= build-asan
JOBS           ?= $(shell nproc)
SERVE_ARGS     ?=
CTEST_ARGS     ?=

CMAKE_FLAGS = -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
FORMAT_FILES = git ls-files -- '*.h' '*.cc'

.PHONY: all deps build serve test test-unit test-asan bench bench-http format check-format clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: | deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD_DIR)/build.ninja
	@cmake --build $(BUILD_DIR) -j $(JOBS)

serve: build
	./$(BUILD_DIR)/bakery serve $(SERVE_ARGS)

# Format check, then every test (unit and integration) through CTest.
test: build check-format
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The same suite built with clang, AddressSanitizer + UndefinedBehaviorSanitizer and
# -Wthread-safety, plus the libFuzzer targets (tests/fuzz), each run over 30,000 inputs.
test-asan: deps
	@CC=clang CXX=clang++ cmake -S . -B $(ASAN_BUILD_DIR) $(CMAKE_FLAGS) -DBAKERY_SANITIZE=ON \
	  -DBAKERY_BUILD_BENCH=OFF -DBAKERY_FUZZ=ON >/dev/null
	@cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	@cd $(ASAN_BUILD_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

bench: build
	@./bench/run.sh

format: deps
	@$(FORMAT_FILES) | xargs clang-format -i

check-format: deps
	@$(FORMAT_FILES) | xargs clang-format --dry-run --Werror || \
	  (echo "clang-format: run 'make format'" >&2; exit 1)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)
