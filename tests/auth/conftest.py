"""Auth tests use the `person` and `registered` fixtures of tests/conftest.py."""

from tests.people import ORIGIN, RP_ID, Person, csrf_token_of

__all__ = ["ORIGIN", "RP_ID", "Person", "csrf_token_of"]
