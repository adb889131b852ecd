"""The matters tests' office (two outlets, their staff, a supervisor, an applicant) for reviews."""

from tests.matters.test_staff_queue import office  # noqa: F401
