"""The MCP tools' published output schemas name the fields qa returns (`qa mcp` itself, driven
through the SDK's client: integration/test_mcp.py)."""

from __future__ import annotations

import dataclasses
import typing

from qa import Answer, Passage
from qa.mcp_server import AnswerOut, PassageOut


def test_output_schemas_name_the_fields_qa_returns():
    """The published schemas are written out for agents; they must keep up with Passage and Answer."""
    assert set(typing.get_type_hints(PassageOut)) == {f.name for f in dataclasses.fields(Passage)}
    reply = Answer(question="q", passages=(), abstained=True).to_dict()
    assert set(typing.get_type_hints(AnswerOut)) == set(reply) | {"markdown"}
