"""The e-certificate as a PDF: the public facts of a granted patent or registered trademark.

One A4 page, Chinese first with an English line under each label, a QR code of the verify URL.
It states facts and where to verify them, nothing more: no legal wording is made up here. The
text is set in WenQuanYi Micro Hei (Debian's fonts-wqy-microhei, Apache-2.0), of which fpdf2
embeds only the glyphs used (docs/decisions/certificates.md#the-font).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec
import segno

if TYPE_CHECKING:
    from fpdf import FPDF

# Installed by `make font-deps` (run by `make run` and `make test`).
CERTIFICATE_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_PACKAGE = "fonts-wqy-microhei"

Kind = Literal["invention", "utility_model", "design", "trademark"]

# Per kind (the values of inquiries' Record.Kind): the heading, and the labels of the number,
# the title, the holder and the date, each (Chinese, English).
_WORDING: dict[str, dict[str, tuple[str, str]]] = {
    "invention": {
        "heading": ("发明专利 电子证书", "Electronic certificate: invention patent"),
        "number": ("专利号", "Patent number"),
        "title": ("发明名称", "Title of the invention"),
        "holder": ("专利权人", "Patentee"),
        "date": ("授权日", "Date of grant"),
    },
    "utility_model": {
        "heading": ("实用新型专利 电子证书", "Electronic certificate: utility model patent"),
        "number": ("专利号", "Patent number"),
        "title": ("实用新型名称", "Title of the utility model"),
        "holder": ("专利权人", "Patentee"),
        "date": ("授权日", "Date of grant"),
    },
    "design": {
        "heading": ("外观设计专利 电子证书", "Electronic certificate: design patent"),
        "number": ("专利号", "Patent number"),
        "title": ("使用外观设计的产品名称", "Product embodying the design"),
        "holder": ("专利权人", "Patentee"),
        "date": ("授权日", "Date of grant"),
    },
    "trademark": {
        "heading": ("注册商标 电子证书", "Electronic certificate: registered trademark"),
        "number": ("注册号", "Registration number"),
        "title": ("商标", "Mark"),
        "holder": ("注册人", "Registrant"),
        "date": ("注册日", "Date of registration"),
    },
}

_MARGIN = 20.0  # mm
_LABEL_WIDTH = 55.0  # mm
_QR_SIZE = 40.0  # mm: about 1 mm a module for a verify URL of ~60 characters
_INK = (33, 33, 33)
_MUTED = (96, 96, 96)


class CertificateFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What an e-certificate states: public facts of the record, and how to verify them."""

    kind: Kind
    number: str
    title: str  # a patent's title or a trademark's name
    holder: str  # the patentee(s) or registrant, as the record names them
    granted_on: date  # grant (patent) or registration (trademark)
    code: str  # the certificate's own code, the last part of its verify URL
    issued_at: datetime  # timezone-aware
    verify_url: str


class FontMissing(RuntimeError):
    """The certificate font is not on this machine."""


def verify_url(origin: str, code: str) -> str:
    """The public address that checks a certificate: https://<origin>/verify/{code}."""
    return f"{origin.rstrip('/')}/verify/{code}"


def certificate_pdf(facts: CertificateFacts, font: Path = CERTIFICATE_FONT) -> bytes:
    """The unsigned PDF; `signing.sign` makes it the office's."""
    # Imported here, not with the module: fpdf2 takes seconds to import, and the app imports
    # this module at start-up but draws a PDF only when someone asks for a certificate.
    from fpdf import FPDF

    if facts.issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    if not font.is_file():
        raise FontMissing(
            f"the certificate font {font} is missing: run `make font-deps` "
            f"(or apt-get install {FONT_PACKAGE})"
        )
    wording = _WORDING[facts.kind]
    pdf = FPDF(format="A4")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=False)
    pdf.set_lang("zh-CN")
    pdf.set_title(f"{wording['heading'][0]} {facts.number}")
    pdf.set_subject(facts.code)
    pdf.set_creator("IP Handheld")
    pdf.set_creation_date(facts.issued_at)  # the same facts make the same file
    pdf.add_font("wqy", fname=font, collection_font_number=0)
    pdf.add_page()

    _heading(pdf, wording["heading"])
    for label, value in (
        (wording["number"], facts.number),
        (wording["title"], facts.title),
        (wording["holder"], facts.holder),
        (wording["date"], _date_zh(facts.granted_on)),
        (("证书编号", "Certificate code"), facts.code),
        (("签发时间", "Issued at"), _moment(facts.issued_at)),
    ):
        _fact(pdf, label, value)
    _verification(pdf, facts.verify_url)
    return bytes(pdf.output())


def _heading(pdf: FPDF, heading: tuple[str, str]) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_y(30)
    pdf.set_text_color(*_INK)
    pdf.set_font("wqy", size=22)
    pdf.cell(0, 12, heading[0], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_MUTED)
    pdf.set_font("wqy", size=11)
    pdf.cell(0, 7, heading[1], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*_MUTED)
    pdf.line(_MARGIN, pdf.get_y() + 6, pdf.w - _MARGIN, pdf.get_y() + 6)
    pdf.set_y(pdf.get_y() + 14)


def _fact(pdf: FPDF, label: tuple[str, str], value: str) -> None:
    """A label (Chinese over English) on the left, the value beside it, wrapped by character."""
    from fpdf.enums import WrapMode, XPos, YPos

    top = pdf.get_y()
    pdf.set_text_color(*_INK)
    pdf.set_font("wqy", size=12)
    pdf.cell(_LABEL_WIDTH, 7, label[0], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_MUTED)
    pdf.set_font("wqy", size=9)
    pdf.cell(_LABEL_WIDTH, 5, label[1], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    label_bottom = pdf.get_y()

    pdf.set_xy(_MARGIN + _LABEL_WIDTH, top)
    pdf.set_text_color(*_INK)
    pdf.set_font("wqy", size=13)
    pdf.multi_cell(
        pdf.w - 2 * _MARGIN - _LABEL_WIDTH,
        7,
        value,
        align="L",
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_y(max(label_bottom, pdf.get_y()) + 5)


def _verification(pdf: FPDF, url: str) -> None:
    """The QR code of the verify URL at the foot of the page, and the URL written out."""
    from fpdf.enums import WrapMode, XPos, YPos

    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="png", scale=8, border=4)
    top = pdf.h - _MARGIN - _QR_SIZE - 12
    pdf.set_draw_color(*_MUTED)
    pdf.line(_MARGIN, top - 6, pdf.w - _MARGIN, top - 6)
    pdf.image(qr, x=_MARGIN, y=top, w=_QR_SIZE, h=_QR_SIZE, alt_text=url)

    text_left = _MARGIN + _QR_SIZE + 6
    pdf.set_xy(text_left, top + 8)
    pdf.set_text_color(*_INK)
    pdf.set_font("wqy", size=12)
    pdf.cell(0, 7, "扫码或访问以下网址核验本证书", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*_MUTED)
    pdf.set_font("wqy", size=9)
    pdf.cell(0, 5, "Scan the code, or verify at:", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    pdf.set_font("wqy", size=10)
    pdf.multi_cell(pdf.w - _MARGIN - text_left, 6, url, align="L", wrapmode=WrapMode.CHAR, link=url)


def _date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日 ({day.isoformat()})"


def _moment(moment: datetime) -> str:
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"
