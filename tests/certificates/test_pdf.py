"""The certificate PDF: it opens, states the facts in Chinese, carries the QR code and a subset."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from backend.certificates.pdf import (
    CERTIFICATE_FONT,
    CertificateFacts,
    FontMissing,
    certificate_pdf,
    verify_url,
)
from tests.certificates.conftest import facts_for


@pytest.fixture(scope="module")
def certificate() -> bytes:
    return certificate_pdf(facts_for())


def _text(pdf: bytes) -> str:
    """The page's text with line breaks and spaces taken out, as wrapping puts them anywhere."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return re.sub(r"\s+", "", page.extract_text())


def test_the_certificate_is_one_page_that_opens(certificate: bytes) -> None:
    reader = PdfReader(io.BytesIO(certificate))
    assert len(reader.pages) == 1
    assert reader.metadata.title == "发明专利 电子证书 ZL202310123456.7"


def test_the_holder_title_and_number_come_back_out_in_chinese(
    certificate: bytes, facts: CertificateFacts
) -> None:
    text = _text(certificate)
    assert "杭州西子湖知识产权科技有限公司;张三" in text
    assert "一种基于深度学习的知识产权文档自动分类方法及系统" in text
    for fact in (
        "ZL202310123456.7",
        "C7K2-9QXM-4T8P",
        "2024年3月5日",
        "2026-12-0310:15(UTC+08:00)",
    ):
        assert fact in text
    assert "扫码或访问以下网址核验本证书" in text
    assert "verifyat:https://ip.example.gov.cn/verify/C7K2-9QXM-4T8P" in text


def test_a_long_title_wraps_within_the_page_and_stays_whole() -> None:
    title = "一种" + "用于知识产权公共服务的移动终端" * 8 + "方法"
    assert title in _text(certificate_pdf(facts_for(title=title)))


@pytest.mark.parametrize(
    ("kind", "heading", "labels"),
    [
        ("invention", "发明专利电子证书", ("专利号", "发明名称", "专利权人", "授权日")),
        ("utility_model", "实用新型专利电子证书", ("专利号", "实用新型名称", "专利权人")),
        ("design", "外观设计专利电子证书", ("专利号", "使用外观设计的产品名称", "授权日")),
        ("trademark", "注册商标电子证书", ("注册号", "商标", "注册人", "注册日")),
    ],
)
def test_each_kind_has_its_own_heading_and_labels(
    kind: str, heading: str, labels: tuple[str, ...]
) -> None:
    text = _text(certificate_pdf(facts_for(kind, title="西湖龙井")))
    assert heading in text
    assert all(label in text for label in labels)


def test_the_qr_code_on_the_page_is_the_verify_url_module_for_module(
    certificate: bytes, facts: CertificateFacts
) -> None:
    """No QR decoder is installed: the image's modules are compared with segno's own matrix."""
    images = PdfReader(io.BytesIO(certificate)).pages[0].images
    assert len(images) == 1
    picture = images[0].image.convert("L")
    matrix = segno.make(facts.verify_url, error="m").matrix
    scale, border = 8, 4  # as pdf.py saves it
    assert picture.size == ((len(matrix) + 2 * border) * scale,) * 2
    read = [
        [
            picture.getpixel(((border + x) * scale + 4, (border + y) * scale + 4)) < 128
            for x in range(len(row))
        ]
        for y, row in enumerate(matrix)
    ]
    assert read == [[bool(module) for module in row] for row in matrix]


def test_the_verify_url_is_the_origin_then_verify_then_the_code() -> None:
    assert verify_url("https://ip.example.gov.cn/", "A1") == "https://ip.example.gov.cn/verify/A1"


def _font_descriptors(pdf: bytes) -> list[DictionaryObject]:
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = []
    for font in fonts.values():
        for descendant in font.get_object().get("/DescendantFonts", []):
            descriptors.append(descendant.get_object()["/FontDescriptor"].get_object())
    return descriptors


def test_the_font_is_embedded_as_a_small_subset(certificate: bytes) -> None:
    (descriptor,) = _font_descriptors(certificate)
    assert re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei", descriptor["/FontName"])
    embedded = descriptor["/FontFile2"].get_object().get_data()
    assert len(embedded) < CERTIFICATE_FONT.stat().st_size / 50  # ~60 KB of a ~5 MB font
    assert len(certificate) < 60_000


def test_a_missing_font_says_how_to_install_it(facts: CertificateFacts, tmp_path: Path) -> None:
    with pytest.raises(FontMissing, match=r"run `make font-deps` \(or apt-get install fonts-wqy"):
        certificate_pdf(facts, font=tmp_path / "none.ttc")


def test_a_moment_without_its_timezone_is_refused() -> None:
    with pytest.raises(ValueError, match="issued_at must be timezone-aware"):
        certificate_pdf(facts_for(issued_at=datetime(2026, 12, 3, 10, 15)))


def test_the_same_facts_make_the_same_file(certificate: bytes) -> None:
    assert certificate_pdf(facts_for()) == certificate
