"""Security: who may reach the server, how much one request may carry, how fast articles may arrive.

Found by an outside test of the web chat (issue 11): any Host header was served (so a web page
could reach a loopback server through DNS rebinding), ``/gradio_api/upload`` stored 20 x 2 MB in
0.1 s with no upload event to follow, and a 100 MB JSON history was parsed (eight at once: 1.28 to
2.46 GB). Gradio checks none of these, so one small ASGI middleware in front of it does:

* the Host header must name this server (``allowed_hosts``); Starlette's own TrustedHostMiddleware
  does the matching;
* a request body must declare its length and stay under a cap before any of it is read: 2 MB
  (plus form overhead) for an upload, 256 KB for anything else, which is a hundred questions of
  history at the 2,000-character limit;
* the upload route is closed when uploads are off, and takes at most ``upload_bytes_per_hour``.

Upload-cache files that no upload event used are removed by Gradio's own ``delete_cache``
(qa/ui.py); an upload event deletes its file as soon as it has read it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass

log = logging.getLogger(__name__)

UPLOAD_ROUTE = "/gradio_api/upload"
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and headers around one file


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(a[4][0]).is_loopback for a in socket.getaddrinfo(host, None))
        except OSError:
            return False


def allowed_hosts(bind: str, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Host names a request may name: the bound address (when it is a name or a single address),
    this machine's loopback names, and what the operator adds (``--allowed-host``). Binding every
    interface (0.0.0.0) allows the machine's own name and addresses, not any name at all."""
    hosts = {"localhost", "127.0.0.1", "::1", "[::1]", *extra}
    if bind in ("0.0.0.0", "::", ""):
        name = socket.gethostname()
        hosts |= {name, socket.getfqdn()}
        try:
            hosts |= {a[4][0] for a in socket.getaddrinfo(name, None)}
        except OSError:
            pass
    else:
        hosts.add(bind)
    return sorted(h for h in hosts if h)


@dataclass(frozen=True)
class Limits:
    """What one server accepts. Defaults: an article is at most 2 MB (``ui.MAX_UPLOAD``); 20 MB and 30
    articles an hour is a busy newsroom's day of wire copy, and keeps a flood to 20 MB of seeds and
    one index rebuild every two minutes; env QA_UPLOAD_BYTES_PER_HOUR, QA_UPLOADS_PER_HOUR."""

    upload_bytes: int = 2 * 1024 * 1024
    body_bytes: int = 256 * 1024
    upload_bytes_per_hour: int = 20 * 1024 * 1024
    uploads_per_hour: int = 30
    history_items: int = 100
    docs_items: int = 1_000

    @classmethod
    def from_env(cls) -> Limits:
        return cls(upload_bytes_per_hour=int(os.environ.get("QA_UPLOAD_BYTES_PER_HOUR", cls.upload_bytes_per_hour)),
                   uploads_per_hour=int(os.environ.get("QA_UPLOADS_PER_HOUR", cls.uploads_per_hour)))


class Window:
    """A sliding one-hour tally (of bytes or of articles), safe to share between threads."""

    def __init__(self, ceiling: int, seconds: float = 3600.0):
        self.ceiling, self.seconds = ceiling, seconds
        self._events: deque[tuple[float, int]] = deque()
        self._total = 0
        self._lock = threading.Lock()

    def take(self, amount: int = 1) -> bool:
        """Count ``amount`` if it fits under the ceiling for the last hour; False (and count nothing) if not."""
        now = time.monotonic()
        with self._lock:
            while self._events and self._events[0][0] < now - self.seconds:
                self._total -= self._events.popleft()[1]
            if self._total + amount > self.ceiling:
                return False
            self._events.append((now, amount))
            self._total += amount
            return True

    def give_back(self, amount: int = 1) -> None:
        with self._lock:
            for i in range(len(self._events) - 1, -1, -1):
                if self._events[i][1] == amount:
                    del self._events[i]
                    self._total -= amount
                    return


def short(value: object, limit: int = 200) -> str:
    """A value for a log line or a message: one line, at most ``limit`` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def refused(what: str, why: object) -> None:
    """The one log line for an input refused: no traceback, nothing longer than a line."""
    log.info("refused %s: %s", what, short(why))


class Guard:
    """ASGI middleware: Host check, body-size caps, and the upload route's switch and hourly ceiling."""

    def __init__(self, app, hosts: list[str], limits: Limits, uploads: bool, api: dict | None = None):
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        self.app = app
        self.api = api or {}  # api_name or fn index -> (name, parameter names): arguments checked before Gradio
        self.trusted, self.allowed = TrustedHostMiddleware, list(hosts)
        self.limits = limits
        self.uploads = uploads
        self.upload_bytes = Window(limits.upload_bytes_per_hour)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        passed = False

        async def inner(scope, receive, send):
            nonlocal passed
            passed = True
            await self._inner(scope, receive, send)

        async def logged(message):  # TrustedHostMiddleware refuses silently; say so in one line
            if message["type"] == "http.response.start" and not passed:
                host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
                refused("Host header", f"{message['status']} {host!r} is not a name of this server")
            await send(message)

        await self.trusted(inner, allowed_hosts=self.allowed)(scope, receive, logged)  # one per request: no shared state

    async def _inner(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        upload = path.rstrip("/").endswith(UPLOAD_ROUTE) or path.rstrip("/") == "/upload"
        if upload and not self.uploads:
            return await _plain(send, 403, "uploads are turned off on this server", path)
        cap = self.limits.upload_bytes + FORM_OVERHEAD if upload else self.limits.body_bytes
        length = dict(scope.get("headers") or []).get(b"content-length")
        try:
            size = int(length) if length is not None else None
        except ValueError:
            size = None
        if size is None:
            return await _plain(send, 411, "a request body must declare its Content-Length", path)
        if size > cap:
            return await _plain(send, 413, f"request body of {size:,} bytes is over the {cap:,}-byte limit", path)
        if upload and not self.upload_bytes.take(size):
            return await _plain(send, 429, "this server has taken all the uploads it accepts this hour; "
                                           "try again later", path)
        seen = 0
        name = path.rstrip("/").rsplit("/", 1)[-1]
        if not upload and self.api and (name in self.api or name == "join"):
            body = await _read(receive, cap)
            problem = self._arguments(name, body)
            if problem:
                return await _plain(send, 422, problem, path)
            replayed = False

            async def replay():
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            return await self.app(scope, replay, send)

        async def bounded():  # a body longer than it declared is cut off, not read on
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise ValueError("request body longer than its Content-Length")
            return message

        return await self.app(scope, bounded, send)

    def _arguments(self, name: str, body: bytes) -> str | None:
        """A clear refusal when an API call has too few or too many values (Gradio: a 500 and a traceback)."""
        import json

        try:
            payload = json.loads(body or b"null")
        except ValueError:
            return "the request body is not JSON"
        if not isinstance(payload, dict):
            return "the request body must be a JSON object with a 'data' list"
        key = payload.get("fn_index") if name == "join" else name
        if key not in self.api:
            return None
        api, params = self.api[key]
        data = payload.get("data")
        if not isinstance(data, list):
            return f"/{api} takes a 'data' list of {len(params)} values ({', '.join(params)})"
        if len(data) != len(params):
            return f"/{api} takes {len(params)} values ({', '.join(params)}), not {len(data)}"
        return None


async def _read(receive, cap: int) -> bytes:
    chunks, total = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        total += len(chunks[-1])
        if total > cap:
            raise ValueError("request body longer than its Content-Length")
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _plain(send, status: int, text: str, path: str) -> None:
    refused(f"request to {path[:80]}", f"{status} {text}")
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
