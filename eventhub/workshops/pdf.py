"""The participation certificate as a PDF: the same text as the printable HTML page, drawn
with fpdf2 in DejaVu Sans.

The fonts are shipped in ``eventhub/static/fonts`` (see the LICENSE and README there), so the
PDF never depends on what fonts the machine has. fpdf2 embeds only the glyphs used. Strings
come from gettext in whatever locale is active: the caller chooses it (the registrant's).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask_babel import gettext as _
from flask_babel import ngettext
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from werkzeug.utils import secure_filename

from eventhub.core.formatting import format_locale
from eventhub.core.services.workshops import Certificate

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
FAMILY = "DejaVuSans"
# Glyphs outside the shipped subset (see static/fonts/README.md) are left out by fpdf2 with a
# logged warning, never an error: a name in another script still gets its certificate.


def _nfc(text: str) -> str:
    """Letters as one code point each (a name typed as 'i' + combining macron becomes 'ī'):
    the font has the composed glyphs, and fpdf2 does not place combining marks itself."""
    return unicodedata.normalize("NFC", text)


def _pdf(title: str, locale: str) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(25, 30, 25)
    pdf.set_auto_page_break(True, margin=25)
    pdf.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_title(_nfc(title))
    pdf.set_lang(locale)
    pdf.set_creator("eventhub")
    pdf.add_page()
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.6)
    pdf.rect(12, 12, pdf.w - 24, pdf.h - 24)
    pdf.set_line_width(0.2)
    pdf.rect(14, 14, pdf.w - 28, pdf.h - 28)
    return pdf


def _centred(pdf: FPDF, text: str, size: float, style: str = "", space: float = 0) -> None:
    pdf.set_font(FAMILY, style, size)
    pdf.multi_cell(0, size * 0.5, _nfc(text), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if space:
        pdf.ln(space)


def certificate_pdf(certificate: Certificate, locale: str) -> bytes:
    """The certificate as PDF bytes, its words in the active locale (``locale`` names it in
    the document's metadata)."""
    series, person, sessions = certificate.series, certificate.person, certificate.sessions
    kind = _("Participation certificate")
    pdf = _pdf(f"{kind} – {person.name}", locale)

    pdf.set_char_spacing(1.5)
    _centred(pdf, kind.upper(), 11, space=14)
    pdf.set_char_spacing(0)
    _centred(pdf, person.name, 26, "B", space=10)
    _centred(
        pdf,
        ngettext(
            "has taken part in %(num)d session of the workshop series",
            "has taken part in %(num)d sessions of the workshop series",
            len(sessions),
        ),
        12,
        space=6,
    )
    _centred(pdf, series.name, 18, "B", space=4)
    if project := series.project:
        who = f"{project.name} – {project.organiser}" if project.organiser else project.name
        _centred(pdf, who, 11, space=10)

    pdf.set_font(FAMILY, "", 10)
    for number, event in enumerate(sessions, start=1):
        line = f"{event.local_start:%d.%m.%Y} {event.title}"
        if event.venue:
            line += f", {event.venue}"
        pdf.set_x(pdf.l_margin + 10)
        pdf.cell(8, 6, f"{number}.", align="R")
        pdf.multi_cell(pdf.epw - 20, 6, _nfc(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if certificate.issued_on:
        pdf.ln(14)
        issued = certificate.issued_on.astimezone(ZoneInfo(sessions[-1].timezone))
        _centred(pdf, format_date(issued, "long", locale=format_locale()), 10)
    return bytes(pdf.output())


def certificate_filename(certificate: Certificate) -> str:
    """A plain ASCII file name: 'certificate-<series>-<person>.pdf'."""
    words = secure_filename(f"{certificate.series.name}-{certificate.person.name}").lower()
    return f"certificate-{words[:80] or certificate.series.id}.pdf"
