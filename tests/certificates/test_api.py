"""The data interface: API keys, the per-key limit, the audit of every call, the schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.certificates import api_keys
from backend.certificates.tables import ApiCall, Certificate, EvaluationReport
from tests.certificates.holders import bound_record, issue
from tests.people import Person

pytestmark = pytest.mark.profiles


@pytest.fixture
async def key() -> tuple[int, str]:
    row, secret = await api_keys.create_key("测试银行")
    return row.id, secret


@pytest.fixture
async def certificate(person: Person, tmp_path: Path) -> Certificate:
    await person.sign_up("王建国")
    return await issue(person, (await bound_record(person, tmp_path)).number)


def sent(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


async def calls_to(path: str) -> list[ApiCall]:
    return await ApiCall.objects().where(ApiCall.path == path).order_by(ApiCall.id)


async def test_a_certificate_answers_its_status_and_public_facts_to_a_live_key(
    client: httpx.AsyncClient, key: tuple[int, str], certificate: Certificate
) -> None:
    path = f"/api/v1/certificates/{certificate.code}"

    response = await client.get(path, headers=sent(key[1]))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "valid" and body["code"] == certificate.code
    assert body["number"] == certificate.number and body["sha256"] == certificate.sha256
    assert body["verify_url"].endswith(f"/verify/{certificate.code}")
    assert "holder_id" not in body and "pdf_path" not in body
    assert [(c.key_id, c.status) for c in await calls_to(path)] == [(key[0], 200)]


async def test_without_a_key_the_call_is_refused_and_audited(
    client: httpx.AsyncClient, certificate: Certificate
) -> None:
    path = f"/api/v1/certificates/{certificate.code}"

    missing = await client.get(path)
    wrong = await client.get(path, headers=sent("iph_not-a-key"))

    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["detail"] == "send a live API key in the X-API-Key header"
    assert "ApiKey" in missing.headers["www-authenticate"]
    assert certificate.code not in missing.text
    assert [(c.key_id, c.status) for c in await calls_to(path)] == [(None, 401), (None, 401)]


async def test_a_revoked_key_is_refused(
    client: httpx.AsyncClient, key: tuple[int, str], certificate: Certificate
) -> None:
    path = f"/api/v1/certificates/{certificate.code}"
    assert (await client.get(path, headers=sent(key[1]))).status_code == 200

    await api_keys.revoke_key(key[0], dt.datetime.now(dt.UTC))
    response = await client.get(path, headers=sent(key[1]))

    assert response.status_code == 401
    assert [c.status for c in await calls_to(path)] == [200, 401]


async def test_a_key_over_its_limit_gets_429_with_retry_after(
    app: Litestar, client: httpx.AsyncClient, key: tuple[int, str]
) -> None:
    settings = app.state.settings
    app.state.settings = msgspec.structs.replace(settings, api_rate_limit_per_minute=3)
    path = "/api/v1/certificates/ABCD-EFGH-JKLM-NPQR"
    try:
        answers = [await client.get(path, headers=sent(key[1])) for _ in range(5)]
    finally:
        app.state.settings = settings

    assert [a.status_code for a in answers] == [404, 404, 404, 429, 429]
    assert 1 <= int(answers[3].headers["retry-after"]) <= 60
    assert answers[3].json()["status"] == 429
    assert [(c.key_id, c.status) for c in await calls_to(path)][-5:] == [
        (key[0], 404),
        (key[0], 404),
        (key[0], 404),
        (key[0], 429),
        (key[0], 429),
    ]


async def test_one_key_over_its_limit_does_not_stop_another(
    app: Litestar, client: httpx.AsyncClient, key: tuple[int, str]
) -> None:
    other = await api_keys.create_key("另一平台")
    settings = app.state.settings
    app.state.settings = msgspec.structs.replace(settings, api_rate_limit_per_minute=1)
    path = "/api/v1/certificates/ABCD-EFGH-JKLM-NPQR"
    try:
        first = [await client.get(path, headers=sent(key[1])) for _ in range(2)]
        second = await client.get(path, headers=sent(other[1]))
    finally:
        app.state.settings = settings

    assert [a.status_code for a in first] == [404, 429]
    assert second.status_code == 404


async def test_the_evaluation_report_on_file_and_none_on_file(
    client: httpx.AsyncClient, key: tuple[int, str], person: Person, tmp_path: Path
) -> None:
    await person.sign_up()
    with_report = await bound_record(person, tmp_path, kind="utility_model")
    without = await bound_record(person, tmp_path, kind="utility_model")
    invention = await bound_record(person, tmp_path)
    await EvaluationReport(
        record=with_report.id,
        issued_on=dt.date(2022, 1, 5),
        conclusion=EvaluationReport.Conclusion.no_defects_found,
    ).save()

    async def report(number: str) -> httpx.Response:
        return await client.get(f"/api/v1/records/{number}/evaluation-report", headers=sent(key[1]))

    found = (await report(with_report.number)).json()
    none = (await report(without.number)).json()
    not_applicable = (await report(invention.number)).json()
    unknown = await report("201920000000.0")
    anonymous = await client.get(f"/api/v1/records/{with_report.number}/evaluation-report")

    assert found["on_file"] is True and found["conclusion"] == "no_defects_found"
    assert found["issued_on"] == "2022-01-05"
    assert none["applicable"] is True and none["on_file"] is False
    assert none["note"] == "no evaluation report on file for this patent"
    assert not_applicable["applicable"] is False and not_applicable["on_file"] is False
    assert unknown.status_code in {400, 404}
    assert anonymous.status_code == 401


async def test_the_schema_documents_the_key_the_examples_and_the_refusals(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/schema/openapi.json")).json()

    scheme = schema["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-API-Key")
    for path in ("/api/v1/certificates/{code}", "/api/v1/records/{number}/evaluation-report"):
        operation = schema["paths"][path]["get"]
        assert operation["security"] == [{"ApiKey": []}]
        assert {"200", "401", "404", "429"} <= set(operation["responses"])
        assert operation["responses"]["200"]["content"]["application/json"]["examples"]
    # The public record look-up stays open.
    assert "security" not in schema["paths"]["/api/v1/records/{number}"]["get"]


async def test_a_key_is_kept_only_as_its_hash() -> None:
    row, secret = await api_keys.create_key("平台")

    stored = await api_keys.ApiKey.objects().where(api_keys.ApiKey.id == row.id).first()

    assert secret.startswith("iph_") and len(secret) > 40
    assert secret not in (stored.key_hash, stored.prefix) and stored.prefix == secret[:12]
    assert (await api_keys.live_key(secret)).id == row.id


async def test_the_retention_job_drops_calls_older_than_the_audit_period_only() -> None:
    now = dt.datetime.now(dt.UTC)
    old_path, recent_path = "/api/v1/test-retention-old", "/api/v1/test-retention-recent"
    await ApiCall.insert(
        ApiCall(path=old_path, status=200, occurred_at=now - dt.timedelta(days=185)),
        ApiCall(path=recent_path, status=200, occurred_at=now - dt.timedelta(days=183)),
    )

    dropped = await api_keys.purge_calls_older_than(184, now)

    assert dropped >= 1
    assert await calls_to(old_path) == [] and len(await calls_to(recent_path)) == 1
