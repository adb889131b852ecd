"""The admin's failed list: /admin/jobs, and trying a job again."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.auth.guards import current_account, request_meta, role_in
from backend.auth.tables import Account
from backend.jobs import service


class FailedJobsController(Controller):
    path = "/admin/jobs"
    guards = [role_in(Account.Role.admin)]

    @get("/")
    async def failed_list(self, request: Request) -> Template:
        return Template(
            "jobs/failed.html",
            context={
                "failed": await service.failed_jobs(),
                "queued": request.app.state.jobs is not None,
                "tried": request.query_params.get("tried", ""),
            },
        )

    @post("/{failed_job_id:int}/again", status_code=303)
    async def try_again(self, request: Request, failed_job_id: FromPath[int]) -> Redirect:
        queue = request.app.state.jobs
        if queue is None:  # embedded: nothing is ever queued, so nothing is on the list
            raise NotFoundException
        tried = await service.try_again(
            failed_job_id,
            queue,
            current_account(request).id,
            request_meta(request),
            request.app.state.auth.clock(),
        )
        if not tried:
            raise NotFoundException
        return Redirect(f"/admin/jobs?tried={failed_job_id}", status_code=303)
