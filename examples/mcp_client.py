"""An agent's view: start ``qa mcp`` and call its tools through the official MCP SDK's stdio client.

    pip install -e '.[mcp]'
    python examples/mcp_client.py [QUESTION]

The server is started as ``python -m qa.cli mcp`` with this process's environment, so QA_SEEDS
and QA_INDEX choose the articles and the index as they do for ``qa`` (default: the seeds/ folder
of this checkout, and index/ in the current folder).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import TextContent


async def main(question: str) -> None:
    env = dict(os.environ)
    env.setdefault("QA_SEEDS", str(Path(__file__).resolve().parents[1] / "seeds"))
    server = StdioServerParameters(command=sys.executable, args=["-m", "qa.cli", "mcp"], env=env)
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = (await session.list_tools()).tools
        print("tools:", ", ".join(t.name for t in tools))
        articles = ((await session.call_tool("list_articles", {})).structured_content or {})["result"]
        print("articles:", ", ".join(f"{a['id']} ({a['sentences']} sentences)" for a in articles))
        res = await session.call_tool("answer", {"question": question, "k": 2})
        # the reply as Markdown; res.structured_content has it as data (abstained, passages)
        print("\n".join(c.text for c in res.content if isinstance(c, TextContent)))


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Which regiment did Zelensky commend?"))
