import json
import os
import subprocess
import sys

from conftest import SEED_ID


def qa(*args, env):
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], capture_output=True, text=True, env=env, timeout=300)


def test_qa_index_then_ask_quotes_the_regiment_sentence(seed_index):
    env = dict(os.environ, QA_SEEDS=str(seed_index.settings.seeds), QA_INDEX=str(seed_index.settings.index))
    out = qa("index", env=env)
    assert out.returncode == 0, out.stderr
    assert "up to date: 21 sentences from 1 article in" in out.stdout
    out = qa("ask", "Which regiment did Zelensky commend?", env=env)
    assert out.returncode == 0, out.stderr
    first = out.stdout.split("\n\n")[0]  # plain text: qa.cite.citation of the best passage
    assert first.startswith("“He commended the 225th Assault Regiment deployed near Belgorod")
    assert first.endswith("” — Volodymyr Zelensky, Ukrainian President Volodymyr Zelensky confirmed for the first…, "
                          "paragraph 4, sentence 2")
    assert "Loading weights" not in out.stderr and "%|" not in out.stderr  # no library progress bars

    out = qa("ask", "Where is Demidovka?", "-k", "2", "--json", "--doc", SEED_ID, env=env)
    data = json.loads(out.stdout)
    assert len(data["passages"]) <= 2 and "Demidovka" in data["passages"][0]["text"]


def test_bad_input_exits_2_with_a_clear_message(seed_index):
    env = dict(os.environ, QA_SEEDS=str(seed_index.settings.seeds), QA_INDEX=str(seed_index.settings.index))
    out = qa("ask", "   ", env=env)
    assert out.returncode == 2 and "qa: error: the question is empty" in out.stderr
    out = qa("ask", "x", "-k", "0", env=env)
    assert out.returncode == 2 and "k must be" in out.stderr
