"""Which model folders the torch-only question encoder takes, and which it leaves to
sentence-transformers (the vectors themselves: integration/test_embed.py)."""

from qa.embed import QueryEncoder


def test_a_model_without_a_standard_pipeline_falls_back_to_sentence_transformers(tmp_path):
    assert QueryEncoder.load(str(tmp_path)) is None


def test_a_bert_folder_whose_weights_are_named_otherwise_falls_back(tmp_path):
    from pathlib import Path

    import torch
    from safetensors.torch import save_file

    from qa.embed import resolve

    for f in Path(resolve("all-MiniLM-L6-v2")).iterdir():
        (tmp_path / f.name).symlink_to(f)
    (tmp_path / "model.safetensors").unlink()
    save_file({"encoder.other.weight": torch.zeros(2)}, str(tmp_path / "model.safetensors"))
    assert QueryEncoder.load(str(tmp_path)) is None
