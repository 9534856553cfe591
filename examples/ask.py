"""Ask the articles a question from Python: the best quotes, who said them and where they stand.

    python examples/ask.py "Which regiment did Zelensky commend?"

It reads the seeds/ folder of this checkout unless QA_SEEDS names another, and keeps the index in
QA_INDEX (default: index/ in the current folder), so it runs from any folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from qa import Index, QAError, answer, retrieve
from qa.cite import citation


def main(argv: list[str]) -> int:
    question = " ".join(argv) or "Which regiment did Zelensky commend?"
    seeds = os.environ.get("QA_SEEDS") or Path(__file__).resolve().parents[1] / "seeds"
    index = Index(seeds=seeds)  # the index folder: $QA_INDEX, else ./index
    try:
        hits = retrieve(question, k=3, index=index)  # list[Passage], best first
        reply = answer(question, k=3, index=index)  # the same, or "not covered", as Markdown
    except QAError as exc:  # an empty question, a missing seeds folder: one line saying what to change
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for p in hits:
        print(f"{p.score:.2f}  {citation(p)}")
    print()
    print(reply)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
