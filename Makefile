# Thin wrapper over CMake: make (Release build into build/), make test, make bench, make deps.
# Every target first makes sure the Debian build dependencies are present (see `make deps`).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test bench run clean format

all: build

deps:
	@bash scripts/deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) > /dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	@$(BUILD_DIR)/bench/engine_bench --benchmark_counters_tabular=true
	@$(BUILD_DIR)/bench/conv_bench
	@$(BUILD_DIR)/bench/data/data_bench --benchmark_counters_tabular=true

# The main job: train and evaluate the detector on the synthetic shapes data set (generated into
# datasets/shapes on first use); results in runs/shapes-<time>/.
run: build
	@./train_dreambox shapes

clean:
	rm -rf $(BUILD_DIR)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h' '*.cu' '*.cuh')
