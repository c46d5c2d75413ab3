#!/usr/bin/env python3
"""onering's embedding import next to a raw binary COPY from psycopg, same rows, same server.

    python3 Benchmarks/scripts/import_psycopg.py --onering .build/release/onering [--count 100000] [--rounds 3]

Each round runs `onering bench store --count N --keep` (a fresh schema `onering_bench`:
users, then N generated 1536-d embeddings written by `ProfileStore.writeEmbeddings`,
binary COPY in batches over its connections), reads the rows it wrote back as one
binary COPY payload, empties the table (TRUNCATE), and times psycopg writing that
payload into the same table with one `COPY … FROM STDIN (FORMAT binary)` in one
transaction: no per-row encoding at all, the cheapest a client can do. Prints rows/s
of both and their ratio per round and the medians. Needs the embedded server running
(`onering db start`) and `pip install "psycopg[binary]"`.
"""
import argparse
import re
import statistics
import subprocess
import time

import psycopg

TABLE = "onering_bench.profile_embeddings"
COLUMNS = "(user_id, embedding, model, content_hash)"


def onering_import(onering, count, connection_args):
    output = subprocess.run(
        [onering, "bench", "store", "--count", str(count), "--keep", "--queries", "0", *connection_args],
        check=True, capture_output=True, text=True).stdout
    match = re.search(r"embedding import: (\d+) rows in ([0-9.]+) s", output)
    if not match:
        raise SystemExit(f"no import line in onering's output:\n{output}")
    return int(match.group(1)) / float(match.group(2))


def psycopg_copy(dsn, count):
    with psycopg.connect(dsn) as connection:
        payload = bytearray()
        with connection.cursor().copy(
                f"COPY (SELECT user_id, embedding, model, content_hash FROM {TABLE} ORDER BY user_id) "
                "TO STDOUT (FORMAT binary)") as copy:
            for chunk in copy:
                payload += chunk
        connection.execute(f"TRUNCATE {TABLE}")
        connection.commit()
        started = time.perf_counter()
        with connection.cursor().copy(f"COPY {TABLE} {COLUMNS} FROM STDIN (FORMAT binary)") as copy:
            view = memoryview(payload)
            for offset in range(0, len(view), 1 << 20):
                copy.write(view[offset:offset + (1 << 20)])
        connection.commit()
        seconds = time.perf_counter() - started
        written = connection.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        if written != count:
            raise SystemExit(f"psycopg wrote {written} rows, expected {count}")
        return count / seconds, len(payload)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onering", default=".build/release/onering")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dsn", default="host=/tmp port=54329 user=onering dbname=onering")
    parser.add_argument("onering_args", nargs="*", help="more arguments for `onering bench store` (after --)")
    arguments = parser.parse_args()
    ours, theirs = [], []
    for round_ in range(1, arguments.rounds + 1):
        onering_rate = onering_import(arguments.onering, arguments.count, arguments.onering_args)
        psycopg_rate, size = psycopg_copy(arguments.dsn, arguments.count)
        ours.append(onering_rate)
        theirs.append(psycopg_rate)
        print(f"round {round_}: onering {onering_rate:,.0f} rows/s, psycopg binary COPY {psycopg_rate:,.0f} rows/s "
              f"({size / 2**20:.0f} MiB), ratio {onering_rate / psycopg_rate:.2f}", flush=True)
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"median: onering {statistics.median(ours):,.0f} rows/s, psycopg {statistics.median(theirs):,.0f} rows/s, "
          f"ratio {ratio:.2f} (target ≥ 1.0)")


if __name__ == "__main__":
    main()
