"""Patent evaluation reports (专利权评价报告): whether one is on file for a record.

Only utility-model and design patents have them (Patent Law art. 66). The office's own report
system is outside this app: reports are rows of EvaluationReport, entered as data; the demo
data gives two of the demo applicant's utility models one each. No row means none on file.
"""

from __future__ import annotations

import datetime as dt

from backend.certificates.schemas import EvaluationReportAnswer
from backend.certificates.tables import EvaluationReport
from backend.inquiries import service as inquiries
from backend.inquiries.tables import Record, RecordBinding

EVALUATED_KINDS = {Record.Kind.utility_model, Record.Kind.design}


async def evaluation_report(number: str) -> EvaluationReportAnswer:
    """Raises inquiries.InvalidNumber or inquiries.RecordNotFound as a record look-up does."""
    record = await inquiries.record_by_number(number)
    if record.kind not in EVALUATED_KINDS:
        return EvaluationReportAnswer(
            number=record.number,
            kind=record.kind,
            applicable=False,
            on_file=False,
            note="evaluation reports are made only for utility-model and design patents",
        )
    report = (
        await EvaluationReport.objects()
        .where(EvaluationReport.record == record.id)
        .order_by(EvaluationReport.issued_on, ascending=False)
        .first()
    )
    if report is None:
        return EvaluationReportAnswer(
            number=record.number,
            kind=record.kind,
            applicable=True,
            on_file=False,
            note="no evaluation report on file for this patent",
        )
    return EvaluationReportAnswer(
        number=record.number,
        kind=record.kind,
        applicable=True,
        on_file=True,
        issued_on=report.issued_on,
        conclusion=report.conclusion,
        note="the latest evaluation report on file",
    )


async def load_demo_reports(demo_applicant_id: int) -> int:
    """Reports for the first two (by number) of the demo applicant's granted utility models."""
    bound = RecordBinding.select(RecordBinding.record).where(
        RecordBinding.account == demo_applicant_id
    )
    models = (
        await Record.objects()
        .where(
            Record.id.is_in(bound)
            & (Record.kind == Record.Kind.utility_model)
            & Record.granted_on.is_not_null()
        )
        .order_by(Record.number)
        .limit(2)
    )
    conclusions = (
        EvaluationReport.Conclusion.no_defects_found,
        EvaluationReport.Conclusion.some_claims_defective,
    )
    created = 0
    for record, conclusion in zip(models, conclusions, strict=False):
        if await EvaluationReport.exists().where(EvaluationReport.record == record.id):
            continue
        issued_on = record.granted_on + dt.timedelta(days=120)
        await EvaluationReport(record=record.id, issued_on=issued_on, conclusion=conclusion).save()
        created += 1
    return created
