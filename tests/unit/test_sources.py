"""PDF and Word files that are not readable are refused with their name (the readable ones,
indexed and quoted, are in integration/test_sources.py)."""

from __future__ import annotations

import pytest

from qa import IngestError
from qa.ingest import parse


@pytest.mark.parametrize("name, data, reason", [
    ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
    ("broken.docx", b"PK\x03\x04 not a zip at all", "not a readable Word"),
])
def test_a_damaged_pdf_or_docx_is_refused_with_its_name(name, data, reason):
    with pytest.raises(IngestError, match=reason) as err:
        parse(name, data)
    assert name in str(err.value)
