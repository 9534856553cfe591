"""Bad input where it enters, without the model: any document parses or is refused, escaping
round-trips, a file gone while indexing is named. The rest is in integration/test_reliability.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa import IngestError
from qa.answer import escape_markdown
from qa.ingest import parse
from tests.support import write


@settings(max_examples=40, deadline=None)
@given(body=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=400),
       suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_any_document_parses_and_segments_into_exact_spans_or_is_refused(body, suffix):
    from qa import segment

    try:
        doc = parse("doc" + suffix, body.encode("utf-8"))
    except IngestError:
        return
    for s in segment.segment(doc.text, doc.body_start):
        piece = doc.text[s.start:s.end]
        assert piece and piece == piece.strip()


def test_markdown_escaping_round_trips_any_text():
    import re

    for text in ["a*b_c`d[e](f)<g>&h|i~j$k#l!m", "\\", "plain"]:
        assert re.sub(r"\\(.)", r"\1", escape_markdown(text)) == text


def test_a_file_that_disappears_while_indexing_is_skipped_by_name(tmp_path):
    from qa import ingest

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    gone = write(seeds, "gone.txt", "Here a moment ago.")
    listed = ingest.seed_files(seeds)  # the indexer lists the folder, then reads each file
    gone.unlink()
    with pytest.raises(IngestError, match="gone.txt: cannot be read"):
        ingest.load(listed[0])
