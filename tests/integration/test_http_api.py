"""The web chat's HTTP API (Gradio's /retrieve, /chat), against the real server on 127.0.0.1, and the
page's components as built; what a reader sees in a browser is in browser/test_web.py."""

from __future__ import annotations

import pytest

from tests.support.bench import bench_script
from tests.support.server import seed_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # the real server, and the page built with Gradio

REGIMENT = ('He commended the 225th Assault Regiment deployed near Belgorod, adding, "Well done, guys! '
            "I'm proud of each and every one who is fighting for Ukraine!\"")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with seed_server(tmp_path_factory, "api") as running:
        yield running


def test_the_http_api_returns_passages_and_replies(server):
    from gradio_client import Client

    client = Client(server[0], verbose=False)
    hits = client.predict("Which regiment did Zelensky commend?", 3, None, api_name="/retrieve")
    assert hits[0]["text"] == REGIMENT
    from dataclasses import fields

    from qa import Passage

    assert set(hits[0]) == {f.name for f in fields(Passage)}  # every field, as retrieve() gives it
    assert (hits[0]["source"], hits[0]["uploaded_at"], hits[0]["original_name"]) == ("seed", None, None)
    assert (hits[0]["speaker"], hits[0]["paragraph"]) == ("Volodymyr Zelensky", 4)
    reply = client.predict("Which regiment did Zelensky commend?", None, None, api_name="/chat")
    assert "He **commended** the 225th Assault **Regiment**" in reply
    follow = client.predict("What else did he say?", ["Which regiment did Zelensky commend?"], None, api_name="/chat")
    assert "Searched for: What else did Volodymyr Zelensky say?" in follow
    with pytest.raises(Exception, match="the question is empty"):
        client.predict("   ", 3, None, api_name="/retrieve")


@pytest.mark.slow
def test_under_load_every_question_is_answered_and_a_full_queue_says_busy():
    load = bench_script("load")  # bench/load.py, which starts its own servers

    report = load.main(["--threads", "4", "--seconds", "15", "--max-requests", "400"])
    assert report["load"]["errors"] == 0 and report["load"]["requests"] >= 20
    flood = report["full queue"]
    assert flood["other"] == [] and flood["busy"] >= 1 and flood["ok"] >= 1


@pytest.mark.parametrize("question, message", [
    ("x" * 100_000, "characters long"), ("\x00\u200b\u202e", "empty"), (None, "no question"),
])
def test_the_http_api_refuses_bad_questions_with_the_same_clear_messages(server, question, message):
    from gradio_client import Client

    client = Client(server[0], verbose=False)
    for api in ("/retrieve", "/chat"):
        args = (question, 3, None) if api == "/retrieve" else (question, None, None)
        with pytest.raises(Exception, match=message) as err:
            client.predict(*args, api_name=api)
        assert "Traceback" not in str(err.value)


def test_with_uploads_off_the_page_has_no_way_to_add_fetch_or_delete(seed_index):
    from qa.ui import build

    ids = lambda demo: {c.get("props", {}).get("elem_id") for c in demo.get_config_file()["components"]}
    assert {"upload", "url", "fetch", "delete"} <= ids(build(seed_index, uploads=True))
    assert not {"upload", "url", "fetch", "delete"} & ids(build(seed_index, uploads=False))
    assert {"docs", "reading", "speakers"} <= ids(build(seed_index, uploads=False))
