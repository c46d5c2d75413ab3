# The two entry points of the README: `make demo` and `make test`.
.PHONY: setup build demo test doctor

setup:
	@./scripts/setup.sh

build: setup
	swift build -c release --product onering

demo: build
	.build/release/onering doctor
	.build/release/onering bench similarity
	.build/release/onering db start
	.build/release/onering bench store

doctor: build
	.build/release/onering doctor

# One build of everything, then the embedded PostgreSQL server the store tests use
# (left running; `onering db stop` stops it), then the tests.
test: setup
	swift build --build-tests
	.build/debug/onering db start
	swift test --skip-build --disable-xctest
