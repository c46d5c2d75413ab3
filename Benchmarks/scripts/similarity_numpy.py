#!/usr/bin/env python3
"""numpy's exact top-k next to `onering bench similarity`, on the same vectors.

    python3 Benchmarks/scripts/similarity_numpy.py --onering .build/release/onering

Writes generated unit vectors (clustered, seeded) to .npy files, times numpy's
batched (GEMM + argpartition) and single-query (GEMV + argpartition) top-k, runs
`onering bench similarity --base … --queries … --ids-out …` on the same files,
and reports how many of onering's top-k ids equal numpy's (rank by rank) and the
recall@k. Unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE in this command alone to
let numpy's own OpenBLAS pick its kernel.
"""
import argparse
import os
import subprocess
import tempfile
import time

import numpy as np


def top_k(scores, k):
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    picked = np.take_along_axis(scores, part, axis=1)
    # Best first; ties to the smaller row number, as onering orders them.
    order = np.lexsort((part, -picked), axis=1)
    return np.take_along_axis(part, order, axis=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--onering", default=".build/release/onering")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=1536)
    parser.add_argument("--queries", type=int, default=1024)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((args.clusters, args.dim), dtype=np.float32)
    def generate(count):
        x = centres[rng.integers(0, args.clusters, count)] + 0.6 * rng.standard_normal((count, args.dim), dtype=np.float32)
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    base, queries = generate(args.n), generate(args.queries)

    started = time.perf_counter()
    ids = np.concatenate([top_k(queries[i:i + args.batch] @ base.T, args.k)
                          for i in range(0, args.queries, args.batch)])
    batch_seconds = time.perf_counter() - started
    singles = []
    for q in queries[:100]:
        started = time.perf_counter()
        top_k((base @ q)[None, :], args.k)
        singles.append(time.perf_counter() - started)
    print(f"numpy batch: {args.queries / batch_seconds:.1f} q/s (batch {args.batch}); "
          f"single: p50 {np.median(singles) * 1e3:.2f} ms")

    with tempfile.TemporaryDirectory() as directory:
        base_path, query_path, ids_path = (os.path.join(directory, name) for name in ("base.npy", "queries.npy", "ids.npy"))
        np.save(base_path, base)
        np.save(query_path, queries)
        subprocess.run([args.onering, "bench", "similarity", "--base", base_path, "--queries", query_path,
                        "-k", str(args.k), "--batch", str(args.batch), "--no-float16", "--ids-out", ids_path], check=True)
        onering_ids = np.load(ids_path)

    same_rank = float(np.mean(onering_ids == ids))
    recall = np.mean([len(set(a) & set(b)) / args.k for a, b in zip(onering_ids, ids)])
    print(f"onering vs numpy: same id at the same rank {same_rank:.4f}, recall@{args.k} {recall:.4f}")


if __name__ == "__main__":
    main()
