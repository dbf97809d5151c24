"""Data elements: decoded (``DataElement``) and not yet decoded (``RawElement``).

A dataset read from bytes holds ``RawElement``s: the value bytes and where they
came from.  Only when a value is asked for is it decoded into a ``DataElement``
(pydicom's lesson: most values of most files are never looked at).  An
untouched raw element is written back byte for byte.
"""
from __future__ import annotations

from typing import Any, Optional

from .tag import Tag, tag_str


_new_tag = int.__new__


class DataElement:
    """One element: ``tag``, ``vr`` and Python ``value``.

    ``undefined_length`` records how a sequence (or encapsulated Pixel Data)
    was delimited, so it is written back the same way.  ``offset`` is where
    the element's header started in the stream it was read from (None if it
    was made in memory); ``length`` the value length read there.

    An element decoded from a string or text value (or from UN) keeps the bytes
    it was read from (``read``): while its value is the one decoded from them,
    those bytes are what an encoder writes (``as_read``).  Decoding is not one-to-one (padding,
    spaces around CS values, ISO 2022 escapes, "1.50" and "1.5"), so this is how
    a value that was only looked at is written back byte for byte.
    """

    __slots__ = ("tag", "vr", "value", "undefined_length", "offset", "length", "_read",
                 "_decoded")

    def __init__(self, tag: int, vr: str, value: Any, *, undefined_length: bool = False,
                 offset: Optional[int] = None, length: Optional[int] = None,
                 read: Optional["RawElement"] = None):
        # Tag() of a plain int in range, without its look-ups: decoding makes one per value
        self.tag = _new_tag(Tag, tag) if tag.__class__ is int and 0 <= tag <= 0xFFFFFFFF \
            else Tag(tag)
        self.vr = vr
        self.value = value
        self.undefined_length = undefined_length
        self.offset = offset
        self.length = length
        # ``read``: the element ``value`` was decoded from (with the VR ``vr``); kept with
        # the value as decoded (a tuple of the items for a list), see as_read().
        self._read = read
        self._decoded = value if read is None or value.__class__ is not list else tuple(value)

    def as_read(self) -> Optional[tuple[str, bytes]]:
        """(VR, value bytes) the element was read with, if its value is still the one
        decoded from them (the very object; for a list, the very items), else None."""
        read = self._read
        if read is None or read.value is None:
            return None
        value, decoded = self.value, self._decoded
        if value.__class__ is list:
            if decoded.__class__ is not tuple or len(value) != len(decoded) or \
                    any(a is not b for a, b in zip(value, decoded)):
                return None
        elif value is not decoded:
            return None
        return read.vr, read.value

    def inherit_read(self, source: "DataElement") -> None:
        """A copy of ``source`` (its value copied) keeps the bytes ``source`` was read from."""
        if source.as_read() is not None and self.vr == source.vr and self.value == source.value:
            value = self.value
            self._read = source._read
            self._decoded = value if value.__class__ is not list else tuple(value)

    @property
    def keyword(self) -> str:
        from .dictionary import keyword_for

        return keyword_for(self.tag)

    @property
    def name(self) -> str:
        from .dictionary import name_of

        if self.tag.is_private_creator:
            return "Private Creator"
        return name_of(self.tag) or ("Private tag" if self.tag.is_private else "Unknown")

    @property
    def VM(self) -> int:
        value = self.value
        if value is None or value == "" or value == b"":
            return 0
        if self.vr == "SQ":
            return 1
        return len(value) if isinstance(value, list) else 1

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataElement):
            return NotImplemented
        return self.tag == other.tag and self.vr == other.vr and self.value == other.value

    def __repr__(self) -> str:
        shown = repr(self.value)
        if len(shown) > 70:
            shown = shown[:67] + "..."
        return f"DataElement({tag_str(self.tag)} {self.vr} {shown})"


class RawElement:
    """An element as read: value bytes not yet decoded.

    ``value`` is None when the value was deferred (``defer_size``): ``source``
    then reads it from the file on first access.
    """

    __slots__ = ("tag", "vr", "value", "offset", "length", "undefined_length", "source",
                 "value_start")

    def __init__(self, tag: int, vr: str, value: Optional[bytes], offset: int, length: int,
                 undefined_length: bool = False, source: Any = None, value_start: int = -1):
        self.tag = tag
        self.vr = vr
        self.value = value
        self.offset = offset
        self.length = length
        self.undefined_length = undefined_length
        self.source = source
        self.value_start = value_start

    def data(self) -> bytes:
        """The value bytes, read from the source if deferred."""
        if self.value is None:
            return self.source.read(self.value_start, self.length, self.tag)
        return self.value

    def __repr__(self) -> str:
        return f"RawElement({tag_str(self.tag)} {self.vr} length={self.length})"
