"""Data element tags: a 32-bit int shown as ``(gggg,eeee)``.

Tags are plain ints everywhere inside dicomcore (dict keys, sort order); ``Tag``
is an ``int`` subclass that only adds parsing and display, so ``Tag(0x00100010)
== 0x00100010`` and either may be used wherever a tag is expected.
"""
from __future__ import annotations

from typing import Union

TagLike = Union[int, tuple, str]

ITEM = 0xFFFEE000
ITEM_DELIMITATION = 0xFFFEE00D
SEQUENCE_DELIMITATION = 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010


class Tag(int):
    """A data element tag.

    Accepts an int, a ``(group, element)`` pair, a keyword (``"PatientName"``)
    or hex text (``"00100010"``, ``"(0010,0010)"``).
    """

    __slots__ = ()

    def __new__(cls, value: TagLike, element: int | None = None) -> "Tag":
        if element is not None:
            return int.__new__(cls, _from_pair(value, element))
        if isinstance(value, int):
            if not 0 <= value <= 0xFFFFFFFF:
                raise ValueError(f"tag {value:#x} is outside 0..0xFFFFFFFF")
            return int.__new__(cls, value)
        if isinstance(value, tuple):
            if len(value) != 2:
                raise ValueError(f"a tag pair needs (group, element), got {value!r}")
            return int.__new__(cls, _from_pair(*value))
        if isinstance(value, str):
            return int.__new__(cls, _from_text(value))
        raise TypeError(f"cannot make a tag from {type(value).__name__}")

    @property
    def group(self) -> int:
        return self >> 16

    @property
    def element(self) -> int:
        return self & 0xFFFF

    @property
    def is_private(self) -> bool:
        # PS3.5 7.8.1: private data elements have an odd group number
        # (groups 0001, 0003, 0005, 0007 and FFFF are not allowed).
        return bool(self >> 16 & 1)

    @property
    def is_private_creator(self) -> bool:
        return self.is_private and 0x0010 <= (self & 0xFFFF) <= 0x00FF

    @property
    def keyword(self) -> str:
        from .dictionary import keyword_for

        return keyword_for(self)

    def __str__(self) -> str:
        return f"({self >> 16:04X},{self & 0xFFFF:04X})"

    def __repr__(self) -> str:
        return f"Tag{self}"


def _from_pair(group: int, element: int) -> int:
    if not (0 <= group <= 0xFFFF and 0 <= element <= 0xFFFF):
        raise ValueError(f"tag ({group:#x},{element:#x}) has a part outside 0..0xFFFF")
    return group << 16 | element


def _from_text(text: str) -> int:
    stripped = text.strip().strip("()").replace(",", "")
    if len(stripped) == 8:
        try:
            return int(stripped, 16)
        except ValueError:
            pass
    from .dictionary import tag_for

    found = tag_for(text)
    if found is None:
        raise ValueError(f"{text!r} is neither a tag nor a known keyword")
    return found


def tag_str(tag: int) -> str:
    """``(gggg,eeee)`` for a plain int, without building a Tag."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
