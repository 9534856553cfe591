"""Issue 12: the README's Python example, run from a folder that has no seeds/: it answers when
QA_SEEDS (and QA_INDEX) name the articles, and otherwise fails in one line saying how to fix it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import qa

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
EXAMPLE = re.search(r"```python\n(.*?)```", README, re.S).group(1)


def environment(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("QA_SEEDS", "QA_INDEX")} | extra
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(qa.__file__).parents[1]), env.get("PYTHONPATH")) if p)
    return env


def test_from_another_folder_with_qa_seeds_set_it_answers(seed_index, tmp_path):
    env = environment(QA_SEEDS=str(seed_index.settings.seeds), QA_INDEX=str(seed_index.settings.index))
    out = subprocess.run([sys.executable, "-c", EXAMPLE], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=240)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1] == "Volodymyr Zelensky 4"
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran


def test_from_another_folder_without_settings_it_says_how_to_point_it_at_seeds(tmp_path):
    out = subprocess.run([sys.executable, "-c", EXAMPLE], cwd=tmp_path, env=environment(), capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 1 and out.stdout == ""
    last = out.stderr.strip().splitlines()[-1]
    assert last == (f"qa.errors.SeedsMissing: the seeds folder {tmp_path.resolve() / 'seeds'} does not exist: pass "
                    "--seeds FOLDER (in Python Index(seeds=FOLDER)), set QA_SEEDS, or run from a folder that has seeds/")
    assert not (tmp_path / "index").exists()  # no empty index made beside nothing
    assert "QA_SEEDS=/path/to/seeds" in README  # and the README says how, next to the example
