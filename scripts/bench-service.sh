#!/usr/bin/env bash
# The service's load figures (issue: service API), on the 100,000 creators of `onering bench engine`:
#   context under 32 connections (exact, then cohort-partitioned), search by vector (exact) with and
#   without coalescing, and the time to the first streamed byte of a generation (offline provider).
# Loopback only; each load runs for DURATION seconds (default 20). Prints one line per figure.
set -euo pipefail
cd "$(dirname "$0")/.."
ONERING=.build/release/onering
PORT=${PORT:-18080}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-32}
SCHEMA=onering_bench_engine
export CREATORS=${CREATORS:-100000}

command -v wrk >/dev/null || { echo "bench-service: installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
"$ONERING" db start >/dev/null
# The benchmark schema of `onering bench engine` (made there, with its cohort run, when missing).
"$ONERING" bench engine --reuse --creators "$CREATORS" > bench-out/bench-engine-for-service.txt
export TOKEN=$("$ONERING" token 1 --admin --lifetime 7200)
log=$(mktemp)

serve() { # serve ARGS…: starts the service on the benchmark schema and waits until it is ready.
  "$ONERING" serve --schema "$SCHEMA" --port "$PORT" --no-jobs --generation-limit 1000000 "$@" >"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "bench-service: the service did not become ready" >&2; cat "$log" >&2; exit 1
}
stop() { kill -INT "$server"; wait "$server" || true; }
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT

load() { # load NAME SCRIPT: one wrk run; prints requests/s, p50, p99 and errors; leaves requests/s in $rps.
  local name=$1 script=$2 out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$script" "http://127.0.0.1:$PORT" 2>&1)
  local p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")
  printf '%-44s %9s req/s  p50 %8s  p99 %8s  errors %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
}

echo "service benchmark: $CREATORS creators, $CONNECTIONS connections, ${DURATION}s per load, $(nproc) cores"
# Cold: the context cache off, every context built (creators drawn from all $CREATORS).
serve --context-cache-mib 0
load "context, exact (k=10), cache off" Benchmarks/service/context.lua
CONTEXT_QUERY="k=10&nprobe=3" load "context, partitioned nprobe=3, cache off" Benchmarks/service/context.lua
stop

# Warm: the cache on (its default size), the load over WARM_CREATORS creators after a warm-up that
# asks for each of them in turn (WARMUP seconds per query), as a writer agent asks again for the
# creators it is writing for. The cache's counters come from /metrics.
WARM_CREATORS=${WARM_CREATORS:-10000}
serve
for query in "k=10" "k=10&nprobe=3"; do
  CREATORS=$WARM_CREATORS CONTEXT_QUERY=$query wrk -t2 -c"$CONNECTIONS" -d"${WARMUP:-40}s" --timeout 10s \
    -s Benchmarks/service/context-each.lua "http://127.0.0.1:$PORT" >/dev/null
done
CREATORS=$WARM_CREATORS load "context, exact (k=10), warm, $WARM_CREATORS creators" Benchmarks/service/context.lua
CREATORS=$WARM_CREATORS CONTEXT_QUERY="k=10&nprobe=3" load "context, partitioned nprobe=3, warm, $WARM_CREATORS creators" Benchmarks/service/context.lua
curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^onering_context_cache_(hits|misses|entries|bytes)/ { printf "%s %d  ", substr($1, 23), $2 } END { print "" }' \
  | sed 's/^/context cache after the warm loads:          /'
load "search by vector, exact, coalesced" Benchmarks/service/search.lua
coalesced=$rps
# Time to the first streamed byte of a generation (offline provider): 50 runs, median and worst.
ttfb=()
for user in $(seq 1 50); do
  ttfb+=("$(curl -s -o /dev/null -w '%{time_starttransfer}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"user_id\": $user, \"platform\": \"x\", \"brief\": \"recovery weeks\"}" "http://127.0.0.1:$PORT/v1/generate/content")")
done
printf '%s\n' "${ttfb[@]}" | sort -n | awk '{ v[NR] = $1 * 1000 } END { printf "%-44s p50 %6.1f ms  max %6.1f ms  (%d runs)\n", "generation, time to first byte (offline)", v[int((NR + 1) / 2)], v[NR], NR }'
stop

serve --max-search-batch 1
load "search by vector, exact, not coalesced" Benchmarks/service/search.lua
single=$rps
stop
awk -v a="$coalesced" -v b="$single" 'BEGIN { printf "%-44s %.2f x\n", "coalescing gain (search throughput)", a / b }'
grep -E "recall" bench-out/bench-engine-for-service.txt | head -3 || true
