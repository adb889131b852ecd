"""Issuing e-certificates to the holders of granted records, checking them, sharing them.

A certificate can be had for a record bound to the person (inquiries' binding) that is granted:
a patent whose stage is `in_force`, a trademark whose stage is `tm_registered`, with a grant or
registration date (docs/decisions/certificates.md#who-can-have-a-certificate). Asking again
supersedes the holder's earlier certificates of that record. A certificate outlives its holder's
account (then `holder` is null); only the office revokes one, with a reason /verify shows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from pathlib import Path

from backend.auth.tables import Account
from backend.certificates import signing
from backend.certificates.pdf import CertificateFacts, certificate_pdf, verify_url
from backend.certificates.schemas import (
    BEIJING,
    EligibleRecord,
    MyCertificate,
    MyCertificates,
    OfficeCertificate,
    PublicCertificate,
    ShareLinkView,
    UploadCheck,
)
from backend.certificates.tables import Certificate, ShareLink
from backend.core.database import write_transaction
from backend.inquiries import service as inquiries
from backend.inquiries.numbers import parse_number
from backend.inquiries.tables import Record

# 32 letters and digits without 0/O, 1/I: 16 of them are 80 random bits, read out in 4 groups.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 16
SHARE_PERIODS_DAYS = (1, 7, 30)
GRANTED_STAGES = {"in_force", "tm_registered"}
MAX_REASON_LENGTH = 500
OFFICE_LIST_LIMIT = 50


class CertificateNotFound(LookupError):
    """No certificate has this code, or it is not the asking person's."""


class NotEligible(Exception):
    """The record is not granted (or has no grant date): it cannot have a certificate."""


class ShareLinkGone(Exception):
    """The share link expired or was withdrawn."""


class ReasonRefused(ValueError):
    """A revocation's reason is missing (`empty`) or longer than MAX_REASON_LENGTH (`too_long`)."""


def is_granted(record: Record) -> bool:
    return record.stage in GRANTED_STAGES and record.granted_on is not None


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalised_code(text: str) -> str:
    """A code as typed (any case, spaces or dashes anywhere) in its canonical form."""
    raw = "".join(c for c in text.upper() if c.isalnum())
    if len(raw) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in raw):
        return ""
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def certificates_dir(var_path: Path) -> Path:
    """Under var/, which no static route serves."""
    return var_path / "certificates"


def pdf_path_for(code: str) -> str:
    """Relative to certificates_dir: named by the code's hash, so no address gives it away."""
    digest = hashlib.sha256(code.encode()).hexdigest()
    return f"{digest[:2]}/{digest}.pdf"


def public_view(certificate: Certificate, origin: str) -> PublicCertificate:
    return PublicCertificate(
        code=certificate.code,
        status=certificate.status,
        current_code=certificate.superseded_by or None,
        kind=certificate.kind,
        number=certificate.number,
        title=certificate.title,
        holder=certificate.holder_name,
        granted_on=certificate.granted_on,
        issued_at=certificate.issued_at,
        sha256=certificate.sha256,
        verify_url=verify_url(origin, certificate.code),
        revoked_at=certificate.revoked_at,
        revoked_reason=certificate.revoked_reason if certificate.revoked_at else None,
    )


async def certificate_by_code(text: str) -> Certificate:
    code = normalised_code(text)
    found = code and await Certificate.objects().where(Certificate.code == code).first()
    if not found:
        raise CertificateNotFound(text)
    return found


async def my_certificates(account: Account, today: dt.date, origin: str) -> MyCertificates:
    rows = await inquiries.my_records(account, today)
    numbers = [row.number for row in rows]
    found = await Record.objects().where(Record.number.is_in(numbers)) if numbers else []
    records = {record.number: record for record in found}
    issued = (
        await Certificate.objects()
        .where(Certificate.holder == account.id)
        .order_by(Certificate.issued_at, Certificate.id, ascending=False)
    )
    shares = await ShareLink.objects().where(
        ShareLink.certificate.is_in([c.id for c in issued] or [-1])
    )
    now = dt.datetime.now(dt.UTC)
    current = {c.number: c for c in issued if c.status == Certificate.Status.valid}
    return MyCertificates(
        records=[
            EligibleRecord(
                number=row.number,
                kind=row.kind,
                title=row.title,
                granted=is_granted(records[row.number]),
                current=public_view(current[row.number], origin) if row.number in current else None,
            )
            for row in rows
            if row.number in records
        ],
        certificates=[
            MyCertificate(
                certificate=public_view(c, origin),
                shares=[_share_view(s, now) for s in shares if s.certificate == c.id],
            )
            for c in issued
        ],
    )


def _share_view(link: ShareLink, now: dt.datetime) -> ShareLinkView:
    state = "withdrawn" if link.withdrawn_at else "expired" if link.expires_at <= now else "active"
    return ShareLinkView(
        id=link.id, created_at=link.created_at, expires_at=link.expires_at, state=state
    )


async def issue(
    account: Account,
    number: str,
    key: signing.OfficeKey,
    var_path: Path,
    origin: str,
    now: dt.datetime,
) -> Certificate:
    """A new certificate of the bound, granted record; the holder's earlier ones superseded.

    Raises inquiries.RecordNotFound (not bound to this person) or NotEligible.
    """
    record = await inquiries.my_record(account, number)
    if not is_granted(record):
        raise NotEligible(record.number)
    code = new_code()
    facts = CertificateFacts(
        kind=record.kind,
        number=record.number,
        title=record.title,
        holder=record.applicants,
        granted_on=record.granted_on,
        code=code,
        issued_at=now.astimezone(BEIJING).replace(microsecond=0),
        verify_url=verify_url(origin, code),
    )
    # Making and signing the PDF is CPU work (and pyHanko runs its own event loop): a thread.
    signed = await asyncio.to_thread(lambda: signing.sign(certificate_pdf(facts), key))
    relative = pdf_path_for(code)
    target = certificates_dir(var_path) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(target.write_bytes, signed)
    certificate = Certificate(
        code=code,
        record=record.id,
        holder=account.id,
        status=Certificate.Status.valid,
        kind=facts.kind,
        number=facts.number,
        title=facts.title,
        holder_name=facts.holder,
        granted_on=facts.granted_on,
        issued_at=facts.issued_at,
        sha256=signing.sha256_of(signed),
        pdf_path=relative,
    )
    async with write_transaction(Certificate._meta.db):
        await Certificate.update(
            {Certificate.status: Certificate.Status.superseded, Certificate.superseded_by: code}
        ).where(
            (Certificate.record == record.id)
            & (Certificate.holder == account.id)
            & (Certificate.status != Certificate.Status.revoked)
        )
        await certificate.save()
    return certificate


async def revoke(code: str, reason: str, now: dt.datetime) -> tuple[Certificate, bool]:
    """The office's revocation, with its reason as typed (shown on /verify), and whether this
    call revoked it: revoking again changes nothing, the first date and reason stay.

    Raises CertificateNotFound or ReasonRefused.
    """
    certificate = await certificate_by_code(code)
    reason = reason.strip()
    if not reason:
        raise ReasonRefused("empty")
    if len(reason) > MAX_REASON_LENGTH:
        raise ReasonRefused("too_long")
    # One statement: of two supervisors revoking at once, one revokes and the other finds it done.
    changed = (
        await Certificate.update(
            {
                Certificate.status: Certificate.Status.revoked,
                Certificate.revoked_at: now,
                Certificate.revoked_reason: reason,
            }
        )
        .where((Certificate.id == certificate.id) & Certificate.revoked_at.is_null())
        .returning(Certificate.id)
    )
    revoked = await Certificate.objects().where(Certificate.id == certificate.id).first()
    return revoked, bool(changed)


async def certificates_for_office(text: str, origin: str) -> list[OfficeCertificate]:
    """The certificate with this code, or a record's certificates by the record's number
    (in any form people type it), newest first. Raises InvalidNumber for neither."""
    code = normalised_code(text)
    where = Certificate.code == code if code else Certificate.number == parse_number(text).canonical
    found = (
        await Certificate.objects()
        .where(where)
        .order_by(Certificate.issued_at, Certificate.id, ascending=False)
        .limit(OFFICE_LIST_LIMIT)
    )
    return [
        OfficeCertificate(certificate=public_view(c, origin), holder_gone=c.holder is None)
        for c in found
    ]


async def holders_certificate(account: Account, code: str) -> Certificate:
    """The certificate, if this person holds it; otherwise CertificateNotFound (a 404)."""
    certificate = await certificate_by_code(code)
    if certificate.holder != account.id:
        raise CertificateNotFound(code)
    return certificate


def pdf_file(certificate: Certificate, var_path: Path) -> Path:
    return certificates_dir(var_path) / certificate.pdf_path


async def make_share_link(account: Account, code: str, days: str, now: dt.datetime) -> str:
    """A new link's token (shown once: only its hash is kept). Raises ValueError for a period
    not offered, CertificateNotFound for another person's certificate."""
    if not days.isdigit() or int(days) not in SHARE_PERIODS_DAYS:
        raise ValueError(days)
    certificate = await holders_certificate(account, code)
    token = secrets.token_urlsafe(24)
    await ShareLink(
        certificate=certificate.id,
        token_hash=_token_hash(token),
        created_at=now,
        expires_at=now + dt.timedelta(days=int(days)),
    ).save()
    return token


async def withdraw_share_link(account: Account, link_id: int, now: dt.datetime) -> None:
    link = await ShareLink.objects().where(ShareLink.id == link_id).first()
    owner = link and await Certificate.exists().where(
        (Certificate.id == link.certificate) & (Certificate.holder == account.id)
    )
    if not owner:
        raise CertificateNotFound(str(link_id))
    if link.withdrawn_at is None:
        await ShareLink.update({ShareLink.withdrawn_at: now}).where(ShareLink.id == link_id)


async def shared_certificate(token: str, now: dt.datetime) -> tuple[Certificate, dt.datetime]:
    """The certificate a live share link shows, and until when. Raises CertificateNotFound
    (no such link) or ShareLinkGone (expired or withdrawn)."""
    link = await ShareLink.objects().where(ShareLink.token_hash == _token_hash(token)).first()
    if link is None:
        raise CertificateNotFound("share link")
    if link.withdrawn_at is not None or link.expires_at <= now:
        raise ShareLinkGone
    certificate = await Certificate.objects().where(Certificate.id == link.certificate).first()
    return certificate, link.expires_at


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def check_upload(certificate: Certificate, pdf: bytes, key: signing.OfficeKey) -> UploadCheck:
    """Whether `pdf` is this certificate's file as issued: the office's signature intact and
    the same SHA-256 as the one kept at issue."""
    found = await asyncio.to_thread(signing.validate, pdf, key)
    if found.status == "unsigned":
        return UploadCheck(outcome="unsigned", sha256=found.sha256)
    if found.status == "altered":
        return UploadCheck(outcome="altered", sha256=found.sha256, problem=found.problem)
    if found.sha256 != certificate.sha256:
        return UploadCheck(outcome="other_office_file", sha256=found.sha256)
    return UploadCheck(outcome="issued_file", sha256=found.sha256)
