"""Filing a matter from the phone: start a draft, one screen a question group, review, send.

Every screen is a plain form that works without JavaScript; with htmx the same handlers answer
with the screen's fragment (`_step.html`, `_review.html`) and it is swapped in place. Nothing of
a screen is kept while any of its answers is wrong (answers.check_group). Send runs under the
idempotency key the review screen was rendered with, so a retry or a double tap makes one matter
and gets the same answer; the same key with other answers is a 422.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.auth.guards import current_account, signed_in
from backend.core import i18n
from backend.core.htmx import VARY_ON_HTMX, wants_fragment
from backend.core.i18n import lazy_marker as N_
from backend.idempotency.service import InvalidKey, KeyReused
from backend.inquiries import service as inquiries
from backend.matters import answers as rules
from backend.matters import files, notices, service
from backend.matters import wording as words
from backend.matters.attachments import (
    MAX_ATTACHMENT_BYTES,
    Refusal,
    Refused,
    attachments_dir,
    store_attachment,
    upload_chunks,
)
from backend.matters.catalogue import Localised, Matter, QuestionGroup, catalogue
from backend.matters.service import MatterNotFound, MatterView
from backend.matters.workflow import Action, Actor, Status
from backend.outlets.staff import actor_for

EDITABLE = (Status.draft, Status.correction_requested)
REFUSALS = {
    Refusal.TOO_LARGE: N_(
        "The file is larger than 10 MB: choose a smaller one or take the photo again."
    ),
    Refusal.EMPTY: N_("The file is empty: choose it again."),
    Refusal.UNSUPPORTED_TYPE: N_("This file is not a PDF, JPEG, PNG or HEIC photo."),
    Refusal.CORRUPT: N_(
        "This file is damaged or incomplete: take the photo again or choose another file."
    ),
    Refusal.TOO_MANY_PIXELS: N_(
        "This image has too many pixels: take the photo again at a lower resolution."
    ),
}
NO_STORE = {"Cache-Control": "private, no-store", "Vary": VARY_ON_HTMX}


def in_locale():
    """`t(text)` in the templates: a catalogue text in the person's language."""
    locale = i18n.current_locale()
    return lambda text: text.of(locale) if isinstance(text, Localised) else ""


def refusal_message(refusal: Refusal) -> str:
    return i18n.gettext(REFUSALS[refusal])


async def _own_matter(request: Request, reference: str) -> tuple[MatterView, Matter]:
    matter, kind, _ = await _own_matter_and_actor(request, reference)
    return matter, kind


async def _own_matter_and_actor(
    request: Request, reference: str
) -> tuple[MatterView, Matter, Actor]:
    account = current_account(request)
    actor = await actor_for(account)
    try:
        matter = await service.matter_for(reference, actor)
    except MatterNotFound as error:
        raise NotFoundException from error
    if matter.applicant_id != account.id:  # staff reading it: their console, not these pages
        raise NotFoundException
    return matter, catalogue().get(matter.type_code), actor


async def _bound_records(request: Request, field_kind: str) -> list[Any]:
    rows = await inquiries.my_records(current_account(request), dt.date.today())
    if field_kind == "trademark":
        return [row for row in rows if row.kind == "trademark"]
    if field_kind == "any":
        return rows
    return [row for row in rows if row.kind != "trademark"]


def _step_path(reference: str, group: QuestionGroup) -> str:
    return f"/my/matters/{reference}/steps/{group.key}"


class StartController(Controller):
    path = "/matters"
    guards = [signed_in]

    @get("/{code:str}/new", name="matter-new")
    async def new(self, code: FromPath[str]) -> Template:
        kind = catalogue().get(code)
        if kind is None:
            raise NotFoundException
        return Template("matters/new.html", context={"matter": kind, "t": in_locale()})

    @post("/{code:str}/new", status_code=303)
    async def start(self, request: Request, code: FromPath[str]) -> Redirect:
        kind = catalogue().get(code)
        if kind is None:
            raise NotFoundException
        draft = await service.start_matter(current_account(request).id, kind.code)
        return Redirect(_step_path(draft.reference, kind.questions[0]), status_code=303)


class FilingController(Controller):
    path = "/my/matters/{reference:str}"
    guards = [signed_in]

    @get("/steps/{group_key:str}")
    async def step(
        self, request: Request, reference: FromPath[str], group_key: FromPath[str]
    ) -> Template | Redirect:
        matter, kind = await _own_matter(request, reference)
        if matter.status not in EDITABLE:
            return Redirect(notices.matter_link(reference), status_code=303)
        return await _render_step(request, matter, kind, group_key, {}, {})

    @post("/steps/{group_key:str}", status_code=303, request_max_body_size=4 * MAX_ATTACHMENT_BYTES)
    async def save_step(
        self, request: Request, reference: FromPath[str], group_key: FromPath[str]
    ) -> Template | Redirect:
        form = await request.form()
        if refused := _made_by_someone_else(request, form):
            return refused
        matter, kind = await _own_matter(request, reference)
        if matter.status not in EDITABLE:
            return Redirect(notices.matter_link(reference), status_code=303)
        groups = rules.steps(kind, matter.answers)
        group = next((g for g in groups if g.key == group_key), None)
        if group is None:
            raise NotFoundException
        typed = {key: value for key, value in form.items() if isinstance(value, str)}
        record_field = next((f for f in group.fields if f.kind == "record_number"), None)
        bound = await _bound_records(request, record_field.record_kind) if record_field else []
        salt = rules.identity_salt(request.app.state.settings.resolved_secret_key())
        keep, problems = rules.check_group(
            group, typed, matter.answers, bound_numbers=[row.number for row in bound], salt=salt
        )
        if not problems:
            problems = await _store_uploads(request, matter, kind, group, form)
        if problems:
            return await _render_step(request, matter, kind, group_key, typed, problems, 400)
        account_id = current_account(request).id
        register = request.app.state.business_register
        updated = await service.save_answers(reference, account_id, keep, register=register)
        later = rules.steps(kind, updated.answers)
        index = [g.key for g in later].index(group.key)
        if index + 1 < len(later):
            return Redirect(_step_path(reference, later[index + 1]), status_code=303)
        return Redirect(f"/my/matters/{reference}/review", status_code=303)

    @get("/review")
    async def review(self, request: Request, reference: FromPath[str]) -> Template | Redirect:
        matter, kind = await _own_matter(request, reference)
        if matter.status not in EDITABLE:
            return Redirect(notices.matter_link(reference), status_code=303)
        return await _render_review(request, matter, kind, {}, secrets.token_urlsafe(24), False)

    @post("/send", status_code=303)
    async def send(self, request: Request, reference: FromPath[str]) -> Template | Redirect:
        form = await request.form()
        if refused := _made_by_someone_else(request, form):
            return refused
        matter, kind, actor = await _own_matter_and_actor(request, reference)
        key = str(form.get("idempotency_key") or "")
        signed = (
            kind.current_commitment is not None
            and form.get("commitment") == kind.current_commitment.version
        )
        if matter.status in EDITABLE:
            attached = {row.document_code for row in await files.attachments_of_matter(matter)}
            problems = rules.missing_for_send(kind, matter.answers, attached, signed)
            if problems:
                return await _render_review(request, matter, kind, problems, key, signed, 400)
        version = kind.current_commitment.version if signed else None
        locale = notices.chosen_locale(current_account(request))

        async def tell(moved: MatterView) -> bool:
            return await notices.tell_applicant(request.app.state.notify, moved, locale=locale)

        try:
            if matter.status == Status.correction_requested:
                await tell(await service.act(reference, matter.applicant_id, Action.resubmit))
            else:
                await service.submit_matter(
                    reference,
                    matter.applicant_id,
                    key,
                    matter.answers,
                    version,
                    tell=tell,
                    as_read=(matter, actor),
                )
        except KeyReused:
            return _sent_with_other_answers(reference)
        except InvalidKey as error:
            raise HTTPException(status_code=400, detail="idempotency key") from error
        except (service.ActionRefused, service.ChangedMeanwhile):
            # Sent before, or by another tab with its own key while this one was on its way.
            return Redirect(notices.matter_link(reference), status_code=303)
        return Redirect(f"{notices.matter_link(reference)}?sent=1", status_code=303)


def _made_by_someone_else(request: Request, form: Any) -> Template | None:
    """A screen or a send kept on a phone (matters.js) names the account it was made under: sent
    while another person is signed in there, it is refused with a 409 that tells matters.js to
    keep it for its maker, where the 404 of another's matter would have it dropped."""
    made_under = form.get("for_account")
    if made_under is None or str(made_under) == str(current_account(request).id):
        return None
    refused = {**NO_STORE, "X-Matter-Refused": "other-person"}
    return Template("matters/other_person.html", status_code=409, headers=refused)


def _sent_with_other_answers(reference: str) -> Template:
    """The same idempotency key with other answers: a stale or copied form, nothing done."""
    message = i18n.gettext(
        "This form was already sent with other answers, so nothing was sent this time. "
        "Open the matter to see what the office has."
    )
    context = {"message": message, "link": notices.matter_link(reference)}
    return Template("matters/sent_other.html", context=context, status_code=422, headers=NO_STORE)


async def _store_uploads(
    request: Request, matter: MatterView, kind: Matter, group: QuestionGroup, form: Any
) -> dict[str, str]:
    """Each file chosen on this screen checked and stored; a refusal stores nothing of that file."""
    problems: dict[str, str] = {}
    root = attachments_dir(request.app.state.settings)
    locale = i18n.current_locale()
    for field in group.fields:
        upload = form.get(field.key)
        if field.kind != "file" or not isinstance(upload, UploadFile) or not upload.filename:
            continue
        stored = await store_attachment(upload_chunks(upload), root=root, filename=upload.filename)
        if isinstance(stored, Refused):
            problems[field.key] = f"{field.label.of(locale)}: {refusal_message(stored.reason)}"
            continue
        await files.attach(matter.reference, matter.applicant_id, field.document, stored)
    attached = {
        row.document_code
        for row in await files.attachments_of(matter.reference, matter.applicant_id)
    }
    replaceable = {d.code for d in kind.documents if d.commitment_may_replace}
    for field in rules.asked_fields(kind, group, matter.answers):
        needed = field.kind == "file" and field.required and field.document not in replaceable
        if needed and field.document not in attached and field.key not in problems:
            problems[field.key] = rules.required_message(field)
    return problems


async def _render_step(
    request: Request,
    matter: MatterView,
    kind: Matter,
    group_key: str,
    typed: dict[str, str],
    problems: dict[str, str],
    status_code: int = 200,
) -> Template:
    groups = rules.steps(kind, matter.answers)
    index = next((i for i, g in enumerate(groups) if g.key == group_key), None)
    if index is None:
        raise NotFoundException
    group = groups[index]
    record_field = next((f for f in group.fields if f.kind == "record_number"), None)
    values = typed or {
        key: value for key, value in matter.answers.items() if isinstance(value, str | int)
    }
    checked = rules.checked_in_register(kind, matter.answers)
    context = {
        "matter": matter,
        "kind": kind,
        "group": group,
        "index": index,
        "total": len(groups),
        "back": _step_path(matter.reference, groups[index - 1])
        if index
        else f"/matters/{kind.code}",
        "action": _step_path(matter.reference, group),
        "answers": matter.answers,
        "values": values,
        "errors": problems,
        "bound": await _bound_records(request, record_field.record_kind) if record_field else [],
        "attached": {
            row.document_code: row
            for row in await files.attachments_of(matter.reference, matter.applicant_id)
        },
        "visible": {
            f.key: (
                rules.asked(f.only_if, matter.answers)
                or (f.only_if and f.only_if.field in {g.key for g in group.fields})
            )
            and not (f.kind == "file" and f.document in checked)
            for f in group.fields
        },
        **_register_lines(kind, group, matter.answers, values),
        "other": rules.OTHER_RECORD,
        "t": in_locale(),
    }
    template = "matters/_step.html" if wants_fragment(request) else "matters/step.html"
    return Template(template, context=context, status_code=status_code, headers=NO_STORE)


def _register_lines(
    kind: Matter, group: QuestionGroup, answers: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    """What the screen says of the business register: a line beside the credit code (what it
    said of the code shown) and beside each field still holding what it filled in; a notice on
    the screen of the documents its match stands for."""
    check = rules.register_check(kind, answers)
    lines: dict[str, str] = {}
    notice = ""
    if check is not None:
        filled = rules.register_values(kind, answers)
        from_register = i18n.gettext("From the business register. Change it if it is not right.")
        for field in group.fields:
            if field.kind == "credit_code" and values.get(field.key) == check.credit_code:
                lines[field.key] = words.register_sentence(check)
            elif field.key in filled and values.get(field.key) == filled[field.key]:
                lines[field.key] = from_register
        replaceable = {d.code for d in kind.documents if d.register_may_replace}
        if any(f.kind == "file" and f.document in replaceable for f in group.fields):
            notice = (
                i18n.gettext(
                    "%(name)s was checked in the business register, so no business licence or "
                    "registration certificate is asked for here."
                )
                % {"name": check.name}
                if check.matched
                else words.register_sentence(check)
            )
    return {"register": check, "register_lines": lines, "register_notice": notice}


async def _render_review(
    request: Request,
    matter: MatterView,
    kind: Matter,
    problems: dict[str, str],
    key: str,
    signed: bool,
    status_code: int = 200,
) -> Template:
    groups = rules.steps(kind, matter.answers)
    rows = [
        (
            group,
            [
                (field, rules.shown(field, matter.answers.get(field.key)))
                for field in rules.asked_fields(kind, group, matter.answers)
                if field.kind != "file"
            ],
        )
        for group in groups
    ]
    attached = await files.attachments_of(matter.reference, matter.applicant_id)
    documents = [d for d in kind.documents if rules.asked(d.only_if, matter.answers)]
    checked = rules.checked_in_register(kind, matter.answers)
    register = words.register_context(kind, matter.answers)
    context = {
        "matter": matter,
        "kind": kind,
        "rows": rows,
        "groups": groups,
        "documents": documents,
        "attached": {row.document_code: row for row in attached},
        "replaceable": [d for d in documents if d.commitment_may_replace and d.code not in checked],
        "checked": {code: words.register_checked(register["register"]) for code in checked},
        **register,
        "commitment": kind.current_commitment,
        "signed": signed,
        "key": key,
        "errors": problems,
        "step_path": lambda group: _step_path(matter.reference, group),
        "t": in_locale(),
    }
    template = "matters/_review.html" if wants_fragment(request) else "matters/review.html"
    return Template(template, context=context, status_code=status_code, headers=NO_STORE)
