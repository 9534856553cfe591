"""Load: the real server on loopback, questions from gradio_client in several threads.

    python bench/load.py [--threads 4] [--seconds 20] [--max-requests 2000]

Prints throughput, latency percentiles and errors (which must be zero), then floods a server
whose queue holds 2 jobs to show that a full queue answers "busy" instead of failing.
Every loop is bounded in count and time, and only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
from live_server import start_server, stop_server  # bench/live_server.py, beside this script  # noqa: E402

QUESTIONS = ["Who did Zelensky commend?", "What did Trump say about Russia?", "Who is Emil Kastehelmi?",
             "Where is Demidovka?", "How many civilians died in Kryvyi Rih?", "What did the Institute for the Study of War say?"]


def hammer(url: str, threads: int, seconds: float, max_requests: int) -> dict:
    from gradio_client import Client

    lat, errors, lock = [], [], threading.Lock()
    deadline = time.monotonic() + seconds
    budget = [max_requests]

    def worker(n: int):
        client = Client(url, verbose=False)
        i = n
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            q = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            t = time.perf_counter()
            try:
                if i % 2:
                    client.predict(q, 3, None, api_name="/retrieve")
                else:
                    client.predict(q, None, None, api_name="/chat")
                with lock:
                    lat.append(time.perf_counter() - t)
            except Exception as exc:
                with lock:
                    errors.append(repr(exc)[:200])

    started = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - started
    ms = np.array(lat) * 1000
    return {"threads": threads, "requests": len(lat), "errors": len(errors), "error_samples": errors[:3],
            "throughput_per_s": round(len(lat) / wall, 1), "p50_ms": round(float(np.percentile(ms, 50)), 1) if len(ms) else None,
            "p95_ms": round(float(np.percentile(ms, 95)), 1) if len(ms) else None,
            "p99_ms": round(float(np.percentile(ms, 99)), 1) if len(ms) else None, "seconds": round(wall, 1)}


def flood(url: str, jobs: int = 60) -> dict:
    """Submit many jobs at once to a server with a tiny queue: each either succeeds or is told 'busy'."""
    from gradio_client import Client

    # One client per job: jobs of one client share its event stream, and when the server closed that
    # stream under the flood, gradio_client cancelled the jobs still waiting on it (CancelledError,
    # 2 of 60 in one CI run) although the server had answered or refused each of them.
    clients = [Client(url, verbose=False) for _ in range(jobs)]
    outcomes = {"ok": 0, "busy": 0, "other": []}
    futures = [c.submit(QUESTIONS[n % len(QUESTIONS)], None, None, api_name="/chat") for n, c in enumerate(clients)]
    for f in futures:
        try:
            f.result(timeout=120)
            outcomes["ok"] += 1
        except Exception as exc:
            if "queue is full" in str(exc).lower():
                outcomes["busy"] += 1
            else:
                outcomes["other"].append(repr(exc)[:200])
    return outcomes


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--max-requests", type=int, default=2000)
    args = ap.parse_args(argv)
    import os

    work = Path(tempfile.mkdtemp(prefix="qa-load-"))
    shutil.copytree(ROOT / "seeds", work / "seeds")
    report = {}
    proc, url = start_server(work / "seeds", work / "index")
    try:
        report["load"] = hammer(url, args.threads, args.seconds, args.max_requests)
    finally:
        stop_server(proc)
    os.environ["QA_QUEUE_SIZE"] = "2"
    proc, url = start_server(work / "seeds", work / "index")
    try:
        report["full queue"] = flood(url)
    finally:
        stop_server(proc)
        del os.environ["QA_QUEUE_SIZE"]
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
