"""`qa mcp`, driven as an agent drives it: the real server in a subprocess, through the official
SDK's own stdio client, over the real model and a real index of the seed article."""

from __future__ import annotations

import os
import sys

import anyio
import pytest
from mcp import ClientSession  # the `mcp` extra, which the `test` extra includes
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.support import SEED_ID

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # `qa mcp` in a subprocess

TOOLS = {"retrieve", "answer", "list_articles", "speaker_quotes"}


def test_qa_mcp_serves_the_articles_to_an_sdk_client(seed_index, tmp_path):
    seeds, index = seed_index.settings.seeds, seed_index.settings.index
    article = (seeds / f"{SEED_ID}.txt").read_bytes().decode("utf-8")  # .txt: the document is the file
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "qa.cli", "mcp", "--seeds", str(seeds), "--index", str(index)],
                                   env=dict(os.environ), cwd=str(tmp_path))
    faults: list[Exception] = []  # anything on stdout that is not a protocol message lands here

    async def on_message(message):
        if isinstance(message, Exception):
            faults.append(message)

    async def session_run():
        with open(tmp_path / "stderr.txt", "w") as errlog, anyio.fail_after(120):
            async with stdio_client(params, errlog=errlog) as (read, write), \
                    ClientSession(read, write, message_handler=on_message) as session:
                await session.initialize()
                return await drive(session)

    async def drive(session: ClientSession):
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == TOOLS
        assert {"question", "k", "docs"} <= set(tools["retrieve"].input_schema["properties"])
        assert tools["retrieve"].input_schema["required"] == ["question"]
        assert all("exact text" in tools[t].description for t in ("retrieve", "answer", "speaker_quotes"))

        res = await session.call_tool("retrieve", {"question": "Which regiment did Zelensky commend?"})
        assert not res.is_error, res.content
        hits = res.structured_content["result"]  # also checked against the output schema by the client
        hit = next(h for h in hits if "225th Assault Regiment" in h["text"])
        assert hit["speaker"] == "Volodymyr Zelensky" and hit["doc"] == SEED_ID
        assert article[hit["start"]:hit["end"]] == hit["text"]

        res = await session.call_tool("answer", {"question": "Who won the Super Bowl?"})
        assert not res.is_error and res.structured_content["abstained"] is True
        assert res.content[0].text == res.structured_content["markdown"]
        assert res.content[0].text.startswith("**The articles do not cover this question.**")

        res = await session.call_tool("list_articles", {})
        (listed,) = res.structured_content["result"]
        assert listed["id"] == SEED_ID and listed["sentences"] == 21 and listed["title"].startswith("Ukrainian President")

        res = await session.call_tool("speaker_quotes", {"name": "Volodymyr Zelensky"})
        assert not res.is_error, res.content
        quotes = res.structured_content["result"]
        assert quotes and all(q["text"] in article and article[q["start"]:q["end"]] == q["text"] for q in quotes)
        assert all(q["speaker"] == "Volodymyr Zelensky" for q in quotes)
        assert [q["sentence"] for q in quotes] == sorted(q["sentence"] for q in quotes)
        assert any("225th Assault Regiment" in q["text"] for q in quotes)
        res = await session.call_tool("speaker_quotes", {"name": "  volodymyr ZELENSKY "})
        assert res.structured_content["result"] == quotes

        errors = {}
        for name, args in [("retrieve", {"question": ""}), ("retrieve", {"question": "x", "k": 0}),
                           ("answer", {"question": "x", "docs": ["nope"]}), ("speaker_quotes", {"name": "Zelensky"})]:
            res = await session.call_tool(name, args)
            assert res.is_error and len(res.content) == 1
            errors[name, str(args)] = res.content[0].text
        assert list(errors.values())[0].endswith("the question is empty: type a question about the articles")
        assert "k must be a whole number from 1 to 100, not 0" in list(errors.values())[1]
        assert f"unknown document id(s): 'nope'; known: {SEED_ID}" in list(errors.values())[2]
        assert "did you mean: 'Volodymyr Zelensky'" in list(errors.values())[3]
        assert all("\n" not in e for e in errors.values())
        res = await session.call_tool("list_articles", {})  # and the server is still there
        assert not res.is_error
        return errors

    anyio.run(session_run)
    assert not faults, faults
    stderr = (tmp_path / "stderr.txt").read_text()
    assert "Traceback" not in stderr, stderr
