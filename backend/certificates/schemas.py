"""Forms and answers of the certificate pages and of the data interface."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
Status = Literal["valid", "revoked", "superseded"]
Conclusion = Literal["no_defects_found", "some_claims_defective", "all_claims_defective"]


class IssueForm(msgspec.Struct):
    number: str = ""


class ShareForm(msgspec.Struct):
    days: str = ""


class PublicCertificate(msgspec.Struct, frozen=True, kw_only=True):
    """What anyone may know of a certificate (GET /api/v1/certificates/{code}, /verify)."""

    code: str
    status: Status
    current_code: str | None = msgspec.field(default=None)  # superseded: the one that replaced it
    kind: str
    number: str
    title: str
    holder: str  # as the public record names its holders
    granted_on: dt.date
    issued_at: dt.datetime
    sha256: str  # of the signed PDF as issued
    verify_url: str
    revoked_at: dt.datetime | None = None
    revoked_reason: str | None = None  # the office's words, as typed

    @property
    def issued_on(self) -> dt.date:
        """The day of issue in Beijing, where the office is."""
        return self.issued_at.astimezone(BEIJING).date()

    @property
    def revoked_on(self) -> dt.date | None:
        return self.revoked_at.astimezone(BEIJING).date() if self.revoked_at else None


class ShareLinkView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    state: Literal["active", "expired", "withdrawn"]


class MyCertificate(msgspec.Struct, frozen=True, kw_only=True):
    certificate: PublicCertificate
    shares: list[ShareLinkView]


class EligibleRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A bound record, whether it can have a certificate, and its current one if any."""

    number: str
    kind: str
    title: str
    granted: bool
    current: PublicCertificate | None


class RevokeForm(msgspec.Struct):
    """The office's revocation; any other field sent is ignored."""

    reason: str = ""


class OfficeCertificate(msgspec.Struct, frozen=True, kw_only=True):
    """A certificate as the office's revocation page lists it."""

    certificate: PublicCertificate
    holder_gone: bool  # the holder's account was deleted: nobody to tell


class MyCertificates(msgspec.Struct, frozen=True, kw_only=True):
    records: list[EligibleRecord]
    certificates: list[MyCertificate]  # newest first, superseded and revoked ones too


class UploadCheck(msgspec.Struct, frozen=True, kw_only=True):
    """What the check of an uploaded PDF found, against one certificate."""

    outcome: Literal["issued_file", "other_office_file", "altered", "unsigned", "refused"]
    sha256: str = ""
    problem: str = ""


class EvaluationReportAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """Whether a patent evaluation report is on file for a record (GET .../evaluation-report)."""

    number: str
    kind: str
    applicable: bool  # only utility-model and design patents have evaluation reports
    on_file: bool
    issued_on: dt.date | None = None
    conclusion: Conclusion | None = None
    note: str


class ApiProblem(msgspec.Struct, frozen=True):
    """An error of the data interface."""

    status: int
    title: str
    detail: str
    request_id: str = ""
