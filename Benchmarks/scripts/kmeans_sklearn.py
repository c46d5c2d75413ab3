#!/usr/bin/env python3
"""scikit-learn's k-means on the same .npy as `onering bench kmeans`, for side-by-side figures.

    onering bench kmeans --euclidean -k 64 --save-base /tmp/base.npy
    python3 Benchmarks/scripts/kmeans_sklearn.py /tmp/base.npy -k 64 --seeds 1 2 3 4 5

Prints, per seed, the k-means++ seeding time, ms per Lloyd iteration and the final
inertia (sum of squared distances), then the median inertia.
"""
import argparse
import statistics
import time

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("-k", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    args = parser.parse_args()

    x = np.load(args.base).astype(np.float32)
    inertias = []
    for seed in args.seeds:
        started = time.perf_counter()
        centres, _ = kmeans_plusplus(x, args.k, random_state=seed)
        seeding = time.perf_counter() - started
        model = KMeans(n_clusters=args.k, init=centres, n_init=1, max_iter=args.iterations,
                       tol=0, algorithm="lloyd", random_state=seed)
        started = time.perf_counter()
        model.fit(x)
        lloyd = time.perf_counter() - started
        inertias.append(model.inertia_)
        print(f"sklearn seed {seed}: seeding {seeding:.3f} s, {model.n_iter_} iterations, "
              f"{lloyd / model.n_iter_ * 1e3:.1f} ms/iter, inertia {model.inertia_:.3f}")
    print(f"sklearn median inertia over {len(inertias)} seeds: {statistics.median(inertias):.3f}")


if __name__ == "__main__":
    main()
