"""Migrate a fault-test cluster's database and make what its tests need; prints it as JSON.

Run by Cluster.prepare() with the cluster's environment (`python -m tests.faults.seed`): the
tables use the engine piccolo_conf makes from IPH_DATABASE_URL, and the web app is not imported.
"""

from __future__ import annotations

import asyncio
import json

from piccolo.apps.migrations.commands.forwards import run_forwards

from backend.outlets.tables import Outlet
from backend.reviews import service as reviews


async def main() -> dict:
    result = await run_forwards(app_name="all")
    assert result.success, result.message
    # Filing sends to an acceptance window of the applicant's province (tests/matters).
    await Outlet(
        name="故障测试受理窗口", type="acceptance_window", province_code="110000", source="test"
    ).save()
    rated = Outlet(
        name="故障测试服务窗口", type="acceptance_window", province_code="120000", source="test"
    )
    await rated.save()
    return {"outlet": rated.id, "desk_code": await reviews.desk_code_for(rated.id, "1号窗口")}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
