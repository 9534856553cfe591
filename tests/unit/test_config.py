"""Settings: each field from its flag, else its environment variable, else its default; built once
and passed down (the web chat's queue size comes from the settings it is given). No model."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from qa.config import DEFAULT_QUEUE_SIZE, ENV, Settings
from qa.errors import SettingError


@pytest.fixture
def clean_env(monkeypatch):
    for var in ENV.values():
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_defaults(clean_env):
    s = Settings.from_env()
    assert (s.seeds, s.index, s.model, s.store, s.queue_size) == (Path("seeds"), Path("index"), "all-MiniLM-L6-v2",
                                                                  "faiss", DEFAULT_QUEUE_SIZE)


def test_the_environment_then_the_flag(clean_env):
    clean_env.setenv("QA_STORE", "from-env")
    clean_env.setenv("QA_QUEUE_SIZE", "5")
    clean_env.setenv("QA_MODEL", "env-model")
    s = Settings.from_env()
    assert (s.store, s.queue_size, s.model) == ("from-env", 5, "env-model")
    s = Settings.from_env(store="from-flag", queue_size=7, model="flag-model")
    assert (s.store, s.queue_size, s.model) == ("from-flag", 7, "flag-model")


def test_a_bad_queue_size_names_where_it_came_from(clean_env):
    clean_env.setenv("QA_QUEUE_SIZE", "lots")
    with pytest.raises(SettingError, match="QA_QUEUE_SIZE must be a whole number"):
        Settings.from_env()
    assert Settings.from_env(queue_size="3").queue_size == 3  # the flag wins over a bad environment
    with pytest.raises(SettingError, match="--queue-size"):
        Settings.from_env(queue_size="0")


def test_every_command_with_seeds_takes_store_and_passes_it_on(clean_env, tmp_path):
    from qa import cli

    parser = cli._parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        flags = {o for a in p._actions for o in a.option_strings}
        if "--seeds" in flags:
            assert {"--index", "--model", "--store"} <= flags, name
    args = parser.parse_args(["ask", "q", "--store", "other", "--seeds", str(tmp_path)])
    assert cli._settings(args).store == "other"
    args = parser.parse_args(["serve", "--queue-size", "9"])
    assert cli._settings(args).queue_size == 9


def test_index_settings_win_over_its_path_arguments(clean_env, tmp_path):
    from qa import Index

    given = Settings(seeds=tmp_path / "a", index=tmp_path / "b", store="x")
    assert Index(seeds=tmp_path / "ignored", settings=given).settings is given
    assert Index(seeds=tmp_path / "s").settings.seeds == tmp_path / "s"


def test_the_web_chat_queue_is_sized_by_the_settings_it_is_given(clean_env, monkeypatch, tmp_path):
    """Before, qa.ui read QA_QUEUE_SIZE once, when it was imported."""
    import qa.ui as ui

    sized = []

    class Demo:
        fns: dict = {}

        def queue(self, max_size, default_concurrency_limit):
            sized.append(max_size)

        def launch(self, **kw):
            pass

    monkeypatch.setattr(ui, "build", lambda index, uploads, limits: Demo())
    index = SimpleNamespace(settings=Settings(seeds=tmp_path, index=tmp_path / "i", queue_size=4), warnings=[],
                            refresh=lambda: None, query_encoder=SimpleNamespace(encode=lambda texts: None))
    ui.serve(index, block=False)
    clean_env.setenv("QA_QUEUE_SIZE", "11")
    ui.serve(index, block=False, settings=Settings.from_env(seeds=tmp_path))
    assert sized == [4, 11]
