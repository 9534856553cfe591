"""CI runs every tier: the README's test command is `bash .ci/run`, whose pytest overrides the quick
loop's marker filter (pyproject's addopts) so no slow or browser test is left out."""

import re

from tests.support import ROOT


def test_ci_runs_every_tier_and_the_readme_gives_its_command_and_the_quick_loop():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "\nbash .ci/run\n" in readme.split("\n## ", 1)[0]  # on the first screen
    run = (ROOT / ".ci" / "run").read_text()
    (pytest_line,) = [line for line in run.splitlines() if "-m pytest" in line]
    assert '-m ""' in pytest_line and pytest_line.rstrip().endswith('"$@"')
    assert run.index(".ci/lint") < run.index(pytest_line)
    addopts = re.search(r'^addopts = "(.*)"$', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert addopts == "-m 'not slow and not browser'"
    for command in ("pytest  ", 'pytest -m ""', "pytest tests/browser -m browser"):
        assert f"\n{command}" in readme
