"""The scripts in examples/ run as a user runs them, against the real seed article and model: each
must print the quote it is about. The gradio_client one talks to the real server (app.py)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import qa

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
REGIMENT = "He commended the 225th Assault Regiment deployed near Belgorod"


def env_for(seed_index) -> dict:
    """This process's environment with the test's seeds and index, and this qa first on the path."""
    env = dict(os.environ, QA_SEEDS=str(seed_index.settings.seeds), QA_INDEX=str(seed_index.settings.index))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(qa.__file__).parents[1]), env.get("PYTHONPATH")) if p)
    return env


def run(script: str, *args: str, env: dict, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, str(EXAMPLES / script), *args], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out


def test_ask_prints_the_regiment_quote_with_its_citation(seed_index, tmp_path):
    out = run("ask.py", "Which regiment did Zelensky commend?", env=env_for(seed_index), cwd=tmp_path)
    first = out.stdout.splitlines()[0]
    assert REGIMENT in first and first.endswith("— Volodymyr Zelensky, Ukrainian President Volodymyr Zelensky "
                                                "confirmed for the first…, paragraph 4, sentence 2")
    assert "> He **commended** the 225th Assault **Regiment**" in out.stdout  # answer() as Markdown


def test_ask_finds_this_checkouts_seeds_without_qa_seeds(seed_index, tmp_path):
    env = env_for(seed_index)
    del env["QA_SEEDS"]  # examples/ask.py falls back to seeds/ beside it
    env["QA_INDEX"] = str(tmp_path / "index")
    out = run("ask.py", "Which regiment did Zelensky commend?", env=env, cwd=tmp_path)
    assert REGIMENT in out.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(seed_index, tmp_path):
    """The real web chat (app.py, as tests/web.py starts it) on a free loopback port."""
    port = free_port()
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--no-uploads"],
                            env=env_for(seed_index), stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {(tmp_path / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start in time") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_gradio_client_chat_against_the_real_server(server, seed_index, tmp_path):
    pytest.importorskip("gradio_client")
    out = run("gradio_client_chat.py", server, env=env_for(seed_index), cwd=tmp_path)
    lines = out.stdout.splitlines()
    assert lines[0].startswith(REGIMENT) and lines[0].endswith("Volodymyr Zelensky 4")
    assert "Searched for" in out.stdout and "Volodymyr Zelensky" in out.stdout  # the follow-up "he" resolved
    assert re.search(r"\{'name': 'Volodymyr Zelensky', 'quotes': \d+, 'articles': 1\} \d+$", out.stdout.strip())


def test_the_readme_gradio_client_block_is_the_example_file():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "gradio_client" in b)
    script = (EXAMPLES / "gradio_client_chat.py").read_text(encoding="utf-8")
    body = [line for line in script.splitlines() if line.startswith(("client", "hits", "print"))]
    assert body and body == [line for line in block.splitlines() if line.startswith(("client", "hits", "print"))]


def test_mcp_client_asks_the_real_qa_mcp(seed_index, tmp_path):
    pytest.importorskip("mcp")
    out = run("mcp_client.py", "Which regiment did Zelensky commend?", env=env_for(seed_index), cwd=tmp_path)
    assert "tools: retrieve, answer, list_articles, speaker_quotes" in out.stdout
    assert "000_9c80ba997a9c7279 (21 sentences)" in out.stdout
    assert "He **commended** the 225th Assault **Regiment**" in out.stdout
