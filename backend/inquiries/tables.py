from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.auth.tables import Account


class Record(Table, help_text="A patent or trademark application as the office holds it."):
    class Kind(StrEnum):
        invention = "invention"
        utility_model = "utility_model"
        design = "design"
        trademark = "trademark"

    number = Varchar(length=20, unique=True, index=True, help_text="Canonical number.")
    kind = Varchar(length=20, choices=Kind, index=True)
    title = Varchar(length=300, help_text="Title of the patent or the mark's name (search.py).")
    mark_image = Varchar(length=300, default="", help_text="Static path of the mark's image.")
    nice_classes = Varchar(length=100, default="", help_text="Comma-separated Nice classes.")
    mark_kind = Varchar(
        length=12, default="", help_text="Trademarks: word, figurative or combined ('' unknown)."
    )
    vienna_codes = Varchar(
        length=200, default="", help_text="Comma-separated Vienna codes of figurative elements."
    )
    mark_words = Varchar(
        length=300, default="", help_text="The mark's word elements, '; '-separated."
    )
    filing_date = Date()
    granted_on = Date(null=True, default=None, help_text="Grant (patent) or registration date.")
    fees_paid_year = Integer(
        default=0, help_text="Patents: the last patent year whose annual fee is paid."
    )
    applicants = Varchar(length=500, help_text="Applicants, '; '-separated (search.py).")
    agent = Varchar(length=200, default="")
    stage = Varchar(length=30, index=True, help_text="Plain stage code (stages.py).")
    official_status = Varchar(length=60, help_text="The office's own status string.")
    binding_code_hash = Varchar(
        length=64, default="", help_text="SHA-256 of number:code, the code the office issued."
    )
    updated_at = Timestamptz(default=TimestamptzNow())


class RecordSearchTerm(
    Table,
    help_text="The search index (search.py): one row per record and each character, pair of "
    "characters or word of its title or applicants; indexed on (term, filing_date, record).",
):
    term = Varchar(
        length=32,
        help_text="Case-folded: a character, an adjacent pair, a word, or the pair across a space.",
    )
    filing_date = Date(help_text="The record's, so a term's records come newest filing first.")
    record = ForeignKey(references=Record, on_delete=OnDelete.cascade, index=True)


class SearchTerm(
    Table, help_text="How many records hold a search term: a search reads its rarest term."
):
    term = Varchar(length=32, unique=True)
    records = Integer(default=0, help_text="Records holding it; may run high, never low.")


class StatusEvent(Table, help_text="One step of a record's timeline."):
    record = ForeignKey(references=Record, on_delete=OnDelete.cascade, index=True)
    occurred_on = Date()
    stage = Varchar(length=30)
    official_status = Varchar(length=60)
    note = Varchar(length=500, default="")
    document = Varchar(length=200, default="", help_text="Name of the notice issued, if any.")


class RecordBinding(Table, help_text="A record bound to the account of its holder."):
    class Status(StrEnum):
        bound = "bound"
        pending = "pending"  # waiting for staff approval

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    record = ForeignKey(references=Record, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=10, choices=Status, default=Status.bound)
    created_at = Timestamptz(default=TimestamptzNow())
