"""Time to make and sign one e-certificate PDF, and its size.

    .venv/bin/python bench/certificate_pdf.py              # 20 certificates
    .venv/bin/python bench/certificate_pdf.py --count 50

A benchmark, not a test: pytest never collects it. It reads the PDFs back with pypdf, of the
test group (`make install-test`). The office key is made once in a temporary var folder (as at
the embedded profile's first start) and not counted. Each round makes one certificate with
`certificate_pdf` (fpdf2: the font read and subset, the QR code drawn), signs it with `sign`
(pyHanko, PAdES B-B) and checks it with `validate`, each timed apart; a different certificate
code each round, so nothing is reused between rounds but the key.
Prints a Markdown table; bench/README.md ("Certificate PDF") holds the figures.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.certificates.pdf import (
    CERTIFICATE_FONT,
    CertificateFacts,
    certificate_pdf,
    verify_url,
)
from backend.certificates.signing import office_key, sign, validate
from backend.settings import Settings

T = TypeVar("T")


def facts(round_number: int) -> CertificateFacts:
    code = f"BENCH-{round_number:04d}"
    return CertificateFacts(
        kind="invention",
        number="ZL202310123456.7",
        title="一种基于深度学习的知识产权文档自动分类方法及系统",
        holder="杭州西子湖知识产权科技有限公司; 张三",
        granted_on=date(2024, 3, 5),
        code=code,
        issued_at=datetime.now(UTC),
        verify_url=verify_url("https://ip.example.gov.cn", code),
    )


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    """What `work` returns, and the milliseconds it took."""
    started = time.perf_counter()
    result = work()
    return result, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20, help="certificates to make (N)")
    count = parser.parse_args().count
    with tempfile.TemporaryDirectory(prefix="iph-bench-cert-") as var_dir:
        key, key_ms = _timed(lambda: office_key(Settings(var_dir=var_dir)))
        make, signing, checking, sizes, unsigned_sizes, font_sizes = [], [], [], [], [], []
        for round_number in range(count):
            unsigned, made_ms = _timed(lambda n=round_number: certificate_pdf(facts(n)))
            signed, signed_ms = _timed(lambda pdf=unsigned: sign(pdf, key))
            check, checked_ms = _timed(lambda pdf=signed: validate(pdf, key))
            assert check.status == "intact", check
            make.append(made_ms)
            signing.append(signed_ms)
            checking.append(checked_ms)
            sizes.append(len(signed))
            unsigned_sizes.append(len(unsigned))
            font_sizes.append(_embedded_font_bytes(signed))

    together = [m + s for m, s in zip(make, signing, strict=True)]
    print(f"{count} certificates; office key (ECDSA P-256, self-signed) made in {key_ms:.0f} ms\n")
    print("| step | median | min | max |")
    print("|---|--:|--:|--:|")
    for name, times in (
        ("make (`certificate_pdf`)", make),
        ("sign (`sign`)", signing),
        ("make and sign", together),
        ("check (`validate`)", checking),
    ):
        print(
            f"| {name} | {statistics.median(times):.0f} ms | {min(times):.0f} ms | "
            f"{max(times):.0f} ms |"
        )
    print(
        f"\nsize: {statistics.median(sizes) / 1024:.1f} KB signed "
        f"({statistics.median(unsigned_sizes) / 1024:.1f} KB unsigned), of which the font "
        f"subset {statistics.median(font_sizes) / 1024:.1f} KB; the font file "
        f"{CERTIFICATE_FONT.stat().st_size / 1024 / 1024:.1f} MB"
    )


def _embedded_font_bytes(pdf: bytes) -> int:
    """Bytes of the embedded font program (its stream as stored, compressed)."""
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    total = 0
    for font in fonts.values():
        for descendant in font.get_object()["/DescendantFonts"]:
            descriptor = descendant.get_object()["/FontDescriptor"].get_object()
            total += len(descriptor["/FontFile2"].get_object()._data)
    return total


if __name__ == "__main__":
    main()
