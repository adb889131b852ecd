"""Image matching against the demo marks, with photos made here from the marks themselves."""

from __future__ import annotations

import random

import pytest

from backend.marks.demo import demo_mark
from backend.marks.schemas import MarkFilters
from backend.marks.service import search_marks
from tests.marks.photos import ALL, DISTORTIONS, distortion_names, photo

pytestmark = pytest.mark.profiles

# Marks of each kind among the demo marks the tests index.
SAMPLE = (3, 17, 42, 101, 233)


def _rank(found, number: str) -> int | None:
    numbers = [match.number for match in found.matches]
    return numbers.index(number) + 1 if number in numbers else None


@pytest.mark.parametrize("distortion", [*DISTORTIONS, ALL])
async def test_a_photographed_mark_is_found_in_the_top_ten(demo_marks: int, distortion: str):
    rng = random.Random(f"{distortion}-1")
    for index in SAMPLE:
        mark = demo_mark(index)
        found = await search_marks(
            photo(mark.image, distortion_names(distortion), rng), MarkFilters(), limit=10
        )
        assert _rank(found, mark.number) is not None, (distortion, index)
