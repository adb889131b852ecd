"""The office's signature: made once, checked against the office's certificate alone."""

from __future__ import annotations

import io
import re
import stat
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from backend.certificates.pdf import certificate_pdf
from backend.certificates.signing import (
    OfficeKey,
    SigningNotConfigured,
    office_key,
    sha256_of,
    sign,
    validate,
)
from backend.settings import Settings
from tests.certificates.conftest import facts_for


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> OfficeKey:
    return office_key(Settings(var_dir=str(tmp_path_factory.mktemp("var"))))


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return certificate_pdf(facts_for())


@pytest.fixture(scope="module")
def signed(unsigned: bytes, office: OfficeKey) -> bytes:
    return sign(unsigned, office)


def _byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert found
    start, length, second_start, second_length = map(int, found.groups())
    return start, length, second_start, second_length


def _changed_at(pdf: bytes, offset: int) -> bytes:
    """One byte changed to another printable one, so the file still parses."""
    replacement = b"7" if pdf[offset : offset + 1] != b"7" else b"8"
    return pdf[:offset] + replacement + pdf[offset + 1 :]


def test_a_signed_certificate_checks_intact(signed: bytes, office: OfficeKey) -> None:
    check = validate(signed, office)
    assert (check.status, check.problem) == ("intact", "")
    assert check.sha256 == sha256_of(signed)
    assert check.signed_at is not None


def test_the_signature_is_pades_over_the_whole_file(signed: bytes) -> None:
    assert b"/SubFilter /ETSI.CAdES.detached" in signed
    start, _, second_start, second_length = _byte_range(signed)
    assert start == 0 and second_start + second_length == len(signed)
    assert len(PdfReader(io.BytesIO(signed)).pages) == 1


def test_one_byte_changed_in_the_first_signed_range_makes_it_altered(
    signed: bytes, office: OfficeKey
) -> None:
    offset = signed.index(b"(IP Handheld)") + 1  # the /Creator entry, before the signature
    assert offset < _byte_range(signed)[1]
    check = validate(_changed_at(signed, offset), office)
    assert (check.status, check.problem) == ("altered", "the signed bytes were changed")


def test_one_byte_changed_in_the_second_signed_range_makes_it_altered(
    signed: bytes, office: OfficeKey
) -> None:
    # The last digit of the signing time (/M (D:…Z)), after /Contents.
    offset = signed.index(b"Z)", signed.index(b"/M (D")) - 1
    assert offset > _byte_range(signed)[2]
    check = validate(_changed_at(signed, offset), office)
    assert (check.status, check.problem) == ("altered", "the signed bytes were changed")


def test_an_update_appended_after_signing_makes_it_altered(
    signed: bytes, office: OfficeKey
) -> None:
    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    writer.add_metadata({"/Title": "商标注册证 伪造"})
    updated = io.BytesIO()
    writer.write(updated)
    check = validate(updated.getvalue(), office)
    assert (check.status, check.problem) == ("altered", "changed after signing")


def test_a_pdf_signed_with_another_key_is_not_the_offices(
    unsigned: bytes, office: OfficeKey, tmp_path: Path
) -> None:
    other = office_key(Settings(var_dir=str(tmp_path)))
    check = validate(sign(unsigned, other), office)
    assert (check.status, check.problem) == ("altered", "not signed by this office")


def test_an_unsigned_pdf_is_unsigned(unsigned: bytes, office: OfficeKey) -> None:
    assert validate(unsigned, office).status == "unsigned"


def test_a_file_that_is_not_a_pdf_is_altered_not_an_error(office: OfficeKey) -> None:
    check = validate(b"%PDF-1.7 not really", office)
    assert check.status == "altered"
    assert check.problem.startswith("not a readable PDF")


def test_sha256_of_is_the_hex_digest_of_the_bytes() -> None:
    assert sha256_of(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_the_embedded_key_is_made_once_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(var_dir=str(tmp_path))
    first = office_key(settings)
    key_pem, cert_pem = first.key_file.read_bytes(), first.cert_file.read_bytes()
    assert first.key_file == tmp_path / "signing" / "key.pem"
    assert stat.S_IMODE(first.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.key_file.parent.stat().st_mode) == 0o700
    again = office_key(settings)
    assert again == first
    assert (again.key_file.read_bytes(), again.cert_file.read_bytes()) == (key_pem, cert_pem)
    assert [p.name for p in tmp_path.iterdir()] == ["signing"]  # no staging folder left


def test_the_scale_profile_will_not_make_a_key_of_its_own(tmp_path: Path) -> None:
    settings = Settings(var_dir=str(tmp_path), redis_url="redis://127.0.0.1:6379/0")
    with pytest.raises(SigningNotConfigured, match="set IPH_SIGNING_KEY_FILE and IPH_SIGNING_CERT"):
        office_key(settings)
    assert list(tmp_path.iterdir()) == []


def test_the_configured_files_sign_and_check(
    unsigned: bytes, office: OfficeKey, tmp_path: Path
) -> None:
    settings = Settings(
        var_dir=str(tmp_path),
        database_url="postgresql://127.0.0.1/iph",
        signing_key_file=str(office.key_file),
        signing_cert_file=str(office.cert_file),
    )
    assert office_key(settings) == office
    assert validate(sign(unsigned, office_key(settings)), office).status == "intact"


def test_one_configured_file_without_the_other_is_refused(office: OfficeKey) -> None:
    settings = Settings(signing_key_file=str(office.key_file))
    with pytest.raises(SigningNotConfigured, match="set both IPH_SIGNING_KEY_FILE and"):
        office_key(settings)
