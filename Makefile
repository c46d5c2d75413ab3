# The two entry points of the README: `make demo` and `make test`.
.PHONY: setup build demo tour bench-service bench-peers reliability test lint format doctor portable-check

setup:
	@./scripts/setup.sh

build: setup
	swift build -c release --product onering

# The main job: the sample creators set up once, then served on 127.0.0.1:8080 until Ctrl-C.
demo: build
	.build/release/onering demo

# The command-line walk-through: benchmarks, import, embed, cohorts, map, search, context, generation.
tour: build
	.build/release/onering doctor
	.build/release/onering bench similarity
	.build/release/onering db start
	.build/release/onering bench store
	test -f data/posts.jsonl || gunzip -k data/posts.jsonl.gz
	.build/release/onering import --users data/users.jsonl --posts data/posts.jsonl
	.build/release/onering embed
	.build/release/onering bench embed
	.build/release/onering cohorts rebuild -k auto
	mkdir -p bench-out
	.build/release/onering cohorts map --svg bench-out/cohorts.svg
	.build/release/onering search --text "marathon training and recovery" -k 5 --nprobe 3
	.build/release/onering context 4 --budget 1200
	.build/release/onering generate 4 --platform x
	.build/release/onering generate 4 --platform instagram --brief "my recovery weeks between marathon blocks"
	.build/release/onering bench strategy
	.build/release/onering bench engine --reuse

# The service under load from wrk (loopback): contexts, searches with and without coalescing, first byte.
bench-service: build
	mkdir -p bench-out
	./scripts/bench-service.sh

# The engine beside numpy, faiss, scikit-learn and pgvector on the same vectors, in one run
# (about 15 minutes here, plus the first install): writes docs/BENCHMARKS.md and docs/benchmarks.png.
bench-peers: build
	test -d /usr/share/games/fortunes || apt-get install -y -q fortunes
	test -x .venv-peers/bin/python || python3 -m venv .venv-peers
	.venv-peers/bin/pip install -q -r Benchmarks/peers/requirements.txt
	.build/release/onering db start
	.venv-peers/bin/python Benchmarks/peers/run.py

# Load at 32 and 128 connections, a database restart, kill -9 during a rebuild and an import,
# schemathesis, leak counts and the bad-input table (about 10 minutes, loopback only):
# writes bench-out/reliability/report.md; docs/RELIABILITY.md quotes it.
reliability: build
	command -v wrk >/dev/null || apt-get install -y -q wrk
	test -x .venv-peers/bin/python || python3 -m venv .venv-peers
	.venv-peers/bin/pip install -q -r Benchmarks/reliability/requirements.txt
	.build/release/onering db start
	.venv-peers/bin/python Benchmarks/reliability/run.py

doctor: build
	.build/release/onering doctor

# The house format (.swift-format: 4 spaces, 160 columns), checked as the Swift server projects do;
# `make format` rewrites the sources to it.
lint:
	swift format lint --strict --recursive Sources Tests Benchmarks Package.swift

format:
	swift format format --in-place --recursive Sources Tests Benchmarks Package.swift

# The lint, one build of everything, then the embedded PostgreSQL server the store tests use
# (left running; `onering db stop` stops it), then the tests.
test: setup lint portable-check
	swift build --build-tests
	.build/debug/onering db start
	swift test --skip-build --disable-xctest

# The numeric core without the x86 kernels, as arm64 (Graviton) builds it: no aarch64 Swift
# SDK is installable here, so the portable paths are type-checked by hiding the kernels.
portable-check:
	swift build --target VectorMath -Xswiftc -DONERING_PORTABLE_ONLY -Xcc -DONERING_PORTABLE_ONLY --scratch-path .build-portable
