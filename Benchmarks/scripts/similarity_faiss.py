#!/usr/bin/env python3
"""faiss-cpu's exact flat index next to `onering bench similarity`, on the same vectors, in one run.

    python3 Benchmarks/scripts/similarity_faiss.py --onering .build/release/onering [--n 1000000] [--batch 256]

Runs `onering bench similarity` (generated clustered vectors; its own limits, float32,
float16 and int8 lines are printed as they come) with `--save-base`, `--save-queries`
and `--ids-out`, then loads the same files into faiss's `IndexFlatIP` (unit vectors:
inner product = cosine) and times batched top-k searches of the same batch size, and
single queries. faiss's OpenBLAS is forced to the SkylakeX kernel here
(OPENBLAS_CORETYPE, set before faiss loads), as onering selects it by itself. Prints both
q/s, their ratio, and how many of faiss's top-k row numbers equal onering's.
Needs `pip install faiss-cpu numpy`.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ONERING_ENVIRONMENT = dict(os.environ)  # onering picks its kernel by itself
os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
import faiss  # noqa: E402  (after the kernel choice)
import numpy as np  # noqa: E402


def timed(run, seconds):
    """Median seconds per call of `run`, calling it for about `seconds`."""
    times = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 3:
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onering", default=".build/release/onering")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--workdir", default=None, help="where the .npy files go (default: a temporary folder)")
    arguments = parser.parse_args()
    workdir = arguments.workdir or tempfile.mkdtemp(prefix="onering-faiss-")
    base_path, query_path, ids_path = (os.path.join(workdir, name) for name in ("base.npy", "queries.npy", "ids.npy"))

    started = time.perf_counter()
    command = [arguments.onering, "bench", "similarity", "--n", str(arguments.n), "--batch", str(arguments.batch),
               "-k", str(arguments.k), "--seconds", str(arguments.seconds),
               "--save-base", base_path, "--save-queries", query_path, "--ids-out", ids_path]
    output = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=ONERING_ENVIRONMENT) as process:
        for line in process.stdout:
            print("onering | " + line, end="", flush=True)
            output.append(line)
    if process.returncode != 0:
        sys.exit(f"onering bench similarity failed ({process.returncode})")
    print(f"onering run: {time.perf_counter() - started:.0f} s end to end", flush=True)
    text = "".join(output)
    ours = re.search(r"batch float32: ([0-9.]+) q/s", text)

    base = np.load(base_path, mmap_mode="r")
    queries = np.ascontiguousarray(np.load(query_path), dtype=np.float32)
    faiss.normalize_L2(queries)
    index = faiss.IndexFlatIP(base.shape[1])
    for start in range(0, base.shape[0], 100_000):
        block = np.array(base[start:start + 100_000], dtype=np.float32)
        faiss.normalize_L2(block)
        index.add(block)
    faiss.omp_set_num_threads(os.cpu_count())
    batch = queries[:arguments.batch]
    seconds = timed(lambda: index.search(batch, arguments.k), arguments.seconds)
    faiss_qps = len(batch) / seconds
    single = timed(lambda: index.search(queries[:1], arguments.k), arguments.seconds)
    _, faiss_ids = index.search(queries[:arguments.batch], arguments.k)
    onering_ids = np.load(ids_path)[:arguments.batch]
    equal = int((faiss_ids == onering_ids).all(axis=1).sum())
    print(f"faiss {faiss.__version__} IndexFlatIP ({os.environ['OPENBLAS_CORETYPE']} kernel requested, "
          f"{faiss.omp_get_max_threads()} threads): batch {len(batch)} in {seconds * 1e3:.1f} ms = {faiss_qps:.1f} q/s; "
          f"single query p50 {single * 1e3:.1f} ms")
    print(f"ids: {equal} of {len(batch)} queries have the same top-{arguments.k} row numbers, in order, as onering")
    if ours:
        print(f"batch float32: onering {float(ours.group(1)):.1f} q/s / faiss {faiss_qps:.1f} q/s = "
              f"{float(ours.group(1)) / faiss_qps:.2f} (target ≥ 1.0)")


if __name__ == "__main__":
    main()
