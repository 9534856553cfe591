"""Issue 11's reproductions, measured: run against this checkout or, with PYTHONPATH, another one.

    PYTHONPATH=src python bench/attack.py            # the fixed code
    PYTHONPATH=/tmp/old/src python bench/attack.py   # the code before, for the before/after table

Each line is one reproduction and what it did. The 2 MB one-paragraph article is only tried when
``--with-2mb`` is given, because the old code does not finish it (15 minutes and counting).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT / "src"))

from qa import Index, retrieve  # noqa: E402

FAKE = b"Zelensky said the war is over and Russia won."


def fresh(tmp: Path, name: str) -> Index:
    seeds = tmp / name / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    index = Index(seeds=seeds, index=tmp / name / "index")
    index.refresh()
    return index


def disk(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def attempt(fn):
    try:
        return "ok", fn()
    except Exception as exc:  # the refusal is the measurement
        return "refused", " ".join(str(exc).split())[:120]


def main(argv=None) -> dict:
    p = argparse.ArgumentParser()
    p.add_argument("--with-2mb", action="store_true")
    p.add_argument("--uploads", type=int, default=60)
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="attack-"))
    out = {}

    if args.with_2mb:
        index = fresh(tmp, "r1")
        cpu = time.process_time()
        wall = time.monotonic()
        out["1 one-paragraph 2 MB"] = attempt(lambda: index.add("board.txt", b"The board said the test passed today. " * 55000).id)
        out["1 one-paragraph 2 MB"] += (f"{time.process_time() - cpu:.1f} s CPU", f"{time.monotonic() - wall:.1f} s wall")
        paras = "\n\n".join(" ".join(f"Paragraph {p}: the minister said figure {p}.{s} rose again this week."
                                     for s in range(13)) for p in range(2306))
        cpu = time.process_time()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out["1 normal 2 MB, 2,306 paragraphs"] = attempt(lambda: index.add("minutes.txt", paras.encode()[:2_000_000]).id)
        out["1 normal 2 MB, 2,306 paragraphs"] += (f"{time.process_time() - cpu:.1f} s CPU",
                                                   f"peak RSS {max(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024:.0f} MB")

    index = fresh(tmp, "r2")
    out["2 upper-case seed name"] = attempt(lambda: index.add("000_9C80BA997A9C7279.txt", FAKE).id)
    hits = retrieve("What did Zelensky say about the war?", k=3, index=index)
    out["2 first quote"] = (hits[0].doc, hits[0].text[:60], getattr(hits[0], "source", "(no provenance field)"))

    index = fresh(tmp, "r3")
    started = time.monotonic()
    for n in range(args.uploads):
        index.add(f"note{n}.txt", f"Note {n}: the clerk said meeting {n} was adjourned.".encode())
    gens = [g for g in index.settings.index.iterdir() if g.name.startswith(("gen-", ".tmp-"))]
    out[f"3 {args.uploads} tiny uploads"] = (f"{time.monotonic() - started:.0f} s", f"{len(gens)} generations",
                                             f"{disk(index.settings.index) / 1e6:.1f} MB in index/")

    index = fresh(tmp, "r4")
    lost = 0
    for t in range(3):
        results = [None, None]
        barrier = threading.Barrier(2)

        def go(i, t=t):
            barrier.wait()
            results[i] = attempt(lambda: index.add(f"race{t}.txt", f"Race {t} body {i}: the judge said yes.".encode()).id)

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        [x.start() for x in threads]
        [x.join() for x in threads]
        told_added = sum(r[0] == "ok" for r in results)
        lost += told_added - 1  # one file survives; each further "Added" is a lost upload
    out["4 same new name twice at once, 3 tries"] = f"{lost} lost uploads"

    index = fresh(tmp, "r5")
    r = attempt(lambda: index.add("..x.txt", b"The mayor said the bridge will reopen in May.").id)
    out["5 '..x.txt'"] = (r, sorted(p.name for p in index.settings.seeds.iterdir() if "x" in p.name),
                          "x" in [d.id for d in index.documents] or "..x" in [d.id for d in index.documents])

    for k, v in out.items():
        print(f"{k:<40} {v}")
    shutil.rmtree(tmp, ignore_errors=True)
    return out


if __name__ == "__main__":
    print(json.dumps(main(), default=str))
