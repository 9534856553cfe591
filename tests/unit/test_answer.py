"""Markdown escaping of article text: shown as characters, never rendered."""

from qa.answer import escape_markdown
from tests.support import unmark


def test_markup_in_an_article_is_escaped_not_rendered():
    hostile = '<img src=x onerror=alert(1)> <script>x</script> [link](javascript:alert(1)) ![](http://e/x.png)'
    escaped = escape_markdown(hostile)
    assert "<" not in escaped.replace("\\<", "") and "](" not in escaped.replace("\\]\\(", "")
    assert unmark(escaped) == hostile
