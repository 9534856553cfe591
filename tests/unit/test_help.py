"""`qa --help` and the README agree: every command and every option argparse knows is in the
README's command table (and no command there is gone), every setting's flag sits beside its
environment variable, and every environment variable --help names is documented. No model."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from qa import cli
from qa.config import ENV

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
COMMON = {"--seeds", "--index", "--model", "--store"}


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def table() -> dict[str, tuple[str, str]]:
    """command name -> (its command cell, its options cell), from the README's command table."""
    rows = {}
    for line in README.splitlines():
        m = re.match(r"\| `qa (\w+)([^`]*)` \|[^|]*\|([^|]*)\|$", line)
        if m:
            rows[m.group(1)] = (m.group(1) + m.group(2), m.group(3))
    return rows


def help_texts() -> str:
    parser = cli._parser()
    return parser.format_help() + "".join(p.format_help() for p in subcommands().values())


def test_every_command_is_in_the_readme_table_and_every_row_is_a_command():
    assert set(table()) == set(subcommands())


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_option_of_a_command_is_in_its_row(name):
    command, options = table()[name]
    p = subcommands()[name]
    for action in p._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if not action.option_strings:  # a positional: named in the command cell, as its metavar
            assert (action.metavar or action.dest.upper()) in command.split(), (name, action.dest)
            continue
        if set(action.option_strings) & COMMON:
            continue
        for opt in action.option_strings:
            assert re.search(r"`" + re.escape(opt) + r"[ `]", options), f"qa {name} {opt} is not in its README row"


def test_every_command_takes_the_common_settings():
    for name, p in subcommands().items():
        assert COMMON <= {o for a in p._actions for o in a.option_strings}, name


def test_each_setting_is_documented_with_its_flag_and_its_variable():
    rows = [line for line in README.splitlines() if line.startswith("| ")]
    for field, var in ENV.items():
        flag = "--queue-size" if field == "queue_size" else f"--{field}"
        assert var in help_texts(), f"--help does not name {var}"
        assert any(f"`{flag}" in r and f"`{var}`" in r for r in rows), f"no README row gives {flag} with {var}"


def test_every_environment_variable_in_help_is_in_the_readme():
    named = set(re.findall(r"\bQA_[A-Z_]+\b", help_texts()))
    assert named >= set(ENV.values()) | {"QA_AUTH"}
    missing = sorted(v for v in named if v not in README)
    assert not missing, f"--help names {missing}, the README does not"
