"""The safe fetcher refuses local addresses (before any connection) unless the operator allows them."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from qa.fetch import FetchError, fetch


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/redirect-to-loopback"):
            port = self.server.server_address[1]
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.2:{port}/secret")
            self.end_headers()
        elif self.path.startswith("/redirect-to-metadata"):
            self.send_response(301)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
        elif self.path.startswith("/huge"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(40):  # 2.5 MB, with no Content-Length to go by
                self.wfile.write(b"x" * 65536)
        elif self.path.startswith("/slow"):
            self.send_response(200)
            self.end_headers()
            for _ in range(30):
                self.wfile.write(b"<p>drip</p>")
                self.wfile.flush()
                time.sleep(0.1)
        else:
            body = b"<p>hello</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


@pytest.fixture(scope="module")
def local():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("url, kind", [
    ("http://127.0.0.1/", "loopback"),
    ("http://localhost:8080/admin", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/", "loopback"),
    ("http://0.0.0.0/", "unspecified"),
])
def test_local_private_and_metadata_addresses_are_refused_before_connecting(url, kind, monkeypatch):
    monkeypatch.delenv("QA_FETCH_LOCAL", raising=False)
    with pytest.raises(FetchError, match=kind):
        fetch(url, allow_local=False)


def test_the_default_refuses_loopback_too(local, monkeypatch):
    monkeypatch.delenv("QA_FETCH_LOCAL", raising=False)
    with pytest.raises(FetchError, match="loopback"):
        fetch(local + "/")


def test_a_redirect_to_loopback_or_metadata_is_refused_on_the_hop(local, monkeypatch):
    monkeypatch.delenv("QA_FETCH_LOCAL", raising=False)
    trusted = ("127.0.0.1/32",)  # the first server is trusted; where it sends us is checked anew
    assert fetch(local + "/", allow_local=False, allowed_networks=trusted).body == b"<p>hello</p>"
    with pytest.raises(FetchError, match=r"127\.0\.0\.2, a loopback"):
        fetch(local + "/redirect-to-loopback", allow_local=False, allowed_networks=trusted)
    with pytest.raises(FetchError, match=r"169\.254\.169\.254, a link-local"):
        fetch(local + "/redirect-to-metadata", allow_local=False, allowed_networks=trusted)


def test_the_operator_may_fetch_local_pages_by_flag_or_setting(local, monkeypatch):
    assert fetch(local + "/", allow_local=True).status == 200
    monkeypatch.setenv("QA_FETCH_LOCAL", "1")
    assert fetch(local + "/").body == b"<p>hello</p>"


def test_size_and_time_are_capped(local):
    with pytest.raises(FetchError, match="over the 2,097,152-byte limit"):
        fetch(local + "/huge", allow_local=True)
    started = time.monotonic()
    with pytest.raises(FetchError, match="longer than 1 s"):
        fetch(local + "/slow", allow_local=True, timeout=1.0)
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/", "http://user:pw@example.org/", "javascript:alert(1)"])
def test_only_plain_http_urls_are_fetched(url):
    with pytest.raises(FetchError):
        fetch(url, allow_local=True)
