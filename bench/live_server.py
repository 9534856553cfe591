"""The real server (app.py) in a subprocess on a free loopback port, for the benches that time it
(load.py, perf.py) and for the tests (tests/support/server.py loads this file): bench/ does not
import from tests/, and there is one copy."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(seeds: Path, index: Path, timeout: float = 180, args: tuple[str, ...] = (),
                 env: dict | None = None, log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """The real server (app.py) on a free port; ``log`` collects its output (else a pipe)."""
    port = free_port()
    env = dict(os.environ, QA_SEEDS=str(seeds), QA_INDEX=str(index), **(env or {}))
    out = open(log, "w") if log else subprocess.PIPE
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), *args], env=env,
                            stdout=out, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read() if proc.stdout else log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start in time")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
