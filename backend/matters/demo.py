"""Demo matters for `make run`: the demo applicant's filings at the demo staff member's outlet,
in several states (one overdue), so the staff queue has work in it. Made through the service,
dated with `now=`; each says in its answers that it is demo data. Loading twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets

import msgspec

from backend.business_register.service import demo_rows
from backend.matters import service
from backend.matters.answers import REGISTER_CHECK, RegisterCheck
from backend.matters.tables import Matter
from backend.matters.workflow import Action, Reason
from backend.outlets.service import assign_staff
from backend.outlets.tables import Outlet

DEMO_NOTE = {"demo": "演示数据，并非真实申请 (demo data, not a real application)"}
# (type, days before today it was submitted, the office's actions after it, a day apart).
DEMO_MATTERS: tuple[tuple[str, int, tuple[Action, ...]], ...] = (
    ("bibliographic-change", 30, (Action.accept,)),  # 10 working days: overdue
    ("fee-reduction-request", 1, ()),
    ("restoration-request", 6, (Action.accept, Action.request_correction)),
    ("evaluation-report-request", 3, (Action.accept,)),
)
HOLDER = demo_rows()[0]  # a demo entity of the business register
ANSWERS = {
    "bibliographic-change": {
        "holder_kind": "enterprise",
        "credit_code": HOLDER["credit_code"],
        # As the filing keeps it when the register holds the code (matters/register_lookup.py).
        REGISTER_CHECK: msgspec.to_builtins(
            RegisterCheck(
                credit_code=HOLDER["credit_code"],
                outcome="matched",
                name=HOLDER["name"],
                address=HOLDER["address"],
                is_demo=True,
            )
        ),
        "change_kind": "address",
        "address_after": HOLDER["address"],
    },
    "fee-reduction-request": {"fees": "annual_fee", "joint": "single", "holder_kind": "individual"},
}
# The seed's outlets are real ones and none is an acceptance window, the outlet type most matter
# types go to: the demo has one of its own, said to be made up.
DEMO_WINDOW = {
    "name": "演示业务受理窗口（演示数据）",
    "type": Outlet.Type.acceptance_window,
    "province_code": "330000",
    "prefecture_code": "330100",
    "province_name": "浙江省",
    "prefecture_name": "杭州市",
    "source": "demo data: backend/matters/demo.py",
    "note": "演示数据，并非真实的服务网点 (demo data, not a real outlet)",
}
MISSING = Reason(missing=("恢复权利请求费的缴费凭证 (proof of the restoration fee paid)",))


async def load_demo_matters(applicant_id: int, staff_id: int, today: dt.date) -> int:
    """The demo matters, and the demo staff member put at their outlet; how many matters."""
    if await Matter.exists().where(Matter.applicant == applicant_id):
        return 0
    if not await Outlet.exists().where(Outlet.name == DEMO_WINDOW["name"]):
        await Outlet(**DEMO_WINDOW).save()
    outlet = await service.outlet_for(service.matter_type(DEMO_MATTERS[0][0]))
    await assign_staff(staff_id, outlet)
    created = 0
    for code, days_ago, actions in DEMO_MATTERS:
        if await service.outlet_for(service.matter_type(code)) != outlet:
            continue  # handled elsewhere: not in this staff member's queue
        draft = await service.start_matter(applicant_id, code)
        at = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(9), dt.UTC)
        answers = {**ANSWERS.get(code, {}), **DEMO_NOTE}
        key = f"demo-{secrets.token_hex(8)}"
        await service.submit_matter(draft.reference, applicant_id, key, answers, now=at)
        for step, action in enumerate(actions, start=1):
            reason = MISSING if action == Action.request_correction else None
            when = at + dt.timedelta(days=step)
            await service.act(draft.reference, staff_id, action, reason, now=when)
        created += 1
    return created
