"""The README's Python example, run as a user would run it: it must print what its comments say."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.support import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # the example in a fresh process


def test_the_readme_python_example_prints_what_it_promises(seed_index):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    env = os.environ | {"QA_SEEDS": str(seed_index.settings.seeds), "QA_INDEX": str(seed_index.settings.index)}
    out = subprocess.run([sys.executable, "-c", example], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("He commended the 225th Assault Regiment deployed near Belgorod")
    assert lines[1] == "Volodymyr Zelensky 4"
    assert lines[2].startswith("**The articles do not cover this question.** Closest, but not an answer")
