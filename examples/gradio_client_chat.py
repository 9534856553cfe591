"""The web chat's HTTP API through gradio_client: the same answers as the page, as data.

    qa serve &                                   # or: python app.py
    python examples/gradio_client_chat.py [URL]  # default http://127.0.0.1:7860/

``/retrieve`` returns every Passage field, ``/chat`` the reply as Markdown (``history``: the
earlier questions, for follow-ups), ``/speakers`` the speakers with their quote counts, and
``/quotes`` one speaker's passages. The README's gradio_client example is this file's body.
"""

from __future__ import annotations

import sys

from gradio_client import Client

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860/"

client = Client(url, verbose=False)
hits = client.predict("Which regiment did Zelensky commend?", 3, None, api_name="/retrieve")
print(hits[0]["text"], hits[0]["speaker"], hits[0]["paragraph"])
print(client.predict("What else did he say?", ["Which regiment did Zelensky commend?"], None, api_name="/chat"))
print(client.predict(api_name="/speakers")[0], len(client.predict("Zelensky", api_name="/quotes")))
