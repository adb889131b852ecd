"""People with a granted record bound to them, for the certificate tests."""

from __future__ import annotations

from pathlib import Path

from backend.certificates.tables import Certificate
from backend.inquiries.importer import import_file
from backend.inquiries.tables import Record
from tests.inquiries.test_records import new_patent_number, record_line, write_lines
from tests.people import Person

BINDING_CODE = "K7Q2M9XA"


async def bound_record(person: Person, folder: Path, **overrides) -> Record:
    """A new record imported and bound to `person` with its binding code."""
    number = overrides.pop("number", None) or new_patent_number(
        type_digit="2" if overrides.get("kind") == "utility_model" else "1"
    )
    line = record_line(number, **overrides)
    result = await import_file(write_lines(folder / f"{number}.jsonl", [line]))
    assert result.created == 1, result.problems
    response = await person.post_form("/my/records/bind", {"number": number, "code": BINDING_CODE})
    assert response.status_code == 200, response.text
    return await Record.objects().where(Record.number == number).first()


async def issue(person: Person, number: str) -> Certificate:
    response = await person.post_form("/my/certificates/issue", {"number": number})
    assert response.status_code == 200, response.text
    code = response.history[0].headers["location"].partition("#certificate-")[2]
    return await Certificate.objects().where(Certificate.code == code).first()
