"""The README stays honest: every setting is documented, and the two commands are there."""

from __future__ import annotations

import pytest

from backend.settings import PROJECT_ROOT, SETTING_DOCS, Settings

README = (PROJECT_ROOT / "README.md").read_text()


@pytest.mark.parametrize("field", Settings.__struct_fields__)
def test_every_setting_is_in_the_readme_configuration_table(field: str) -> None:
    assert f"| `IPH_{field.upper()}` |" in README
    assert field in SETTING_DOCS


def test_readme_starts_with_the_two_commands() -> None:
    head = README[: README.index("## Configuration")]
    assert "make run" in head and "make test" in head


def test_settings_are_read_and_typed_from_the_environment() -> None:
    settings = Settings.from_env({"IPH_PORT": "9000", "IPH_REDIS_URL": "redis://x:6379/1"})
    assert settings.port == 9000
    assert settings.redis_url == "redis://x:6379/1"
    assert Settings.from_env({}).port == 8000
