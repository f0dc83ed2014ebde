"""Text from users, made safe to store and to hand to any file format."""

from __future__ import annotations

import unicodedata

# Line breaks and tabs are part of ordinary text; every other control or format character
# (NUL, escape codes, zero-width spaces) is invisible noise that breaks XLSX and CSV readers.
_KEPT = frozenset("\n\t")


def printable(text: str) -> str:
    """``text`` without control and format characters, except line breaks and tabs."""
    return "".join(
        character
        for character in text
        if character in _KEPT or unicodedata.category(character) not in {"Cc", "Cf"}
    )
