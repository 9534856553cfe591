"""The web chat in a real browser (Debian's Chromium driven by Playwright; it never downloads one).
Its HTTP API alone is in integration/test_http_api.py."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.support import PAGES, ROOT, SEEDS
from tests.support.documents import make_docx, make_pdf
from tests.support.server import seed_server, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("QA_ARTIFACTS", ROOT / "artifacts"))
REGIMENT = ('He commended the 225th Assault Regiment deployed near Belgorod, adding, "Well done, guys! '
            "I'm proud of each and every one who is fighting for Ukraine!\"")
STORM = "title: Storm Ida reaches the coast\nStorm Ida made landfall near Porto Velho on Tuesday, flooding 300 homes.\n" \
        '"The water came up to the windows in minutes," said harbour master Rui Tavares.\n'
HOSTILE = ("title: Council minutes\n"
           "The council voted on the harbour budget <img src=x onerror=alert(1)> on Friday.\n"
           "The clerk posted <script>alert(2)</script> and [link](javascript:alert(3)) and "
           "![](http://127.0.0.1:9/track.png) in the minutes.\n")

if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (bash .ci/run installs it)", allow_module_level=True)
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with seed_server(tmp_path_factory, "web") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    opened(page, server[0])
    yield page
    context.close()


def opened(page, url: str):
    """Load the chat and wait for its article list. The list is filled by the page's load event, after the
    page itself is up: under load that came late enough for a test to read an empty list (CI, twice)."""
    page.goto(url)
    page.wait_for_selector("#question textarea")
    page.wait_for_selector("#docs label", timeout=60_000)
    return page


def ask(page, question: str):
    before = page.locator("#chat .bot").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        """(n) => { const b = document.querySelectorAll('#chat .bot');
                    return b.length > n && /match|Cannot answer|do not cover/.test(b[b.length - 1].innerText); }""",
        arg=before, timeout=60_000)
    return page.locator("#chat .bot").last


def test_a_question_is_answered_with_the_verbatim_quote_its_speaker_and_the_article_highlighted(page):
    reply = ask(page, "Who did Zelensky commend?")
    text = reply.inner_text()
    assert REGIMENT in text
    assert "Volodymyr Zelensky" in text and "paragraph 4, sentence 2" in text
    marks = page.locator("#article mark").all_inner_texts()
    assert REGIMENT in marks
    page.wait_for_timeout(500)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "answer.png"), full_page=True)
    print(f"screenshot: {SHOTS / 'answer.png'}")


def test_the_words_that_answer_are_marked_inside_the_quote(page):
    reply = ask(page, "When did Zelensky make the acknowledgment?")
    assert reply.locator("mark.answer").first.inner_text() == "Monday"
    assert "The acknowledgment came during Zelensky's nightly address on Monday" in reply.inner_text()


def test_clicking_an_example_asks_it(page):
    page.get_by_role("button", name="What did Trump say about Russia?").click()
    page.wait_for_function("() => /match/.test(document.querySelector('#chat .bot')?.innerText || '')", timeout=60_000)
    assert 'Russia is "bombing like crazy right now,"' in page.locator("#chat .bot").last.inner_text()
    assert "Donald Trump" in page.locator("#chat .bot").last.inner_text()


def test_a_follow_up_is_resolved_against_the_previous_speaker(page):
    first = ask(page, "Which regiment did Zelensky commend?").inner_text()
    assert REGIMENT in first
    follow = ask(page, "What else did he say?").inner_text()
    assert "Searched for: What else did Volodymyr Zelensky say?" in follow
    quotes = [line for line in follow.split("\n") if line.strip() and not line.startswith(("—", "Searched"))]
    assert quotes and not any(q in first for q in quotes)  # only what was not quoted before
    assert follow.count("— Volodymyr Zelensky") == len(quotes)  # and all of it his
    who = ask(page, "Who is he?").inner_text()
    assert "Searched for: Who is Volodymyr Zelensky?" in who
    assert "Ukrainian President Volodymyr Zelensky confirmed" in who


def upload(page, tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    if not page.locator("#upload").is_visible():
        page.get_by_text("Add an article").click()
    before = page.locator("#upload-status").inner_text()
    page.set_input_files("#upload input[type=file]", str(path))
    # A new status, not the old one under Gradio's progress timer or, under load, its queue line
    # ("queue: 1/1 | 0.1/0.4s" above the old text: read as new, it failed a CI run).
    page.wait_for_function(
        """(b) => { const t = (document.querySelector('#upload-status')?.innerText || '').trim();
                    return t !== b.trim() && /Added|refused/.test(t) && !/processing|queue:|^[0-9.]+s/.test(t); }""",
        arg=before, timeout=120_000)
    return page.locator("#upload-status").inner_text()


def test_an_uploaded_article_can_be_asked_about_at_once(page, tmp_path, server):
    status = upload(page, tmp_path, "storm.txt", STORM.encode())
    assert "Added Storm Ida reaches the coast" in status
    assert (server[1] / "storm.txt").read_text() == STORM
    reply = ask(page, "How fast did the water come up to the windows?").inner_text()
    assert '"The water came up to the windows in minutes," said harbour master Rui Tavares.' in reply
    assert "Rui Tavares" in reply and "Storm Ida reaches the coast" in reply


def test_a_broken_upload_is_refused_and_changes_nothing(page, tmp_path, server):
    before = sorted(p.name for p in server[1].iterdir())
    status = upload(page, tmp_path, "broken.txt", bytes(range(256)) * 8)
    assert "Upload refused" in status and "binary" in status and "Nothing was changed" in status
    assert sorted(p.name for p in server[1].iterdir()) == before


def test_a_hostile_article_shows_its_markup_as_text_and_runs_nothing(page, tmp_path):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    assert "Added" in upload(page, tmp_path, "council.txt", HOSTILE.encode())
    first = ask(page, "What did the council vote on?").inner_text()
    assert "<img src=x onerror=alert(1)>" in first
    second = ask(page, "What did the clerk post in the minutes?").inner_text()
    for literal in ("<script>alert(2)</script>", "[link](javascript:alert(3))"):
        assert literal in second
    article = page.locator("#article").inner_text()
    for literal in ("<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "[link](javascript:alert(3))",
                    "![](http://127.0.0.1:9/track.png)"):
        assert literal in article
    page.wait_for_timeout(1000)
    assert page.dialogs == []
    assert page.locator("#chat img[src='x'], #article img, #chat script, #article script, #chat a[href^='javascript']").count() == 0
    assert not [u for u in requests if "track.png" in u or u.endswith("/x")]


# -- issue 11: what a reader sees stays verbatim, and an upload can neither shadow nor pass for a seed ----
FAKE = "Zelensky said the war is over and Russia won."


def test_an_upload_cannot_shadow_the_seed_and_its_quotes_say_they_were_uploaded(page, tmp_path):
    # Before: 000_9C80BA997A9C7279.txt was added and quoted first, credited to Zelensky, unmarked.
    status = upload(page, tmp_path, "000_9C80BA997A9C7279.txt", FAKE.encode())
    assert "Upload refused" in status and "already here" in status
    assert "Added" in upload(page, tmp_path, "war-update.txt", FAKE.encode())
    reply = ask(page, "What did Zelensky say about the war?")
    blocks = reply.locator("blockquote").all_inner_texts()
    notes = reply.locator(".attr").all_inner_texts()
    assert FAKE in blocks
    for quote, note in zip(blocks, notes):
        assert ("uploaded by a visitor" in note) == (quote == FAKE), (quote, note)
    assert "'war-update.txt'" in notes[blocks.index(FAKE)]
    listed = labels(page, "docs")  # by title now (issue 12): the upload is marked, the seed is not
    assert "Zelensky said the war is over and Russia… · uploaded" in listed
    assert SEED_TITLE in listed and f"{SEED_TITLE} · uploaded" not in listed


def test_a_dot_name_is_stored_visibly_and_later_questions_still_work(page, tmp_path, server):
    # Before: saved as seeds/..x.txt, "Added (0 sentences)", and every later question failed with
    # "Value: '..x' is not in the list of choices".
    status = upload(page, tmp_path, "..\\dotty.txt", b"The ferry captain said the crossing reopens on Sunday.")
    assert "Added" in status and "dotty.txt" in status and "(1 sentences)" in status
    assert (server[1] / "dotty.txt").exists() and not [p for p in server[1].iterdir() if p.name.startswith("..")]
    assert "The ferry captain said the crossing reopens on… · uploaded" in labels(page, "docs")  # its title
    reply = ask(page, "When does the ferry crossing reopen?").inner_text()
    assert "The ferry captain said the crossing reopens on Sunday." in reply
    assert "not in the list of choices" not in reply and page.locator(".toast-body").count() == 0


def test_quotes_titles_and_questions_render_verbatim_with_no_live_links_or_images(page, tmp_path):
    # Before: "<script>" with "script" emphasised showed "<**script**>"; URLs became links; a Markdown
    # image in a title or in the question was fetched by the browser.
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    article = ("title: Budget ![](http://127.0.0.1:9/title.png) vote\n"
               "The treasurer said the script <script> ran at http://127.0.0.1:9/page and **bold** stayed.\n")
    status = upload(page, tmp_path, "treasury.txt", article.encode())
    assert "Budget ![](http://127.0.0.1:9/title.png) vote" in status
    reply = ask(page, "What script did the treasurer say ran? ![](http://127.0.0.1:9/question.png)")
    sentence = "The treasurer said the script <script> ran at http://127.0.0.1:9/page and **bold** stayed."
    assert sentence in reply.locator("blockquote").all_inner_texts()
    assert "script" in reply.locator("blockquote mark").all_inner_texts()  # the matching word, still emphasised
    question = page.locator("#chat .user").last.inner_text()
    assert "![](http://127.0.0.1:9/question.png)" in question
    page.wait_for_timeout(1000)
    assert page.locator("#chat a[href*='127.0.0.1:9'], #chat img, #article img, #upload-status img").count() == 0
    assert not [u for u in requests if "127.0.0.1:9/" in u]


def test_a_2mb_one_paragraph_upload_is_refused_in_seconds_while_another_upload_goes_through(page, browser, tmp_path, server):
    # Before: still splitting after 15 minutes, holding the index lock; a second small upload waited.
    other = browser.new_context().new_page()
    opened(other, server[0])
    big = tmp_path / "board.txt"
    big.write_bytes(("The board said the test passed today. " * 55000).encode())
    if not page.locator("#upload").is_visible():
        page.get_by_text("Add an article").click()
    started = time.monotonic()
    page.set_input_files("#upload input[type=file]", str(big))
    small = upload(other, tmp_path, "quay.txt", b"The quay manager said the crane was repaired on Monday.")
    page.wait_for_function("() => /Added|refused/.test(document.querySelector('#upload-status')?.innerText || '')",
                           timeout=60_000)
    elapsed = time.monotonic() - started
    status = page.locator("#upload-status").inner_text()
    assert "Upload refused" in status and "5,000 sentences" in status
    assert elapsed < 30, elapsed  # wall time, upload included; the CPU budget itself is tested in test_uploads
    assert "Added" in small
    assert not (server[1] / "board.txt").exists()
    other.context.close()


# -- issue 12: the reading room -------------------------------------------------------------------------
DOCS = ROOT / "docs"
FERRY = ("title: Ferry strike ends after nine days\nThe ferry crews at Kilbrannan returned to work on Sunday after a "
         "nine-day strike over night shifts.\n\"We got the rota we asked for,\" said union steward Morag Bell.\n")
SEED_TITLE = "Ukrainian President Volodymyr Zelensky confirmed for the first…"


def labels(page, elem: str) -> list[str]:
    return [t.strip() for t in page.locator(f"#{elem} label").all_inner_texts() if t.strip()]


def choose(page, elem: str, text: str) -> None:
    """Pick an option of a Gradio dropdown by its visible text."""
    page.click(f"#{elem} input")
    page.locator(f"#{elem} [role=option]", has_text=text).first.click()


def passage_of(url: str, question: str):
    from gradio_client import Client

    from qa.retrieve import Passage

    hit = Client(url, verbose=False).predict(question, 1, None, api_name="/retrieve")[0]
    return Passage(**hit)


def test_the_library_is_listed_by_title_and_every_tab_sees_what_any_tab_or_the_cli_added(page, browser, server, tmp_path):
    # Before: the selector read "title (000_9c80ba997a9c7279)", and a file added to seeds/ by another
    # process (qa add) was not listed until the server restarted.
    assert SEED_TITLE in labels(page, "docs")
    assert not any("000_9c80ba997a9c7279" in t for t in labels(page, "docs"))
    other = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
    opened(other, server[0])
    assert "Added" in upload(page, tmp_path, "ferry.txt", FERRY.encode())
    (server[1] / "quarry.txt").write_text("title: Quarry blasts to stop\nThe quarry at Penhale will stop blasting "
                                          "at weekends from March, the council said.\n")
    other.reload()
    other.wait_for_selector("#question textarea")
    other.wait_for_function("() => /Quarry blasts to stop/.test(document.querySelector('#docs')?.innerText || '')",
                            timeout=60_000)
    listed = labels(other, "docs")
    assert "Ferry strike ends after nine days · uploaded" in listed and "Quarry blasts to stop" in listed
    reply = ask(other, "When did the ferry crews return to work?").inner_text()
    assert "The ferry crews at Kilbrannan returned to work on Sunday" in reply
    assert "Ferry strike ends after nine days" in reply
    quarry = ask(other, "When will the quarry stop blasting at weekends?").inner_text()
    assert "Quarry blasts to stop" in quarry
    other.context.close()


def test_unchecking_every_article_asks_to_choose_one_instead_of_searching_all(page):
    for _ in range(5):  # the page load's own refresh of the list may tick them again: until none stays ticked
        for box in page.locator("#docs input[type=checkbox]").all():
            box.uncheck()
        page.wait_for_timeout(1000)
        if page.locator("#docs input[type=checkbox]:checked").count() == 0:
            break
    reply = ask(page, "Which regiment did Zelensky commend?").inner_text()
    assert "choose at least one article" in reply
    assert REGIMENT not in reply


def test_any_article_can_be_opened_to_read_and_the_quoted_one_is_opened_with_its_quote_marked(page, tmp_path):
    assert "Added" in upload(page, tmp_path, "bakery-note.txt",
                             b"title: Bakery wins county prize\nThe Mill Lane bakery won the county bread prize on Saturday.\n")
    choose(page, "reading", "Bakery wins county prize")
    page.wait_for_function("() => /Bakery wins county prize/.test(document.querySelector('#article h3')?.innerText || '')")
    assert "won the county bread prize" in page.locator("#article").inner_text()
    assert page.locator("#article mark").count() == 0
    ask(page, "Which regiment did Zelensky commend?")
    page.wait_for_function("(t) => document.querySelector('#article h3')?.innerText === t", arg=SEED_TITLE)
    assert REGIMENT in page.locator("#article mark").all_inner_texts()
    assert SEED_TITLE in page.locator("#reading input").input_value()


def test_numbers_read_as_a_person_counts_and_a_closest_sentence_is_not_dressed_as_an_answer(page, server):
    from gradio_client import Client

    reply = ask(page, "Which regiment did Zelensky commend?")
    first = reply.locator(".attr").first
    assert "paragraph 4, sentence 2" in first.inner_text()  # the 2nd sentence of paragraph 4, not the 8th of the article
    rel = first.locator(".rel")
    assert rel.inner_text() in ("strong match", "fair match", "weak match")
    assert rel.get_attribute("title").startswith("score 0.")
    assert "score 0." not in reply.inner_text()
    markdown = Client(server[0], verbose=False).predict("Which regiment did Zelensky commend?", None, None, api_name="/chat")
    assert "paragraph 4, sentence 2" in markdown
    answered_bg = reply.locator("blockquote mark").first.evaluate("m => getComputedStyle(m).backgroundColor")
    far = ask(page, "What is the capital of Australia?")
    assert "do not cover" in far.inner_text()
    assert far.locator(".rel").first.inner_text() == "closest, not an answer"
    assert far.locator("blockquote.closest").count() == 1 and far.locator("blockquote mark").count() == 0
    closest_style = far.locator("blockquote").first.evaluate("b => getComputedStyle(b).fontStyle")
    assert answered_bg == "rgb(255, 241, 168)" and closest_style == "italic"


def test_the_copy_button_copies_exactly_the_plain_text_citation(browser, server):
    from qa.cite import citation

    context = browser.new_context(viewport={"width": 1400, "height": 950},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    opened(page, server[0])
    reply = ask(page, "Which regiment did Zelensky commend?")
    want = citation(passage_of(server[0], "Which regiment did Zelensky commend?"))
    assert want.startswith(f"“{REGIMENT}” — Volodymyr Zelensky, ") and want.endswith("paragraph 4, sentence 2")
    button = reply.locator("button.copy-cite").first
    assert button.locator(".cite-text").text_content() == want
    button.click()
    page.wait_for_function("() => document.querySelector('#chat .bot button.copy-cite').innerText.trim() === 'Copied'")
    assert page.evaluate("() => navigator.clipboard.readText()") == want
    context.close()


def test_pdf_and_docx_files_several_at_once_are_added_and_a_refused_file_says_why(page, tmp_path, server):
    if not page.locator("#upload").is_visible():
        page.get_by_text("Add an article").click()
    (tmp_path / "harbour.pdf").write_bytes(make_pdf())
    (tmp_path / "orchard.docx").write_bytes(make_docx())
    page.set_input_files("#upload input[type=file]", [str(tmp_path / "harbour.pdf"), str(tmp_path / "orchard.docx")])
    page.wait_for_function("() => (document.querySelector('#upload-status')?.innerText.match(/Added|refused/g) || []).length == 2",
                           timeout=300_000)
    status = page.locator("#upload-status").inner_text()
    assert "Added Harbour wall to be rebuilt" in status and "Added Orchard saved by a village vote" in status, status
    reply = ask(page, "How much of the harbour wall did the sea take?").inner_text()
    assert '"The sea took forty metres of the wall in one night," said harbour master Rui Tavares.' in reply
    status = upload(page, tmp_path, "minutes.zip", b"PK\x03\x04 not an article")
    assert "Upload refused" in status and "minutes.zip" in status and "unsupported file type" in status
    assert len(status.strip().splitlines()) == 1
    assert not (server[1] / "minutes.zip").exists()


def test_a_url_typed_into_the_page_is_refused_when_it_is_a_local_address(page, server):
    if not page.locator("#url").is_visible():
        page.get_by_text("Add an article").click()
    before = sorted(p.name for p in server[1].iterdir())
    page.fill("#url textarea, #url input", "http://127.0.0.1:9/secret")
    page.click("#fetch")
    page.wait_for_function("() => /refused/.test(document.querySelector('#upload-status')?.innerText || '')",
                           timeout=60_000)
    status = page.locator("#upload-status").inner_text()
    assert "Upload refused" in status and "127.0.0.1" in status
    assert sorted(p.name for p in server[1].iterdir()) == before


@pytest.fixture(scope="module")
def pages_site():
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(PAGES)))
    threading.Thread(target=site.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()
    site.server_close()


def test_a_web_page_is_fetched_from_the_page_when_the_operator_allows_local_addresses(browser, pages_site, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    proc, url = start_server(seeds, tmp_path / "index", env={"QA_FETCH_LOCAL": "1"})
    try:
        page = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
        opened(page, url)
        page.get_by_text("Add an article").click()
        page.fill("#url textarea, #url input", f"{pages_site}/night-bakery.html")
        page.click("#fetch")
        page.wait_for_function("() => /Added|refused/.test(document.querySelector('#upload-status')?.innerText || '')",
                               timeout=120_000)
        assert "Added The bakery that never sleeps" in page.locator("#upload-status").inner_text()
        reply = ask(page, "How many loaves does the bakery sell a day?").inner_text()
        assert "The bakery sells about 1,400 loaves a day, most of them sourdough." in reply
        assert "Best bread in the county" not in page.locator("#article").inner_text()  # the comments were left out
        page.context.close()
    finally:
        stop_server(proc)


def test_an_article_can_be_deleted_from_the_page_after_a_confirmation(browser, server, tmp_path):
    page = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
    answers = []
    page.on("dialog", lambda d: (answers.append(d.message), d.dismiss() if len(answers) == 1 else d.accept()))
    opened(page, server[0])
    assert "Added" in upload(page, tmp_path, "pier.txt", b"title: Pier to close\nThe old pier will close in May.\n")
    choose(page, "reading", "Pier to close")
    page.get_by_text("Delete an article").click()
    page.click("#delete")  # dismissed: nothing happens
    page.wait_for_timeout(1500)
    assert (server[1] / "pier.txt").exists() and "Pier to close · uploaded" in labels(page, "docs")
    page.click("#delete")  # accepted
    page.wait_for_function("() => /Deleted/.test(document.querySelector('#delete-status')?.innerText || '')",
                           timeout=120_000)
    assert "Deleted Pier to close" in page.locator("#delete-status").inner_text()
    assert len(answers) == 2 and "Delete" in answers[0]
    assert not (server[1] / "pier.txt").exists()
    assert not any("Pier to close" in t for t in labels(page, "docs"))
    page.context.close()


def test_the_speakers_are_listed_with_their_quotes_on_the_page_and_over_http(page, server):
    from gradio_client import Client

    page.get_by_text("Speakers").first.click()
    choose(page, "speakers", "Donald Trump")
    page.wait_for_function("() => /Donald Trump/.test(document.querySelector('#speaker-quotes')?.innerText || '')")
    shown = page.locator("#speaker-quotes")
    assert 'Russia is "bombing like crazy right now,"' in shown.inner_text()
    client = Client(server[0], verbose=False)
    everyone = client.predict(api_name="/speakers")
    trump = next(s for s in everyone if s["name"] == "Donald Trump")
    assert shown.locator("blockquote").count() == trump["quotes"] >= 1
    quotes = client.predict("Trump", api_name="/quotes")
    assert [q["text"] for q in quotes] == shown.locator("blockquote").all_inner_texts()
    assert all(q["speaker"] == "Donald Trump" for q in quotes)
    assert f"({trump['quotes']} quote" in page.locator("#speakers input").input_value()
    with pytest.raises(Exception, match="no speaker named"):
        client.predict("Nobody Atall", api_name="/quotes")


def test_a_misspelt_question_is_answered_as_corrected_with_the_original_one_click_away(page):
    reply = ask(page, "What did Trumpp say about Rusia?")
    text = reply.inner_text()
    assert "Showing results for What did Trump say about Russia?" in text
    assert 'Russia is "bombing like crazy right now,"' in text
    reply.locator("button.reask").click()
    page.wait_for_function("() => document.querySelectorAll('#chat .bot').length == 2 && "
                           "/match|do not cover/.test(document.querySelectorAll('#chat .bot')[1].innerText)",
                           timeout=60_000)
    again = page.locator("#chat .bot").last.inner_text()
    assert "Showing results" not in again and "do not cover" in again
    assert page.locator("#chat .user").last.inner_text().strip() == "What did Trumpp say about Rusia?"


def test_on_a_phone_the_answer_stays_in_view_and_the_article_comes_below(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    opened(page, server[0])
    reply = ask(page, "Which regiment did Zelensky commend?")
    page.wait_for_timeout(1000)
    assert page.evaluate("() => window.scrollY") < 200
    best = reply.locator("blockquote").first.bounding_box()
    question = page.locator("#question textarea").bounding_box()
    asked = page.locator("#chat .user").last.bounding_box()
    assert asked["y"] >= 0 and asked["y"] + asked["height"] <= 844, asked
    assert best["y"] >= 0 and best["y"] + best["height"] <= 844, best
    assert question["y"] >= 0 and question["y"] + question["height"] <= 844, question
    assert page.locator("#article").bounding_box()["y"] > question["y"]
    assert REGIMENT in page.locator("#article mark").all_inner_texts()
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "phone.png"))
    context.close()


def test_the_desktop_screenshot_shows_an_answered_question(page):
    ask(page, "Which regiment did Zelensky commend?")
    page.wait_for_timeout(800)
    assert REGIMENT in page.locator("#article mark").all_inner_texts()
    page.screenshot(path=str(DOCS / "answer.png"))


