# Tapistry: two commands on a fresh Debian 12 machine — `make run` and `make test`.
# Every target installs what is missing first (scripts/setup is idempotent and quick when done).
.PHONY: setup setup-test build js run test test-unit test-asan test-sdk test-e2e fuzz bench clean format

BUILD ?= build
JOBS ?= $(shell nproc)

# `make run` installs only what building and running needs; `make test` installs the rest.
setup:
	@scripts/setup run

setup-test:
	@scripts/setup test

# JS builds come first: the server embeds sdk/dist and dashboard/dist.
js: setup
	@if [ -f sdk/build.mjs ]; then node sdk/build.mjs; fi
	@if [ -f dashboard/build.mjs ]; then node dashboard/build.mjs; fi

build: js
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target tapistry
	@echo "built $(BUILD)/tapistry"

run: build
	@scripts/run

test: setup-test
	@scripts/test

# Rewrites server/ C++ with clang-format (`make test` only checks it).
format: setup-test
	@scripts/format

clean:
	rm -rf build build-asan build-fuzz
