"""The ``qa`` command: the Python API, one subcommand a function.

    qa index                      build or refresh the index of the seeds folder
    qa ask "question" [-k N] [--json] [--doc ID]
    qa serve [--host H] [--port P] [--allow-uploads | --no-uploads] [--auth USER:PASSWORD] [--allowed-host NAME]
             [--queue-size N]
    qa list [--json]              the articles: id, title, source, sentences, speakers
    qa add URL_OR_FILE            fetch a page (or read a file), save it into the seeds folder, index it
    qa remove ID                  delete an article's file and re-index
    qa speakers [--json]          everyone quoted, with their number of quotes
    qa quotes NAME [--json]       every sentence attributed to NAME, in article order
    qa mcp                        serve the tools to an agent over MCP (stdio)
    qa eval [--data DIR] [--out DIR]   the SQuAD benchmark (a source checkout only)

Errors: a ``QAError`` (qa/errors.py: bad input or settings) is one line on stderr and exit 2; an
``OSError`` (a path that cannot be read or written) one line naming the path and exit 1; anything
else is a bug and ends with its traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .config import DEFAULT_MODEL, DEFAULT_QUEUE_SIZE, DEFAULT_STORE, ENV, Settings
from .errors import QAError

SETTINGS_RULE = f"""settings: each flag first, else its environment variable, else the default:
--seeds ({ENV['seeds']}, ./seeds), --index ({ENV['index']}, ./index), --model ({ENV['model']}, {DEFAULT_MODEL}),
--store ({ENV['store']}, {DEFAULT_STORE}) on every command; --ray ({ENV['ray']}) on qa index;
--queue-size ({ENV['queue_size']}, {DEFAULT_QUEUE_SIZE}) and --auth (QA_AUTH) on qa serve.
A seeds folder that does not exist is an error naming it (exit 2)."""

SERVE_ENV = """environment only (no flag): QA_UPLOADS_PER_HOUR (30) and QA_UPLOAD_BYTES_PER_HOUR (20 MB), the hourly
upload limits; QA_UPLOAD_CACHE_SECONDS (300), how long an unclaimed upload stays in Gradio's cache; QA_FETCH_LOCAL=1
lets the page fetch loopback and private addresses."""


def _k(value: str) -> int:
    """-k as the Python API takes it: a whole number from 1 to 100 (answer() would clamp 1000 to 100)."""
    from .retrieve import MAX_K

    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"k must be a whole number from 1 to {MAX_K}, not {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"k must be a whole number from 1 to {MAX_K}, not {k}")
    return k


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--seeds", metavar="FOLDER", help=f"folder of articles (env {ENV['seeds']}; default ./seeds)")
    common.add_argument("--index", metavar="FOLDER", help=f"index folder (env {ENV['index']}; default ./index)")
    common.add_argument("--model", help=f"sentence-transformers model: name or local path (env {ENV['model']}; "
                                        f"default {DEFAULT_MODEL}, packaged)")
    common.add_argument("--store", metavar="STORE", help=f"where the index keeps its vectors: faiss, a Milvus Lite "
                        f"file PATH.db, or http(s)://HOST:PORT of a Milvus server; URI#NAME picks the collection (env "
                        f"{ENV['store']}; default {DEFAULT_STORE}; QA_MILVUS_TOKEN for a server)")
    p = argparse.ArgumentParser(prog="qa", description="Ask questions of news articles; get verbatim quotes with attribution.",
                                epilog=SETTINGS_RULE, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    ix = sub.add_parser("index", parents=[common], help="build or refresh the index")
    ix.add_argument("--ray", action="store_true", default=None,
                    help=f"encode new sentences with Ray: local, or the cluster RAY_ADDRESS names (env {ENV['ray']})")
    ask = sub.add_parser("ask", parents=[common], help="answer a question with quotes from the articles")
    ask.add_argument("question")
    ask.add_argument("-k", type=_k, default=3, help="how many quotes, 1 to 100 (default 3)")
    ask.add_argument("--doc", action="append", dest="docs", metavar="ID", help="search only this article (repeatable)")
    ask.add_argument("--json", action="store_true", help="print the passages as JSON")
    serve = sub.add_parser("serve", parents=[common], help="start the web chat", epilog=SERVE_ENV,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=7860, help="port to listen on (default 7860)")
    up = serve.add_mutually_exclusive_group()
    up.add_argument("--allow-uploads", dest="uploads", action="store_true", default=None,
                    help="let visitors add articles (default: only when bound to a loopback address)")
    up.add_argument("--no-uploads", dest="uploads", action="store_false", help="no one can add articles from the page")
    serve.set_defaults(uploads=None)  # neither flag: on only on a loopback address
    serve.add_argument("--auth", metavar="USER:PASSWORD", default=None,
                       help="require a login (env QA_AUTH); needed for uploads on a non-loopback address")
    serve.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="a further Host name the server answers to, e.g. its DNS name (repeatable)")
    serve.add_argument("--queue-size", metavar="N", default=None,
                       help=f"questions that may wait; past that \"busy\" (env {ENV['queue_size']}; "
                            f"default {DEFAULT_QUEUE_SIZE})")
    ls = sub.add_parser("list", parents=[common], help="the articles: id, title, source, sentences, speakers")
    ls.add_argument("--json", action="store_true", help="print the articles as JSON")
    add = sub.add_parser("add", parents=[common],
                         help="add an article: a web page by URL, or a .txt/.md/.html/.pdf/.docx file")
    add.add_argument("target", metavar="URL_OR_FILE")
    rm = sub.add_parser("remove", parents=[common], help="delete an article's seed file and re-index")
    rm.add_argument("id", metavar="ID")
    sp = sub.add_parser("speakers", parents=[common], help="everyone quoted, with their number of quotes")
    sp.add_argument("--json", action="store_true", help="print the speakers as JSON")
    qs = sub.add_parser("quotes", parents=[common], help="every sentence attributed to a speaker, in article order")
    qs.add_argument("name", metavar="NAME")
    qs.add_argument("--json", action="store_true", help="print the passages as JSON")
    sub.add_parser("mcp", parents=[common],
                   help="serve retrieve, answer, list_articles, speaker_quotes to agents over MCP (stdio)")
    ev = sub.add_parser("eval", parents=[common], help="ReQA retrieval and abstention on SQuAD dev, with baselines "
                                                       "(needs a source checkout: bench/squad.py)")
    ev.add_argument("--data", metavar="FOLDER", help="folder with the SQuAD dev files (default: ../shared/data)")
    ev.add_argument("--out", metavar="FOLDER", default="bench/out/eval",
                    help="cache and report folder (default bench/out/eval)")
    return p


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _path_error(exc: OSError) -> str:
    """An OSError as one line naming the path: "cannot write /x/index: Permission denied"."""
    if exc.filename is None:
        return _one_line(exc)
    why = exc.strerror or exc.__class__.__name__
    return f"{exc.filename}: {why}" + (f" (and {exc.filename2})" if exc.filename2 else "")


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # a usage error (exit 2) or --help (0): returned, so main() can be called in-process
        return exc.code if isinstance(exc.code, int) else 2
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("qa: %(message)s"))
    log = logging.getLogger("qa")  # the package's logger: every module's (qa.index, qa.ui, ...) reaches it
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        return _run(args)
    except QAError as exc:  # qa/errors.py: the user's input or settings, said plainly
        print(f"qa: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path that cannot be read or written: which one, and why
        print(f"qa: error: {_path_error(exc)}", file=sys.stderr)
        return 1
    finally:
        log.removeHandler(handler)  # main() may run again in this process (tests, app.py)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(args.seeds, args.index, args.model, args.store, getattr(args, "queue_size", None),
                             getattr(args, "ray", None))


def _run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.command == "eval":
        return _eval(args, settings)
    from .embed import quiet
    from .index import Index, plural

    quiet()
    index = Index(settings=settings)
    if args.command == "index":
        rebuilt = index.refresh(progress=True)
        st = index.state
        print(f"{'indexed' if rebuilt else 'up to date:'} {plural(len(st), 'sentence')} from "
              f"{plural(len(st.documents), 'article')} in {settings.index}")
        for w in index.warnings:
            print(f"warning: {w}", file=sys.stderr)
        return 0
    if args.command == "ask":
        return _ask(args, index)
    if args.command == "list":
        from .library import articles

        found = articles(index)
        if args.json:
            print(json.dumps([a.to_dict() for a in found], indent=2, ensure_ascii=False))
        else:
            for a in found:
                who = ", ".join(f"{n} ({c})" for n, c in a.speakers[:5]) + (" ..." if len(a.speakers) > 5 else "")
                print(f"{a.id}\t{a.title}\t{a.source}\t{plural(a.sentences, 'sentence')}\t{who or 'no speakers'}")
            print(f"{plural(len(found), 'article')} in {settings.seeds}", file=sys.stderr)
        return 0
    if args.command == "add":
        from .library import add

        doc = add(index, args.target, allow_local=True, visitor=False)  # the operator's own command: local URLs allowed, curated
        rows = index.state.rows_of(doc.id)
        print(f"added {doc.id}: {doc.title} ({plural(len(rows), 'sentence')})")
        return 0
    if args.command == "remove":
        from .library import remove

        path = remove(index, args.id)
        print(f"removed {args.id} ({path.name}); {plural(len(index.state.documents), 'article')} left")
        return 0
    if args.command == "speakers":
        from .speakers import speakers

        who_all = speakers(index)
        if args.json:
            print(json.dumps([s.to_dict() for s in who_all], indent=2, ensure_ascii=False))
        else:
            for s in who_all:
                print(f"{s.quotes:>5}  {s.name}")
        return 0
    if args.command == "quotes":
        from .cite import citation
        from .speakers import quotes

        said = quotes(index, args.name)
        if args.json:
            print(json.dumps([p.to_dict() for p in said], indent=2, ensure_ascii=False))
        else:
            print("\n\n".join(citation(p) for p in said))
        return 0
    if args.command == "serve":
        import os

        from .ui import parse_auth, serve

        serve(index, host=args.host, port=args.port, uploads=args.uploads,
              auth=parse_auth(args.auth or os.environ.get("QA_AUTH")), extra_hosts=tuple(args.allowed_host),
              settings=settings)
        return 0
    if args.command == "mcp":
        try:
            from .mcp_server import serve as serve_mcp
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("mcp"):
                raise
            print("qa: error: qa mcp needs the MCP SDK: pip install 'article-qa[mcp]'", file=sys.stderr)
            return 2
        serve_mcp(index)
        return 0
    raise AssertionError(f"no handler for the command {args.command!r}")  # argparse allows only the ones above


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    """``qa eval``: the SQuAD driver of the source checkout (bench/squad.py), with these settings."""
    from .embed import quiet
    from .evaluate import driver

    squad = driver()  # NoDriver (a QAError, one line) when qa is installed without its checkout
    quiet()
    out = Path(args.out)
    squad.run(out, Path(args.data) if args.data else squad.DATA, settings=settings)
    print((out / "report.md").read_text())
    print(f"JSON report: {out / 'report.json'}")
    return 0


def _ask(args: argparse.Namespace, index) -> int:
    """Quotes as plain-text citations (the same text as ``qa.cite.citation``), or JSON. When nothing
    clears the threshold and some words are unknown to the index, the corrected question is searched
    too, and shown ("Showing results for ...") if it finds an answer."""
    from .answer import answer
    from .cite import citation

    res = answer(args.question, k=args.k, docs=args.docs, index=index)
    corrected = None
    if res.abstained and not res.note and res.passages:
        from .spelling import suggest

        fixed = suggest(args.question, index)
        if fixed:
            again = answer(fixed, k=args.k, docs=args.docs, index=index)
            if not again.abstained:
                res, corrected = again, fixed
    if args.json:
        out = res.to_dict()
        if corrected:
            out["corrected"] = corrected
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    lines = []
    if corrected:
        lines.append(f"Showing results for “{corrected}”")
    if res.note:
        lines.append(res.note)
    elif not res.passages:
        lines.append("The articles do not cover this question: there are no articles to search.")
    else:
        if res.searched and res.searched != res.question:
            lines.append(f"Searched for: {res.searched}")
        if res.abstained:
            lines.append("The articles do not cover this question. Closest, but not an answer:")
        lines.extend(citation(p) for p in res.passages)
    print("\n\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
