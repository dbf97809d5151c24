"""Python types for the string VRs whose text carries more than a str.

DS and IS are numbers that remember the text they were read from, so a value
read and written back is byte-identical even when ``float(text)`` would print
differently ("1.50", "+7", "  3").  PersonName exposes the PS3.5 6.2.1
component groups.  DA/TM/DT stay ``str`` (a partial date such as "2024" is
valid DICOM and no datetime can hold it); the helpers below convert on request.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # datetime is imported by the helpers that need it (import time)
    import datetime as _dt


class DS(float):
    """Decimal String: a float that keeps its original text for re-encoding."""

    __slots__ = ("original",)

    def __new__(cls, value, original: Optional[str] = None) -> "DS":
        if isinstance(value, str):
            # Leading spaces are legal padding (PS3.5 Table 6.2-1); they are kept in the
            # original so a value re-encodes byte for byte, and dropped from str().
            text = value
            self = float.__new__(cls, text.strip(" \0"))
            self.original = text
            return self
        self = float.__new__(cls, value)
        self.original = original
        return self

    def to_text(self) -> str:
        """The text to encode: the original if any, else the shortest form <= 16 chars."""
        if self.original is not None:
            return self.original
        return format_ds(float(self))

    def __str__(self) -> str:
        return self.to_text().strip(" \0")

    def __repr__(self) -> str:
        return f"DS({self.to_text()!r})"

    def __reduce__(self):
        return (DS, (self.to_text(),))


class IS(int):
    """Integer String: an int that keeps its original text for re-encoding."""

    # int subclasses cannot have __slots__ with fields; a __dict__ it is.

    def __new__(cls, value, original: Optional[str] = None) -> "IS":
        if isinstance(value, str):
            text = value  # spaces kept, as for DS
            try:
                self = int.__new__(cls, text.strip(" \0"))
            except ValueError:
                # Tolerated on read: "1.0" written where an integer belongs.
                number = float(text.strip(" \0"))
                if number != int(number):
                    raise
                self = int.__new__(cls, int(number))
            self.original = text
            return self
        self = int.__new__(cls, value)
        self.original = original
        return self

    def to_text(self) -> str:
        return self.original if self.original is not None else str(int(self))

    def __str__(self) -> str:
        return self.to_text().strip(" \0")

    def __repr__(self) -> str:
        return f"IS({self.to_text()!r})"

    def __reduce__(self):
        return (IS, (self.to_text(),))


def format_ds(number: float) -> str:
    """Shortest decimal text for ``number`` that fits DS's 16 characters."""
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"DS cannot hold {number!r}")
    text = repr(number)
    if text.endswith(".0"):
        text = text[:-2]
    if len(text) <= 16:
        return text
    for digits in range(15, 0, -1):
        text = f"{number:.{digits}g}"
        if len(text) <= 16:
            return text
    raise ValueError(f"{number!r} does not fit in 16 characters")


_COMPONENTS = ("family_name", "given_name", "middle_name", "name_prefix", "name_suffix")


class PersonName(str):
    """A PN value: up to three ``=``-separated groups of five ``^``-separated components.

    PS3.5 6.2.1: groups are alphabetic, ideographic and phonetic; trailing
    empty components and groups may be omitted.
    """

    __slots__ = ()

    @classmethod
    def from_parts(cls, family_name: str = "", given_name: str = "", middle_name: str = "",
                   name_prefix: str = "", name_suffix: str = "") -> "PersonName":
        parts = [family_name, given_name, middle_name, name_prefix, name_suffix]
        while parts and not parts[-1]:
            parts.pop()
        return cls("^".join(parts))

    @property
    def groups(self) -> tuple[str, str, str]:
        found = self.split("=")
        found += [""] * (3 - len(found))
        return (found[0], found[1], found[2])

    @property
    def alphabetic(self) -> str:
        return self.groups[0]

    @property
    def ideographic(self) -> str:
        return self.groups[1]

    @property
    def phonetic(self) -> str:
        return self.groups[2]

    def components(self, group: int = 0) -> tuple[str, ...]:
        """The five components of one group (0 alphabetic, 1 ideographic, 2 phonetic)."""
        found = self.groups[group].split("^")
        found += [""] * (5 - len(found))
        return tuple(found[:5])

    family_name = property(lambda self: self.components()[0])
    given_name = property(lambda self: self.components()[1])
    middle_name = property(lambda self: self.components()[2])
    name_prefix = property(lambda self: self.components()[3])
    name_suffix = property(lambda self: self.components()[4])


# --- DA / TM / DT helpers -------------------------------------------------------------

_TM = re.compile(r"^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$")
_DT = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?$")


def parse_da(text: str) -> _dt.date:
    """DA ``YYYYMMDD`` (the ACR-NEMA ``YYYY.MM.DD`` form is tolerated) to a date."""
    import datetime as _dt

    clean = text.strip().replace(".", "")
    if len(clean) != 8 or not clean.isdigit():
        raise ValueError(f"{text!r} is not a DA value (YYYYMMDD)")
    return _dt.date(int(clean[:4]), int(clean[4:6]), int(clean[6:]))


def format_da(value: _dt.date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def parse_tm(text: str) -> _dt.time:
    """TM ``HHMMSS.FFFFFF`` with trailing components optional (``HH:MM:SS`` tolerated)."""
    import datetime as _dt

    match = _TM.match(text.strip().replace(":", ""))
    if not match:
        raise ValueError(f"{text!r} is not a TM value (HHMMSS.FFFFFF)")
    hh, mm, ss, frac = match.groups()
    second = min(int(ss or 0), 59)  # a leap second (60) has no datetime.time
    return _dt.time(int(hh), int(mm or 0), second, int((frac or "0").ljust(6, "0")))


def format_tm(value: _dt.time) -> str:
    text = f"{value.hour:02d}{value.minute:02d}{value.second:02d}"
    return text + (f".{value.microsecond:06d}" if value.microsecond else "")


def parse_dt(text: str) -> _dt.datetime:
    """DT ``YYYYMMDDHHMMSS.FFFFFF&ZZXX``; null trailing components default to their minimum."""
    import datetime as _dt

    match = _DT.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a DT value")
    year, month, day, hour, minute, second, frac, offset = match.groups()
    tz = None
    if offset:
        sign = -1 if offset[0] == "-" else 1
        delta = _dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        tz = _dt.timezone(sign * delta)
    return _dt.datetime(int(year), int(month or 1), int(day or 1), int(hour or 0),
                        int(minute or 0), min(int(second or 0), 59),
                        int((frac or "0").ljust(6, "0")), tzinfo=tz)


def format_dt(value: _dt.datetime) -> str:
    text = value.strftime("%Y%m%d%H%M%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    if value.utcoffset() is not None:
        minutes = int(value.utcoffset().total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        text += f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return text
