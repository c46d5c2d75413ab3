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
	test -f data/posts.jsonl || gunzip -k data/posts.jsonl.gz
	.build/release/onering import --users data/users.jsonl --posts data/posts.jsonl
	.build/release/onering embed
	.build/release/onering bench embed

doctor: build
	.build/release/onering doctor

# One build of everything, then the embedded PostgreSQL server the store tests use
# (left running; `onering db stop` stops it), then the tests.
test: setup
	swift build --build-tests
	.build/debug/onering db start
	swift test --skip-build --disable-xctest
