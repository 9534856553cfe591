"""Every user-facing error is a QAError in qa/errors.py; the CLI reports those (and unreadable paths)
in one line, and lets anything else, a bug, through with its traceback. No model is loaded."""

from __future__ import annotations

import sys

import pytest

import qa.errors as errors
from qa.cli import main

USER_ERRORS = ["SeedsMissing", "SettingError", "ModelError", "QuestionError", "IngestError", "FetchError",
               "LibraryError", "SpeakerError", "InputError", "BadIndex", "NoIndex"]


@pytest.mark.parametrize("name", USER_ERRORS)
def test_every_user_error_is_a_qaerror_and_still_a_valueerror(name):
    cls = getattr(errors, name)
    assert issubclass(cls, errors.QAError) and issubclass(cls, ValueError)
    assert cls.__module__ == "qa.errors"


def test_the_old_import_paths_give_the_same_classes():
    from qa import QAError, QuestionError, SeedsMissing
    from qa.config import SeedsMissing as from_config
    from qa.fetch import FetchError
    from qa.index import BadIndex, NoIndex
    from qa.ingest import IngestError
    from qa.library import LibraryError
    from qa.retrieve import QuestionError as from_retrieve
    from qa.segment import TooLong
    from qa.speakers import SpeakerError
    from qa.ui import InputError

    assert QAError is errors.QAError and SeedsMissing is from_config is errors.SeedsMissing
    assert QuestionError is from_retrieve is errors.QuestionError
    assert (FetchError, IngestError, LibraryError, SpeakerError, InputError, BadIndex, NoIndex) == (
        errors.FetchError, errors.IngestError, errors.LibraryError, errors.SpeakerError, errors.InputError,
        errors.BadIndex, errors.NoIndex)
    assert issubclass(TooLong, errors.IngestError) and issubclass(errors.BadIndex, RuntimeError)


def test_a_bug_is_not_reported_as_bad_input(tmp_path, monkeypatch):
    """Before, the CLI caught every ValueError and printed it as the user's mistake (exit 2)."""
    import qa.library

    def broken(index):
        raise ValueError("a bug in qa, not the user's input")

    monkeypatch.setattr(qa.library, "articles", broken)
    (tmp_path / "seeds").mkdir()
    with pytest.raises(ValueError, match="a bug in qa"):
        main(["list", "--seeds", str(tmp_path / "seeds"), "--index", str(tmp_path / "index")])


def test_a_bad_setting_is_one_line_and_exit_2(capsys):
    assert main(["serve", "--queue-size", "lots"]) == 2
    err = capsys.readouterr().err
    assert err == "qa: error: --queue-size must be a whole number of at least 1, not 'lots'\n"


def test_an_unwritable_path_is_one_line_naming_it_and_exit_1(tmp_path, capsys):
    (tmp_path / "seeds").mkdir()
    blocker = tmp_path / "index"
    blocker.write_text("a file where the index folder should be")
    assert main(["index", "--seeds", str(tmp_path / "seeds"), "--index", str(blocker)]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"qa: error: {blocker}") and "Traceback" not in last


def test_a_missing_seeds_folder_is_exit_2_naming_it(tmp_path, capsys):
    assert main(["ask", "Where is Demidovka?", "--seeds", str(tmp_path / "nowhere"), "--index", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"qa: error: the seeds folder {tmp_path / 'nowhere'} does not exist") and err.count("\n") == 1


def test_qa_eval_without_a_source_checkout_says_so_in_one_line(monkeypatch, capsys):
    import qa.evaluate as evaluate

    monkeypatch.setattr(evaluate, "checkout", lambda: None)
    monkeypatch.delitem(sys.modules, evaluate.DRIVER, raising=False)
    assert main(["eval"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qa: error: qa eval needs a source checkout of article-qa") and err.count("\n") == 1


def test_mcp_tools_turn_only_qaerrors_into_tool_errors():
    pytest.importorskip("mcp")
    from mcp.server.mcpserver.exceptions import ToolError

    from qa.mcp_server import _user_error

    with pytest.raises(ToolError, match="k must be"), _user_error():
        raise errors.QuestionError("k must be a whole number from 1 to 100, not 0")
    with pytest.raises(KeyError), _user_error():  # a bug stays a bug, for the SDK to report as such
        raise KeyError("row")
    with pytest.raises(ValueError, match="plain"), _user_error():
        raise ValueError("plain ValueError: not the user's input")
