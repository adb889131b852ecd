"""Words in a photo: read with RapidOCR (its PP-OCR models ship inside the wheel, nothing is
downloaded) and compared with marks' word elements by character n-grams.

Chinese characters count one by one and in pairs, Latin words in letter pairs and whole, all
case-folded; two texts are as close as the Dice coefficient of their n-gram sets.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import cache

import numpy as np
from PIL import Image

# OCR reads at most this side: the models are slow on large images and marks are large text.
OCR_SIDE = 640
OCR_MIN_SCORE = 0.6
_ocr_lock = threading.Lock()


@cache
def _engine():
    from rapidocr import RapidOCR

    return RapidOCR(
        params={
            "Global.log_level": "critical",
            "Global.use_cls": False,  # marks in photos are upright
            "Det.limit_type": "max",
            "Det.limit_side_len": OCR_SIDE,
        }
    )


def read_text(image: Image.Image) -> list[str]:
    """The lines of text read in `image`, each read with confidence."""
    rgb = np.asarray(image.convert("RGB"))
    with _ocr_lock:  # one engine, one inference at a time
        result = _engine()(rgb)
    texts = result.txts or ()
    scores = result.scores or ()
    return [text for text, score in zip(texts, scores, strict=False) if score >= OCR_MIN_SCORE]


def _is_cjk(char: str) -> bool:
    return "CJK" in unicodedata.name(char, "")


def normalised(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def grams(text: str) -> frozenset[str]:
    """The n-grams of a text: CJK characters and their pairs, Latin words and letter pairs."""
    found: set[str] = set()
    cjk_run: list[str] = []
    word: list[str] = []

    def close_word() -> None:
        if word:
            joined = "".join(word)
            found.add(joined)
            found.update(joined[i : i + 2] for i in range(len(joined) - 1))
            word.clear()

    for char in normalised(text) + " ":
        if _is_cjk(char):
            close_word()
            if cjk_run:
                found.add(cjk_run[-1] + char)
            cjk_run.append(char)
            found.add(char)
        elif char.isalnum():
            cjk_run.clear()
            word.append(char)
        else:
            cjk_run.clear()
            close_word()
    return frozenset(found)


def dice(left: frozenset[str], right: frozenset[str]) -> float:
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))
