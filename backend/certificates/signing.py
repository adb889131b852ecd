"""The office's signature on e-certificate PDFs (PAdES baseline B-B), and checking it.

The key and certificate are files: in the scale profile the ones the settings name
(`IPH_SIGNING_KEY_FILE`, `IPH_SIGNING_CERT_FILE`); in the embedded profile, when those are unset,
a self-signed pair made at first start in var/signing/ (the key 0600) and reused after. A check
trusts the office's own signing certificate and nothing else, so a PDF signed by any other key,
however well certified, is not one of ours. pyHanko runs its own event loop: call these from a
worker thread, not from a coroutine.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend.settings import Settings

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509

# pyHanko is imported in the functions that sign or check (sign, validate, _chain), not with
# the module: it takes about a second to import, and the app imports this module at start-up.

SIGNATURE_FIELD = "OfficeSignature"
_SELF_SIGNED_YEARS = 20  # a check is made against today: the certificate must outlive its PDFs


class SigningNotConfigured(RuntimeError):
    """The scale profile was started without the office's key and certificate files."""


class OfficeKey(msgspec.Struct, frozen=True):
    """Where the office's signing key and its certificate (then any chain) are kept, as PEM."""

    key_file: Path
    cert_file: Path


class SignatureCheck(msgspec.Struct, frozen=True, kw_only=True):
    """What a check of a PDF found.

    `intact`: signed by the office, and not one byte changed or added since. `altered`: signed,
    but changed since, or not by the office; `problem` says which. `unsigned`: no signature.
    """

    status: Literal["intact", "altered", "unsigned"]
    sha256: str
    signed_at: datetime | None = None
    problem: str = ""


def office_key(settings: Settings) -> OfficeKey:
    """The configured files; or, in the embedded profile, the self-signed pair under var/."""
    if settings.signing_key_file or settings.signing_cert_file:
        if not (settings.signing_key_file and settings.signing_cert_file):
            raise SigningNotConfigured(
                "set both IPH_SIGNING_KEY_FILE and IPH_SIGNING_CERT_FILE, or neither"
            )
        return OfficeKey(Path(settings.signing_key_file), Path(settings.signing_cert_file))
    if settings.redis_url or settings.uses_postgres:
        raise SigningNotConfigured(
            "the scale profile signs with the office's own key: set IPH_SIGNING_KEY_FILE and "
            "IPH_SIGNING_CERT_FILE (workers must not each make a key of their own)"
        )
    return _self_signed_key(settings.var_path / "signing")


def sign(pdf: bytes, key: OfficeKey) -> bytes:
    """The PDF with the office's invisible signature appended as an incremental update."""
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signer = signers.SimpleSigner(
        signing_cert=load_cert_from_pemder(str(key.cert_file)),
        signing_key=load_private_key_from_pemder(str(key.key_file), passphrase=None),
        cert_registry=SimpleCertificateStore.from_certs(_chain(key)),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        signer_key_usage={"non_repudiation", "digital_signature"},
    )
    pdf_signer = signers.PdfSigner(
        meta, signer, new_field_spec=fields.SigFieldSpec(SIGNATURE_FIELD, box=None)
    )
    return pdf_signer.sign_pdf(writer).getvalue()


def sha256_of(pdf: bytes) -> str:
    """The hex digest a certificate's record keeps, to tell the issued file from any other."""
    return hashlib.sha256(pdf).hexdigest()


def validate(pdf: bytes, key: OfficeKey) -> SignatureCheck:
    """Whether the PDF is the office's signed file, unchanged."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    digest = sha256_of(pdf)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = reader.embedded_regular_signatures
    except (PdfReadError, ValueError, KeyError) as error:
        return SignatureCheck(
            status="altered", sha256=digest, problem=f"not a readable PDF: {error}"
        )
    if not embedded:
        return SignatureCheck(status="unsigned", sha256=digest)
    office = load_cert_from_pemder(str(key.cert_file))
    context = ValidationContext(trust_roots=[office], allow_fetching=False)
    signature = embedded[-1]
    try:
        status = validate_pdf_signature(signature, context, skip_diff=True)
    except Exception as error:  # pyHanko raises many kinds for a broken signature; all mean this
        return SignatureCheck(
            status="altered", sha256=digest, problem=f"unreadable signature: {error}"
        )
    signed_at = status.signer_reported_dt
    if not (status.intact and status.valid):
        problem = "the signed bytes were changed"
    elif status.signing_cert.dump() != office.dump() or not status.trusted:
        problem = "not signed by this office"
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE or len(embedded) > 1:
        problem = "changed after signing"
    else:
        return SignatureCheck(status="intact", sha256=digest, signed_at=signed_at)
    return SignatureCheck(status="altered", sha256=digest, signed_at=signed_at, problem=problem)


def _chain(key: OfficeKey) -> list[asn1_x509.Certificate]:
    """The certificates after the first in the certificate file (the chain, if any)."""
    from pyhanko.keys import load_certs_from_pemder

    return list(load_certs_from_pemder([str(key.cert_file)]))[1:]


def _self_signed_key(folder: Path) -> OfficeKey:
    """The pair in `folder`, made there first if missing.

    Made in a private temporary folder beside it and renamed into place, so two processes
    starting at once end with one pair, and no one ever reads half of one.
    """
    key = OfficeKey(folder / "key.pem", folder / "cert.pem")
    if key.key_file.exists() and key.cert_file.exists():
        return key
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".signing-", dir=folder.parent))  # 0700
    # ECDSA P-256: read and used in ~1 ms, where an RSA-3072 key takes ~110 ms just to load
    # (OpenSSL 3 checks it each time), and pyHanko loads the key for every signature.
    private_key = ec.generate_private_key(ec.SECP256R1())
    key_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(staging / "key.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as key_out:
        key_out.write(key_pem)
    (staging / "cert.pem").write_bytes(
        _self_signed_certificate(private_key).public_bytes(serialization.Encoding.PEM)
    )
    try:
        staging.rename(folder)  # replaces an empty folder; fails if another process won
    except OSError:
        shutil.rmtree(staging)
    return key


def _self_signed_certificate(private_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "IP Handheld"),
            x509.NameAttribute(NameOID.COMMON_NAME, "IP Handheld e-certificate signing"),
        ]
    )
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * _SELF_SIGNED_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False
        )
        .sign(private_key, hashes.SHA256())
    )
