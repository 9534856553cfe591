"""Segmentation time per byte, 10 KB .. 2 MB, for an article that is one long paragraph.

    PYTHONPATH=src python bench/segment.py [--max-kb 2048]

Before pysbd was fed bounded windows (qa/segment.py: _windows) the cost grew with the square of
the paragraph: 10/20/40/80 KB took 0.14/0.46/1.5/6.3 s, and 2 MB did not finish in 15 minutes.
The text is the seed article's own sentences, joined into one paragraph, so abbreviations and
quotations are those of real news prose. Prints one line per size and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):  # PYTHONPATH may name another checkout, e.g. the old code to compare
    sys.path.insert(0, str(ROOT / "src"))

from qa import segment  # noqa: E402
from qa.ingest import load, seed_files  # noqa: E402


def one_paragraph(size: int) -> str:
    doc = load(seed_files(ROOT / "seeds")[0])
    unit = " ".join(doc.text[s.start:s.end] for s in segment.segment(doc.text, doc.body_start)) + " "
    return (unit * (size // len(unit) + 1))[:size].rsplit(" ", 1)[0]


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser()
    p.add_argument("--max-kb", type=int, default=2048)
    args = p.parse_args(argv)
    sizes = [kb for kb in (10, 20, 40, 80, 160, 320, 640, 1280, 2048) if kb <= args.max_kb]
    segment.sentences("Warm up. Two sentences.", 0, 23)
    rows = []
    for kb in sizes:
        text = one_paragraph(kb * 1024)
        started = time.thread_time()
        spans = segment.segment(text)
        seconds = time.thread_time() - started
        assert all(text[s.start:s.end] == text[s.start:s.end].strip() for s in spans)
        rows.append({"kb": kb, "seconds": round(seconds, 3), "ms_per_kb": round(1000 * seconds / kb, 2),
                     "sentences": len(spans)})
        print(f"{kb:>6} KB  {seconds:7.2f} s CPU  {1000 * seconds / kb:6.2f} ms/KB  {len(spans):>7,} sentences", flush=True)
    per_kb = [r["ms_per_kb"] for r in rows]
    report = {"rows": rows, "ratio_max_to_min_ms_per_kb": round(max(per_kb) / min(per_kb), 2)}
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
