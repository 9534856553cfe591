"""The ``qa`` command in-process (``qa.cli.main`` returns the exit code), and once as a user starts
it: the installed console script, cold, in a folder with seeds."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import qa
from tests.support import SEED_ID, SEEDS

pytestmark = pytest.mark.integration

REGIMENT_CITATION = ("“He commended the 225th Assault Regiment deployed near Belgorod",
                     "” — Volodymyr Zelensky, Ukrainian President Volodymyr Zelensky confirmed for the first…, "
                     "paragraph 4, sentence 2")


@pytest.fixture
def seed_env(seed_index, monkeypatch):
    """The settings from the environment, as a user sets them: QA_SEEDS and QA_INDEX."""
    monkeypatch.setenv("QA_SEEDS", str(seed_index.settings.seeds))
    monkeypatch.setenv("QA_INDEX", str(seed_index.settings.index))


def test_qa_index_then_ask_quotes_the_regiment_sentence(seed_env, cli):
    code, out, err = cli("index")
    assert code == 0, err
    assert "up to date: 21 sentences from 1 article in" in out
    code, out, err = cli("ask", "Which regiment did Zelensky commend?")
    assert code == 0, err
    first = out.split("\n\n")[0]  # plain text: qa.cite.citation of the best passage
    assert first.startswith(REGIMENT_CITATION[0])
    assert first.endswith(REGIMENT_CITATION[1])
    assert "Loading weights" not in err and "%|" not in err  # no library progress bars

    code, out, err = cli("ask", "Where is Demidovka?", "-k", "2", "--json", "--doc", SEED_ID)
    data = json.loads(out)
    assert len(data["passages"]) <= 2 and "Demidovka" in data["passages"][0]["text"]


def test_bad_input_exits_2_with_a_clear_message(seed_env, cli):
    code, out, err = cli("ask", "   ")
    assert code == 2 and "qa: error: the question is empty" in err
    code, out, err = cli("ask", "x", "-k", "0")
    assert code == 2 and "k must be" in err


def console_script() -> str:
    """The `qa` script pip installed beside this Python (the venv's bin/)."""
    found = shutil.which("qa", path=str(Path(sys.executable).parent))
    assert found, f"no qa console script beside {sys.executable}: pip install -e ."
    return found


@pytest.mark.slow
def test_a_cold_qa_ask_in_a_folder_with_seeds_builds_the_index_and_quotes_with_no_progress_bars(tmp_path):
    # The one test that starts the real console script: a fresh process that loads the model, builds
    # the index in the current folder and answers; everything else about the CLI is tested in-process.
    shutil.copytree(SEEDS, tmp_path / "seeds")
    env = {k: v for k, v in os.environ.items() if k not in ("QA_SEEDS", "QA_INDEX")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(qa.__file__).parents[1])] + sys.path)  # this checkout's qa
    out = subprocess.run([console_script(), "ask", "Which regiment did Zelensky commend?"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    first = out.stdout.split("\n\n")[0]
    assert first.startswith(REGIMENT_CITATION[0]) and first.endswith(REGIMENT_CITATION[1])
    assert (tmp_path / "index" / "CURRENT").exists()  # built in the current folder, on this start
    for bar in ("Loading weights", "%|", "it/s"):
        assert bar not in out.stderr, out.stderr
