"""Retrieval quality and abstention on SQuAD dev: `python bench/eval.py` (the same as `qa eval`)."""

import sys

from qa.cli import main

if __name__ == "__main__":
    sys.exit(main(["eval", *sys.argv[1:]]))
