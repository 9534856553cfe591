"""A PDF (written by reportlab) and a Word file (python-docx), made here rather than checked in."""

from __future__ import annotations

import io


def make_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    ss = getSampleStyleSheet()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title="Harbour wall to be rebuilt", author="Sam Reid")
    doc.build([
        Paragraph("Harbour wall to be rebuilt", ss["Title"]),
        Paragraph("The storm-damaged harbour wall at Porthleven will be rebuilt in granite before next winter, "
                  "the harbour trust said on Friday. The work will close the inner harbour for six weeks.", ss["Normal"]),
        Spacer(1, 12),
        Paragraph('"The sea took forty metres of the wall in one night," said harbour master Rui Tavares. '
                  "He said fishing boats would moor in Newlyn while the masons worked.", ss["Normal"]),
    ])
    return buf.getvalue()


def make_docx() -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.author = "Mina Osei"
    d.add_heading("Orchard saved by a village vote", level=1)
    d.add_paragraph("Residents of Hallow voted on Monday to buy the old cider orchard behind the church, "
                    "ending a two-year fight over plans to build forty houses on it.")
    d.add_paragraph('"Those trees are older than anyone living here," said parish councillor Joan Ashby. '
                    "She said the parish would plant twenty new apple trees in the spring.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()
