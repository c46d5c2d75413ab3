# The two entry points of the README: `make demo` and `make test`.
.PHONY: setup build demo test doctor

setup:
	@./scripts/setup.sh

build: setup
	swift build -c release --product onering

demo: build
	.build/release/onering doctor
	.build/release/onering bench similarity

doctor: build
	.build/release/onering doctor

test: setup
	swift test --disable-xctest
