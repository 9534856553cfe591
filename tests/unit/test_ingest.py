import codecs

import pytest

from qa.ingest import IngestError, parse


def test_txt_text_is_the_file_unchanged_so_offsets_index_the_file(seed_dir):
    path = next(seed_dir.glob("*.txt"))
    doc = parse(path.name, path.read_bytes())
    assert doc.text == path.read_text(encoding="utf-8")
    # no headline line: the title is a label from the lede, never the bare file id
    assert doc.id == path.stem and doc.title == "Ukrainian President Volodymyr Zelensky confirmed for the first…"
    assert doc.title_from == "lede" and not doc.has_title and doc.body_start == 0


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
    ("notes.odt", b"PK\x03\x04", "unsupported file type"),
    ("notes.pdf", b"%PDF-1.4", "not a readable PDF"),
])
def test_files_that_are_not_articles_are_refused_with_a_reason_naming_them(name, data, reason):
    with pytest.raises(IngestError, match=reason) as err:
        parse(name, data)
    assert name in str(err.value)


def test_a_txt_headline_line_is_the_title_and_not_paragraph_one():
    data = b"Floods close the coast road\n\nThe river rose overnight. Police said the road was shut.\n"
    doc = parse("floods.txt", data)
    assert (doc.title, doc.title_from) == ("Floods close the coast road", "headline")
    assert doc.text == data.decode() and doc.text[doc.body_start:].startswith("The river rose")  # offsets index the file
    from qa import segment

    assert segment.paragraphs(doc.text, doc.body_start)[0][0] == doc.body_start


@pytest.mark.parametrize("data", [
    b"The river rose overnight and police shut the road.\n\nMore rain is due.",  # a lede: it ends a sentence
    b"Floods close the coast road\nThe river rose overnight.",  # no blank line after it
    b"title: Given\nFloods close the coast road\n\nThe river rose.",  # title: wins
])
def test_what_is_not_a_headline_stays_text(data):
    doc = parse("x.txt", data)
    assert doc.title_from != "headline"
    if doc.title_from == "front matter":
        assert doc.title == "Given"


def test_markdown_heading_html_og_title_and_h1_are_titles():
    md = parse("m.md", b"# Heat wave hits\n\nIt was *hot*.\n")
    assert (md.title, md.title_from, md.text[md.body_start:]) == ("Heat wave hits", "markdown", "It was hot.")
    page = (b"<html><head><title>Vote | The Courier</title><meta property='og:title' content='Vote count'>"
            b"<meta name='author' content='Jo Bloggs'><meta name='date' content='2026-01-05'></head>"
            b"<body><h1>Vote count</h1><p>Polls closed.</p></body></html>")
    doc = parse("v.html", page)
    assert (doc.title, doc.title_from, doc.author, doc.date) == ("Vote count", "og:title", "Jo Bloggs", "2026-01-05")
    assert doc.text[doc.body_start:] == "Polls closed."  # the <h1> repeating the title is not paragraph 1
    only_h1 = parse("h.html", b"<body><h1>Storm warning</h1><p>Gales are due.</p></body>")
    assert (only_h1.title, only_h1.title_from) == ("Storm warning", "h1")


def test_an_article_without_a_title_is_named_by_its_first_words():
    doc = parse("q.txt", b"Quarry blasts shook windows across three villages on Monday, residents said.")
    assert (doc.title, doc.title_from) == ("Quarry blasts shook windows across three villages on…", "lede")
