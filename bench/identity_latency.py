"""Online latency with N records already resolved, and bulk time for N records.

``uv run python bench/identity_latency.py [--n 1000000] [--probe 10000]``: generates N synthetic
person records (FEBRL-like: about one in five a noisy duplicate), trains weights on a sample, then
(1) bulk-resolves all N, (2) adds the N records online and times ``--probe`` further records.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from identity import Linker, bulk_clusters, default_settings, standardise, train

SYL = [
    "ka",
    "ma",
    "wa",
    "ni",
    "ru",
    "ji",
    "ki",
    "mu",
    "to",
    "na",
    "li",
    "sa",
    "re",
    "do",
    "be",
    "an",
    "el",
    "or",
    "ti",
    "go",
]


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYL) for _ in range(parts))


def _noise(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    i = rng.randrange(len(s) - 1)
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def generate(n: int, seed: int = 7) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    firsts = [_name(rng, 3) for _ in range(3000)]
    lasts = [_name(rng, 4) for _ in range(30000)]
    out: list[tuple[str, ...]] = []
    person = 0
    while len(out) < n:
        person += 1
        p = {
            "first_name": rng.choice(firsts),
            "last_name": rng.choice(lasts),
            "dob": f"{rng.randint(1940, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
            "national_id": f"{person:08d}",
            "phone": f"+2547{rng.randrange(10**8):08d}",
            "postcode": f"{rng.randrange(1000, 9999)}",
        }
        out.append(standardise(p))
        if rng.random() < 0.25:
            dup = dict(p)
            field = rng.choice(["first_name", "last_name", "dob", "national_id", "phone"])
            dup[field] = _noise(rng, dup[field]) if rng.random() < 0.7 else ""
            out.append(standardise(dup))
    return out[:n]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--probe", type=int, default=10_000)
    parser.add_argument("--skip-bulk", action="store_true")
    args = parser.parse_args()
    t0 = time.perf_counter()
    records = generate(args.n + args.probe)
    base, probe = records[: args.n], records[args.n :]
    print(f"generated {len(records)} records in {time.perf_counter() - t0:.1f}s", flush=True)
    t0 = time.perf_counter()
    settings = train(default_settings(), base[:50_000])
    print(f"trained on 50k in {time.perf_counter() - t0:.1f}s", flush=True)
    if not args.skip_bulk:
        t0 = time.perf_counter()
        clusters = bulk_clusters(base, settings)
        print(
            f"bulk: {args.n} records in {time.perf_counter() - t0:.1f}s, {len(set(clusters))} clusters",
            flush=True,
        )
    linker = Linker(settings)
    t0 = time.perf_counter()
    for r in base:
        linker.add(r)
    print(f"online load: {args.n} records in {time.perf_counter() - t0:.1f}s", flush=True)
    lat = []
    for r in probe:
        s = time.perf_counter()
        linker.add(r)
        lat.append((time.perf_counter() - s) * 1000)
    print(
        f"online with {args.n} resolved: p50 {statistics.median(lat):.3f} ms, p99 {pct(lat, 0.99):.3f} ms, "
        f"max {max(lat):.3f} ms over {len(lat)} records"
    )


if __name__ == "__main__":
    main()
