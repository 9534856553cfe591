"""`qa eval --model X` uses X for every index it builds: shown with a model that does not exist,
on a one-question SQuAD file made here (no model is loaded, no ../shared/data needed)."""

from __future__ import annotations

import json

import pytest

from qa.cli import main
from qa.config import Settings
from qa.errors import ModelError
from qa.evaluate import checkout, driver

pytestmark = pytest.mark.skipif(checkout() is None, reason="qa eval's driver is bench/squad.py of a source checkout")


@pytest.fixture
def tiny(tmp_path):
    ctx = "The harbour master Rui Tavares said the port will reopen on Monday. Ships are waiting outside."
    qas = [{"id": "1", "question": "When will the port reopen?",
            "answers": [{"text": "on Monday", "answer_start": ctx.index("on Monday")}]}]
    data = tmp_path / "data"
    data.mkdir()
    (data / "squad-dev-v1.1.json").write_text(json.dumps({"data": [{"title": "Port", "paragraphs": [
        {"context": ctx, "qas": qas}]}]}))
    (data / "squad-dev-v2.0-derived.json").write_text(json.dumps({"data": []}))
    return data


def test_qa_eval_honours_model_with_a_one_line_error_naming_it(tiny, tmp_path, capsys):
    missing = tmp_path / "no-such-model"
    code = main(["eval", "--model", str(missing), "--data", str(tiny), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err  # before: a FileNotFoundError traceback from sentence-transformers, exit 1
    assert err == (f"qa: error: the model folder {missing} does not exist: pass --model a sentence-transformers "
                   "folder or hub name, or set QA_MODEL\n")


def test_the_seed_questions_use_the_eval_settings_model(tmp_path):
    """Before, seed_questions built its index with the environment's model whatever --model said."""
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError, match=str(missing)):
        driver().seed_questions(tmp_path / "cache", Settings.from_env(model=str(missing)))


def test_qa_eval_names_missing_data_files(tmp_path, capsys):
    assert main(["eval", "--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "does not hold squad-dev-v1.1.json, squad-dev-v2.0-derived.json" in capsys.readouterr().err
