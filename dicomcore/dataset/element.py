"""Data elements: decoded (``DataElement``) and not yet decoded (``RawElement``).

A dataset read from bytes holds ``RawElement``s: the value bytes and where they
came from.  Only when a value is asked for is it decoded into a ``DataElement``
(pydicom's lesson: most values of most files are never looked at).  An
untouched raw element is written back byte for byte.

A value left in the file (``read(..., defer_size=n)``) is met as a
``DeferredElement``: a DataElement whose tag, VR, length and offset are known
and whose ``value`` is read and decoded on first access only, so iterating,
``ds[tag]``, dumping and copying a 1 GB file never load its Pixel Data.
"""
from __future__ import annotations

from typing import Any, Optional

from .pydicom_names import install as _install_pydicom_spellings
from .tag import Tag, tag_str
from .vr import FIXED_SIZE, VRS


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
    def VR(self) -> str:
        """pydicom's spelling of ``vr``."""
        return self.vr

    @VR.setter
    def VR(self, vr: str) -> None:
        self.vr = vr

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
    def is_private(self) -> bool:
        """PS3.5 7.8: an odd group (pydicom's ``elem.is_private``)."""
        return self.tag.is_private

    @property
    def is_retired(self) -> bool:
        from .dictionary import is_retired

        return is_retired(self.tag)

    @property
    def is_empty(self) -> bool:
        """No value (VM 0), as pydicom's ``elem.is_empty``."""
        return self.VM == 0

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

    def head(self, n: int) -> bytes:
        """The first ``n`` value bytes, reading only those if deferred."""
        if self.value is None:
            return self.source.read(self.value_start, min(n, self.length), self.tag)
        return self.value[:n]

    def __repr__(self) -> str:
        return f"RawElement({tag_str(self.tag)} {self.vr} length={self.length})"


_install_pydicom_spellings(DataElement, "DataElement")  # elem.repval -> the dicomcore way
_VALUE = DataElement.value  # the slot DataElement keeps its value in


class DeferredElement(DataElement):
    """An element whose value is still in the file: tag, VR, length and offset, no value.

    ``value`` reads and decodes the bytes on first access, through the dataset it
    was read into (its byte order, character sets and VR choices), and keeps them;
    from then on it is an ordinary DataElement.  Until then ``VM`` of binary and
    number VRs comes from the length alone, and ``peek()`` reads a few bytes for
    display, so nothing that only describes the element loads it.
    """

    __slots__ = ("_raw", "_owner")

    def __init__(self, raw: RawElement, vr: str, owner: Any):
        # DataElement.__init__ would assign ``value``, i.e. load it: set the slots instead.
        self.tag = Tag(raw.tag)
        self.vr = vr
        self.undefined_length = raw.undefined_length
        self.offset = raw.offset
        self.length = raw.length
        self._raw: Optional[RawElement] = raw
        self._owner = owner  # the Dataset it was read into; dropped once loaded
        # No bytes kept for as_read(): they stay in the file, and a loaded value that is
        # written again is encoded from the value (a deferred value is seldom text).
        self._read = self._decoded = None

    @property  # type: ignore[override]
    def value(self) -> Any:
        if self._raw is not None:
            decoded = self._owner._decode_detached(self._raw)
            self.vr = decoded.vr
            _VALUE.__set__(self, decoded.value)
            self._raw = self._owner = None  # the dataset <-> element cycle ends here
        return _VALUE.__get__(self)

    @value.setter
    def value(self, value: Any) -> None:
        self._raw = self._owner = None
        _VALUE.__set__(self, value)

    @property
    def is_loaded(self) -> bool:
        """Has the value been read from the file (or set)?"""
        return self._raw is None

    def raw_for(self, little: bool, charsets: tuple) -> Optional[RawElement]:
        """The element as read, if its value is still in the file and was read in this
        byte order and these character sets (an encoder may then copy its bytes)."""
        owner = self._owner
        if self._raw is None or owner._little != little or owner._charsets != charsets:
            return None
        return self._raw

    @property
    def VM(self) -> int:
        if self._raw is not None:
            kind = VRS[self.vr].kind if self.vr in VRS else "bytes"
            if kind in ("bytes", "words"):
                return 1 if self.length else 0
            size = FIXED_SIZE.get(self.vr)
            if size:  # numbers and tags: one value per ``size`` bytes
                return self.length // size
        return DataElement.VM.fget(self)  # text: the values must be read to be counted

    def peek(self, nbytes: int) -> Any:
        """The value of the first ``nbytes`` bytes (whole values of fixed-size VRs only),
        decoded as ``value`` would be; reads just those bytes while the value is deferred.
        For text VRs, whose prefix is no value, the whole value."""
        if self._raw is None or self.vr not in FIXED_SIZE:
            return self.value
        size = FIXED_SIZE[self.vr]
        raw = self._raw
        head = raw.head(min(nbytes, raw.length) // size * size)
        decoded = self._owner._decode_detached(RawElement(raw.tag, self.vr, head, raw.offset,
                                                          len(head)))
        if decoded.vr != self.vr:  # decoding chose another VR: a prefix may not be a value
            return self.value
        return decoded.value

    def __repr__(self) -> str:
        if self._raw is None:
            return DataElement.__repr__(self)
        return f"DataElement({tag_str(self.tag)} {self.vr} (deferred, {self.length} bytes))"
