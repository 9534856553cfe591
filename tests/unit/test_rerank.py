"""The shipped question weights are checked before use: a damaged file is refused (the weights in
use, the ranking rule and abstention: integration/test_rerank.py)."""

import shutil

import pytest


def test_damaged_question_weights_are_refused(tmp_path, monkeypatch):
    import qa.embed

    bad = tmp_path / "question-minilm"
    shutil.copytree(qa.embed.QUESTION_WEIGHTS, bad)
    data = bytearray((bad / "encoder.safetensors").read_bytes())
    data[-100] ^= 0xFF
    (bad / "encoder.safetensors").write_bytes(bytes(data))
    monkeypatch.setattr(qa.embed, "QUESTION_WEIGHTS", bad)
    with pytest.raises(ValueError, match="checksum"):
        qa.embed.question_weights("all-MiniLM-L6-v2")
