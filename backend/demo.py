"""Demo data for `make run`: deterministic, and loading it twice adds nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from backend.auth import service as auth_service
from backend.auth.tables import Account
from backend.business_register.service import load_demo_entities
from backend.certificates.evaluation import load_demo_reports
from backend.geo_indications.authorised_users import load_demo_users
from backend.geo_indications.service import load_seed as load_gi_seed
from backend.guides.service import import_guides
from backend.inquiries.demo import load_demo_records
from backend.marks.demo import DEMO_MARK_COUNT, load_demo_marks
from backend.matters.demo import load_demo_matters
from backend.outlets.importer import load_seed_outlets

DEMO_ACCOUNTS: tuple[tuple[str, str, Account.Role], ...] = (
    ("applicant@demo.iph.example", "张三 (demo applicant)", Account.Role.applicant),
    ("staff@demo.iph.example", "李四 (demo staff)", Account.Role.staff),
    ("supervisor@demo.iph.example", "王五 (demo supervisor)", Account.Role.supervisor),
    ("admin@demo.iph.example", "赵六 (demo admin)", Account.Role.admin),
)


async def load_demo_data(
    today: dt.date | None = None, marks_dir: Path | None = None, mark_count: int = DEMO_MARK_COUNT
) -> int:
    """Returns how many rows were created. `marks_dir`: where demo mark images go; with it,
    `mark_count` demo marks of the image search are drawn, stored and indexed too."""
    created = 0
    for email, name, role in DEMO_ACCOUNTS:
        created += await auth_service.ensure_account(email, name, role)
    applicant = await Account.objects().where(Account.email == DEMO_ACCOUNTS[0][0]).first()
    today = today or dt.datetime.now(dt.UTC).date()
    created += await load_demo_records(applicant.id, today, marks_dir)
    if marks_dir is not None and mark_count:
        created += await load_demo_marks(mark_count, marks_dir)
    created += await load_demo_reports(applicant.id)  # after the records they are about
    created += (await import_guides()).new_versions
    created += await load_gi_seed()
    created += await load_demo_users()  # after the products they belong to
    created += await load_seed_outlets()
    staff = await Account.objects().where(Account.email == DEMO_ACCOUNTS[1][0]).first()
    created += await load_demo_matters(applicant.id, staff.id, today)  # after the outlets
    created += await load_demo_entities()
    return created
