import codecs

import pytest

from qa.ingest import IngestError, parse


def test_txt_text_is_the_file_unchanged_so_offsets_index_the_file(seed_dir):
    path = next(seed_dir.glob("*.txt"))
    doc = parse(path.name, path.read_bytes())
    assert doc.text == path.read_text(encoding="utf-8")
    assert doc.id == path.stem and doc.title == path.stem


def test_title_from_front_matter_line_and_block():
    doc = parse("a.txt", b"title: Floods in Porto\nThe river rose.")
    assert (doc.title, doc.text[doc.body_start:]) == ("Floods in Porto", "The river rose.")
    doc = parse("b.md", b"---\ntitle: Heat wave\nauthor: X\n---\n# Heat\n\nIt was *hot*.")
    assert doc.title == "Heat wave" and doc.text == "Heat\n\nIt was hot."


def test_html_is_reduced_to_paragraphs_without_scripts():
    page = b"<html><head><title>Vote &amp; count</title><script>alert(1)</script></head><body>" \
           b"<p>Polls <b>closed</b> at 8.</p><script>evil()</script><p>Counting began.</p></body></html>"
    doc = parse("v.html", page)
    assert doc.title == "Vote & count"
    assert doc.text == "Polls closed at 8.\n\nCounting began."


@pytest.mark.parametrize("data, text", [
    ("Café owners said prices rose.".encode("latin-1"), "Café owners said prices rose."),
    (codecs.BOM_UTF16_LE + "Kyiv said no.".encode("utf-16-le"), "Kyiv said no."),
    (codecs.BOM_UTF8 + "Kyiv said yes.".encode("utf-8"), "Kyiv said yes."),
])
def test_legacy_encodings_decode(data, text):
    assert parse("x.txt", data).text == text


@pytest.mark.parametrize("name, data, reason", [
    ("bin.txt", bytes(range(256)) * 4, "binary"),
    ("empty.txt", b"   \n", "empty"),
    ("page.html", b"<script>only()</script>", "no article text"),
    ("notes.pdf", b"%PDF-1.4", "unsupported file type"),
])
def test_files_that_are_not_articles_are_refused_with_a_reason_naming_them(name, data, reason):
    with pytest.raises(IngestError, match=reason) as err:
        parse(name, data)
    assert name in str(err.value)
