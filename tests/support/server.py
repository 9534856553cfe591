"""The real server for tests: a free port, app.py in a subprocess, a wait; requests and uploads over HTTP."""

from __future__ import annotations

import html
import shutil
import urllib.request
from contextlib import contextmanager

from . import SEEDS
from .bench import bench_script


@contextmanager
def seed_server(tmp_path_factory, name: str):
    """The real server over a fresh copy of the seed article, for a module's tests: (url, seeds)."""
    seeds = tmp_path_factory.mktemp(f"{name}-seeds")
    for f in SEEDS.iterdir():
        shutil.copy(f, seeds / f.name)
    proc, url = start_server(seeds, tmp_path_factory.mktemp(f"{name}-index"))
    try:
        yield url, seeds
    finally:
        stop_server(proc)


# The server helpers are bench/live_server.py's: one copy, used by the benches and the tests.
_live = bench_script("live_server")
free_port, start_server, stop_server = _live.free_port, _live.start_server, _live.stop_server


def http(url: str, path: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 60):
    """(status, body) of one request; an HTTP error status is returned, not raised. A server that
    refuses a large body answers before reading it and closes: the answer is still read."""
    import http.client
    from urllib.parse import urlsplit

    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        try:
            conn.request("POST" if data is not None else "GET", path, body=data, headers=headers or {})
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def multipart(name: str, data: bytes) -> tuple[bytes, dict]:
    import uuid

    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def upload_http(url: str, name: str, data: bytes, docs: list[str] | None = None, timeout: float = 120) -> str:
    """Upload an article the way the page does (file to /gradio_api/upload, then the upload event
    through the queue) and return the status the page would show, as text."""
    import json
    import re
    import uuid

    status, body = http(url, "/gradio_api/upload", *multipart(name, data))
    if status != 200:
        return f"HTTP {status}: {body.decode(errors='replace')}"
    path = json.loads(body)[0]
    config = json.loads(http(url, "/config")[1])
    dep = next(d for d in config["dependencies"] if any(t[1] == "upload" for t in d["targets"]))
    session = uuid.uuid4().hex
    files = [{"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}]  # the field takes several
    join = {"data": [files, docs or [], None],  # the files, the articles searched, the article being read
            "fn_index": dep["id"], "trigger_id": dep["targets"][0][0], "session_hash": session, "event_data": None}
    status, body = http(url, "/gradio_api/queue/join", json.dumps(join).encode(), {"Content-Type": "application/json"})
    if status != 200:
        return f"HTTP {status}: {body.decode(errors='replace')}"
    req = urllib.request.Request(url.rstrip("/") + f"/gradio_api/queue/data?session_hash={session}")
    with urllib.request.urlopen(req, timeout=timeout) as stream:
        for line in stream:
            if not line.startswith(b"data:"):
                continue
            msg = json.loads(line[5:])
            if msg.get("msg") == "process_completed":
                out = (msg.get("output") or {}).get("data") or [msg.get("output")]
                shown = out[0] if isinstance(out[0], str) else json.dumps(out[0])
                return html.unescape(re.sub(r"<[^>]+>", "", shown))
    return "no reply"
