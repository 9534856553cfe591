import numpy as np

from qa.embed import QueryEncoder, embedder, query_encoder


def test_the_question_path_gives_the_same_vectors_as_sentence_transformers():
    fast = query_encoder("all-MiniLM-L6-v2", tuned=False)  # the tuned question weights: tests/test_rerank.py
    assert isinstance(fast, QueryEncoder) and fast.pooling == "mean" and fast.max_length == 256
    texts = ["Which regiment did Zelensky commend?", "x", "Où est Demidovka ? " * 60, "😀 émoji and ünïcode"]
    a = fast.encode(texts)
    b = embedder("all-MiniLM-L6-v2").encode(texts)
    assert a.shape == b.shape == (4, 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert (np.sum(a * b, axis=1) > 0.9999).all()


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
