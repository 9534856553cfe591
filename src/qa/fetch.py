"""Fetch: a web page by URL, safely when the server fetches on a visitor's behalf.

A server that fetches any URL a visitor types is a proxy into its own network: the cloud
metadata service (169.254.169.254), an admin page on 127.0.0.1, a database on 10.x. So every
address a host name resolves to is checked *before* connecting, the connection goes to the
checked address (a second DNS answer cannot swap it: no rebinding), and each redirect is checked
the same way. Only public (globally routable) addresses are fetched, unless the operator allows
local ones: ``allow_local=True`` (the ``qa add`` command, which the operator runs on their own
machine) or ``QA_FETCH_LOCAL=1``. Size and time are capped (2 MB, 10 s for the whole fetch,
redirects included), so a slow or endless response cannot hold a worker.

urllib3 does the HTTP (it is what trafilatura itself fetches with); we only choose the address.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from .errors import FetchError

MAX_BYTES = 2 * 1024 * 1024
TIMEOUT = 10.0
MAX_REDIRECTS = 5
USER_AGENT = "article-qa/0.1 (+reading room)"


@dataclass(frozen=True)
class Page:
    url: str  # the final URL, after redirects
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        from charset_normalizer import from_bytes

        best = from_bytes(self.body).best()
        return str(best) if best is not None else self.body.decode("utf-8", "replace")


def local_allowed(allow_local: bool | None) -> bool:
    if allow_local is not None:
        return allow_local
    return os.environ.get("QA_FETCH_LOCAL", "").strip().lower() in ("1", "true", "yes", "on")


def refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allowed: tuple = ()) -> str | None:
    """Why an address must not be fetched from, or None. Anything not globally routable is refused:
    loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, where the
    cloud metadata service lives), shared, reserved, multicast and unspecified addresses."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in net for net in allowed):
        return None
    for kind in ("unspecified", "loopback", "link_local", "private", "multicast", "reserved"):
        if getattr(ip, f"is_{kind}", False):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "not public"
    return None


def resolve(host: str, port: int, allow_local: bool, allowed: tuple = ()) -> str:
    """The address to connect to for ``host``: every address it resolves to must pass, or none is used."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host!r} ({exc.strerror or exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise FetchError(f"cannot resolve {host!r}")
    if not allow_local:
        for a in addresses:
            why = refused(ipaddress.ip_address(a.split("%")[0]), allowed)
            if why:
                raise FetchError(f"refused to fetch {host!r}: it resolves to {a}, a {why} address "
                                 "(set QA_FETCH_LOCAL=1 to allow local addresses)")
    return addresses[0]


def fetch(url: str, *, allow_local: bool | None = None, allowed_networks: tuple[str, ...] = (),
          max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT) -> Page:
    """GET ``url`` and return the page, following up to 5 redirects, each one checked.

    ``allowed_networks`` lets an operator trust a few local networks (say an intranet's
    10.1.0.0/16) without opening all of them.
    """
    import urllib3

    allow = local_allowed(allow_local)
    allowed = tuple(ipaddress.ip_network(n) for n in allowed_networks)
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"not an http(s) URL: {url[:200]!r}")
        if parts.username or parts.password:
            raise FetchError("URLs with a user name or password are not fetched")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(parts.hostname, port, allow, allowed)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(f"fetching {url[:200]} took longer than {timeout:g} s")
        kw: dict[str, Any] = {}
        if parts.scheme == "https":
            kw = {"assert_hostname": parts.hostname, "server_hostname": parts.hostname}
        pool_cls = urllib3.HTTPSConnectionPool if parts.scheme == "https" else urllib3.HTTPConnectionPool
        pool = pool_cls(address, port, timeout=urllib3.Timeout(connect=min(left, 5.0), read=left), retries=False,
                        maxsize=1, **kw)
        host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            resp = pool.urlopen("GET", path, headers={"Host": host_header, "User-Agent": USER_AGENT,
                                                      "Accept": "text/html,application/xhtml+xml,*/*;q=0.5"},
                                redirect=False, preload_content=False, assert_same_host=False)
        except urllib3.exceptions.HTTPError as exc:
            pool.close()
            raise FetchError(f"could not fetch {url[:200]}: {exc.__class__.__name__}") from None
        try:
            if resp.status in (301, 302, 303, 307, 308) and resp.headers.get("Location"):
                url = urljoin(url, resp.headers["Location"])
                continue
            length = resp.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(f"{url[:200]} is {int(length):,} bytes, over the {max_bytes:,}-byte limit")
            body = bytearray()
            while True:
                chunk = resp.read1(64 * 1024)  # what has arrived, so a slow drip meets the deadline
                if not chunk:
                    break
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(f"{url[:200]} is over the {max_bytes:,}-byte limit")
                if time.monotonic() > deadline:
                    raise FetchError(f"fetching {url[:200]} took longer than {timeout:g} s")
        except urllib3.exceptions.HTTPError as exc:
            raise FetchError(f"could not fetch {url[:200]}: {exc.__class__.__name__}") from None
        finally:
            resp.release_conn()
            pool.close()
        if resp.status >= 400:
            raise FetchError(f"{url[:200]} answered HTTP {resp.status}")
        return Page(url=url, status=resp.status, content_type=resp.headers.get("Content-Type", ""), body=bytes(body))
    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url[:200]}")
