"""The ``qa`` command: the Python API, one subcommand a function.

    qa index                      build or refresh the index of the seeds folder
    qa ask "question" [-k N] [--json] [--doc ID]
    qa serve [--host H] [--port P] [--allow-uploads | --no-uploads] [--auth USER:PASSWORD] [--allowed-host NAME]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from .config import Settings


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--seeds", help="folder of articles (default: $QA_SEEDS or ./seeds)")
    common.add_argument("--index", help="index folder (default: $QA_INDEX or ./index)")
    common.add_argument("--model", help="sentence-transformers model: name or local path (default: $QA_MODEL or all-MiniLM-L6-v2, packaged)")
    p = argparse.ArgumentParser(prog="qa", description="Ask questions of news articles; get verbatim quotes with attribution.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("index", parents=[common], help="build or refresh the index")
    ask = sub.add_parser("ask", parents=[common], help="answer a question with quotes from the articles")
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=3, help="how many quotes (default 3)")
    ask.add_argument("--doc", action="append", dest="docs", metavar="ID", help="search only this article (repeatable)")
    ask.add_argument("--json", action="store_true", help="print the passages as JSON")
    serve = sub.add_parser("serve", parents=[common], help="start the web chat")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=7860)
    up = serve.add_mutually_exclusive_group()
    up.add_argument("--allow-uploads", dest="uploads", action="store_true", default=None,
                    help="let visitors add articles (default: only when bound to a loopback address)")
    up.add_argument("--no-uploads", dest="uploads", action="store_false", help="no one can add articles from the page")
    serve.set_defaults(uploads=None)  # neither flag: on only on a loopback address
    serve.add_argument("--auth", metavar="USER:PASSWORD", default=None,
                       help="require a login (default: $QA_AUTH); needed for uploads on a non-loopback address")
    serve.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="a further Host name the server answers to, e.g. its DNS name (repeatable)")
    ev = sub.add_parser("eval", parents=[common], help="ReQA retrieval and abstention on SQuAD dev, with baselines")
    ev.add_argument("--data", help="folder with the SQuAD dev files (default: ../shared/data)")
    ev.add_argument("--out", default="bench/out/eval", help="cache and report folder (default bench/out/eval)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("qa: %(message)s"))
    log = logging.getLogger("qa")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    settings = Settings.from_env(args.seeds, args.index, args.model)
    from .index import Index

    index = Index(settings=settings)
    try:
        if args.command == "index":
            rebuilt = index.refresh(progress=True)
            st = index.state
            print(f"{'indexed' if rebuilt else 'up to date:'} {len(st):,} sentences from {len(st.documents)} articles "
                  f"in {settings.index}")
            for w in index.warnings:
                print(f"warning: {w}", file=sys.stderr)
            return 0
        if args.command == "ask":
            from .answer import answer

            res = answer(args.question, k=args.k, docs=args.docs, index=index)
            print(json.dumps(res.to_dict(), indent=2, ensure_ascii=False) if args.json else str(res))
            return 0
        if args.command == "eval":
            from pathlib import Path

            from .evaluate import DATA, run

            report = run(Path(args.out), Path(args.data) if args.data else DATA)
            print((Path(args.out) / "report.md").read_text())
            print(f"JSON report: {Path(args.out) / 'report.json'}")
            return 0
        if args.command == "serve":
            import os

            from .ui import parse_auth, serve

            serve(index, host=args.host, port=args.port, uploads=args.uploads,
                  auth=parse_auth(args.auth or os.environ.get("QA_AUTH")), extra_hosts=tuple(args.allowed_host))
            return 0
    except ValueError as exc:  # QuestionError, IngestError: the user's input, said plainly
        print(f"qa: error: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
