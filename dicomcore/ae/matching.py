"""PS3.4 C.2.2.2 attribute matching: pure functions, no I/O.

Rule 1: one meaning, two engines.  ``matches``/``match_dataset`` decide in
Python; ``to_sql`` says the same thing as a parameterised WHERE clause over
columns filled by ``index_value``/``index_key``.  A test holds them equal on
random data.  No value is ever formatted into SQL text: values are ``?``.

Rule 2: kinds of matching are chosen by VR, as C.2.2.2 does:
- empty key (None, "", [], an empty item): universal (C.2.2.2.3); so is ``*``
  alone, whatever the VR (C.2.2.2.4 note 1; SCUs send it for dates too);
- several values in a key: any may match (C.2.2.2.2 list of UID matching,
  applied to every VR);
- ``*`` and ``?`` are wild cards only for the text VRs of C.2.2.2.4 (never UI,
  DA, TM, DT, numbers, AS);
- DA, TM, DT match by meaning (C.2.2.2.1 note 1), ``-`` makes a range
  (C.2.2.2.5); a partial upper bound covers the end of its precision
  (``-1200`` includes 12:00:59.9, ``-2024`` all of 2024); a DT without an offset
  is taken as UTC; a range whose ends are reversed matches nothing;
- SQ: the key's item matches if all its keys match one candidate item (C.2.2.2.6).

Rule 3: a candidate with no value matches everything: C.2.2.1.2 ("If a C-FIND
SCP manages an entity with a Required Key of zero length, the value is
considered unknown and all matching against the zero length Required Key shall
be considered a successful match"); supported optional keys behave alike
(C.2.2.1.3).  An unparsable candidate date, time or number matches nothing
but universal keys.

Rule 4: PN may be case-insensitive (C.2.2.2.1): both sides are compared
casefolded (``fold``), wild cards included.  Other VRs are case-sensitive.
Trailing empty PN components and groups are not significant (PS3.5 6.2.1).

A key that cannot be understood (a date ``2024-13``, an IS ``1*``) raises
``QueryError`` (status 0xA900: Identifier does not match SOP Class).
"""
from __future__ import annotations

import calendar
import datetime as _dt
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from ..dataset import Dataset, dictionary
from ..dataset.valuerep import format_da, format_dt, format_tm
from ..dataset.vr import VRS, empty_value
from ..errors import DicomError

# Never matched (C.2.2.2, C.4.1.1.3.1): Specific Character Set, Query/Retrieve Level,
# Query/Retrieve View, Timezone Offset From UTC.
NOT_MATCHED = frozenset({0x00080005, 0x00080052, 0x00080053, 0x00080201})
# C.2.2.2.4: the VRs wild cards apply to (all but DA TM DT SL SS US UL FL FD OB OW UN AT
# DS IS AS UI, and the VRs added since, which are binary).
WILDCARD_VRS = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"})
DATE_TIME_VRS = frozenset({"DA", "TM", "DT"})
NUMBER_VRS = frozenset({"IS", "DS", "US", "SS", "UL", "SL", "FL", "FD", "SV", "UV"})
LEVELS = ("PATIENT", "STUDY", "SERIES", "IMAGE")


class QueryError(DicomError):
    """An Identifier that cannot be matched (PS3.4 C.4.1.1.4 status A900)."""

    status = 0xA900


# --- values ----------------------------------------------------------------------------

def fold(text: str) -> str:
    """The case-insensitive form of a PN text (C.2.2.2.1)."""
    return text.casefold()


def normalise_pn(text: str) -> str:
    """PS3.5 6.2.1: trailing empty components and component groups are not significant."""
    groups = [group.rstrip("^ ") for group in str(text).split("=")]
    return "=".join(groups).rstrip("=")


def _clean(value: Any, vr: str) -> Any:
    """One value as matching sees it: text stripped of padding, numbers as they are."""
    if isinstance(value, (bytes, bytearray, int, float)) and not isinstance(value, str):
        return value
    if vr in NUMBER_VRS and not isinstance(value, str):
        return value
    if isinstance(value, (_dt.date, _dt.time)):  # set by hand as Python objects
        value = (format_dt(value) if isinstance(value, _dt.datetime) else
                 format_da(value) if isinstance(value, _dt.date) else format_tm(value))
    text = str(value)
    text = text.rstrip(" \0") if vr in ("ST", "LT", "UT", "UC", "UR") else text.strip(" \0")
    return normalise_pn(text) if vr == "PN" else text


def _values(value: Any, vr: str) -> list:
    """The non-empty values of an element value (several for VM > 1)."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    found = []
    for item in items:
        if item is None:
            continue
        item = _clean(item, vr)
        if item != "" and item != b"":
            found.append(item)
    return found


# --- dates and times: fixed-width text that sorts by meaning -------------------------

_TM = re.compile(r"(\d\d)(\d\d)?(\d\d)?(?:\.(\d{1,6}))?")
_DT_PART = r"\d{4}(?:\d\d(?:\d\d(?:\d\d(?:\d\d(?:\d\d(?:\.\d{1,6})?)?)?)?)?)?(?:[+-]\d{4})?"
_DT = re.compile(r"(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?(?:\.(\d{1,6}))?([+-]\d{4})?")
_RANGE = {"DA": re.compile(r"\s*([\d.]*)\s*-\s*([\d.]*)\s*"),
          "TM": re.compile(r"\s*([\d.:]*)\s*-\s*([\d.:]*)\s*"),
          "DT": re.compile(rf"\s*((?:{_DT_PART})?)\s*-\s*((?:{_DT_PART})?)\s*")}


def sortable(text: str, vr: str, *, ceil: bool = False) -> Optional[str]:
    """A DA, TM or DT value as fixed-width text whose order is the order in time.

    DA -> ``YYYYMMDD``; TM -> ``HHMMSS.FFFFFF``; DT -> ``YYYYMMDDHHMMSS.FFFFFF`` in UTC.
    Missing trailing components take their least value, or with ``ceil`` their
    greatest (the end of the period).  None if ``text`` is not such a value.
    """
    text = text.strip()
    if vr == "DA":
        clean = text.replace(".", "") if len(text) == 10 else text  # ACR-NEMA YYYY.MM.DD
        if len(clean) != 8 or not clean.isdigit():
            return None
        try:
            _dt.date(int(clean[:4]), int(clean[4:6]), int(clean[6:]))
        except ValueError:
            return None
        return clean
    if vr == "TM":
        match = _TM.fullmatch(text.replace(":", ""))
        return _time(*match.groups(), ceil=ceil) if match else None
    if vr == "DT":
        match = _DT.fullmatch(text)
        if not match:
            return None
        return _datetime(*match.groups(), ceil=ceil)
    raise ValueError(f"{vr} is not a date or time VR")


def _time(hh, mm, ss, frac, *, ceil: bool) -> Optional[str]:
    top = "9" if ceil else "0"
    if int(hh) > 23 or int(mm or 0) > 59 or int(ss or 0) > 60:
        return None
    mm = mm or ("59" if ceil else "00")
    ss = ss or ("59" if ceil else "00")
    frac = (frac or "").ljust(6, top)
    return f"{hh}{mm}{ss}.{frac}"


def _datetime(year, month, day, hour, minute, second, frac, offset, *, ceil: bool
              ) -> Optional[str]:
    try:
        y = int(year)
        m = int(month) if month else (12 if ceil else 1)
        last = calendar.monthrange(y, m)[1] if 1 <= m <= 12 else 0
        d = int(day) if day else (last if ceil else 1)
        clock = _time(hour or ("23" if ceil else "00"), minute, second, frac, ceil=ceil)
        if clock is None:
            return None
        moment = _dt.datetime(y, m, d, int(clock[:2]), int(clock[2:4]),
                              min(int(clock[4:6]), 59), int(clock[7:]))
        if offset:
            sign = -1 if offset[0] == "-" else 1
            hours, minutes = int(offset[1:3]), int(offset[3:5])
            if hours > 14 or minutes > 59:
                return None
            moment -= sign * _dt.timedelta(hours=hours, minutes=minutes)
    except (ValueError, OverflowError):
        return None
    return (f"{moment.year:04d}{moment.month:02d}{moment.day:02d}{moment.hour:02d}"
        f"{moment.minute:02d}{moment.second:02d}.{moment.microsecond:06d}")


@dataclass(frozen=True)
class _Range:
    low: Optional[str]
    high: Optional[str]

    def __contains__(self, point: Optional[str]) -> bool:
        return point is not None and (self.low is None or self.low <= point) and (
            self.high is None or point <= self.high)


def _parse_range(key: str, vr: str) -> Optional[_Range]:
    """A range key (C.2.2.2.5) as sortable bounds; None if ``key`` is a single value."""
    if "-" not in key:
        return None
    match = _RANGE[vr].fullmatch(key)
    if not match:
        raise QueryError(f"{vr} range {key!r} is not <value>-<value>")
    low_text, high_text = match.groups()
    low = sortable(low_text, vr) if low_text else None
    high = sortable(high_text, vr, ceil=True) if high_text else None
    if (low_text and low is None) or (high_text and high is None):
        raise QueryError(f"{vr} range {key!r} has a bound that is not a {vr} value")
    return _Range(low, high)


def _single(key: str, vr: str) -> str:
    point = sortable(key, vr)
    if point is None:
        raise QueryError(f"{key!r} is not a {vr} value")
    return point


# --- matching one element --------------------------------------------------------------

def _number(value: Any, vr: str) -> Optional[float]:
    try:
        return int(value) if vr == "IS" else float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _wild(key: str) -> "re.Pattern[str]":
    pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in key)
    return re.compile(pattern, re.DOTALL)


def _predicate(key: Any, vr: str, case_insensitive_pn: bool):
    """A test of one candidate value against one key value."""
    if vr in DATE_TIME_VRS:
        bounds = _parse_range(str(key), vr)
        if bounds is not None:
            return lambda value: sortable(str(value), vr) in bounds
        point = _single(str(key), vr)
        return lambda value: sortable(str(value), vr) == point
    if vr in NUMBER_VRS:
        wanted = _number(key, vr)
        if wanted is None:
            raise QueryError(f"{key!r} is not a {vr} number")
        return lambda value: _number(value, vr) == wanted
    if vr not in WILDCARD_VRS or not isinstance(key, str):
        return lambda value: value == key
    insensitive = case_insensitive_pn and vr == "PN"
    if insensitive:
        key = fold(key)
    if "*" in key or "?" in key:
        regex = _wild(key)
        if insensitive:
            return lambda value: regex.fullmatch(fold(str(value))) is not None
        return lambda value: regex.fullmatch(str(value)) is not None
    if insensitive:
        return lambda value: fold(str(value)) == key
    return lambda value: str(value) == key


def matches(identifier_element_value: Any, candidate_value: Any, vr: str, *,
            case_insensitive_pn: bool = True) -> bool:
    """Does ``candidate_value`` match the key ``identifier_element_value`` (PS3.4 C.2.2.2)?

    Values are element values as a Dataset holds them (str, list, PersonName, DS,
    IS, list[Dataset] for SQ).  See the module rules.
    """
    if vr == "SQ":
        return _match_sequence(identifier_element_value, candidate_value,
                               case_insensitive_pn)
    keys = _values(identifier_element_value, vr)
    if not keys or "*" in keys:
        return True  # C.2.2.2.3 universal matching; "*" (C.2.2.2.4 note 1), for any VR
    tests = [_predicate(key, vr, case_insensitive_pn) for key in keys]
    values = _values(candidate_value, vr)
    if not values:
        return True  # C.2.2.1.2: an unknown value matches
    return any(test(value) for test in tests for value in values)  # C.2.2.2.2, C.2.2.3


def _match_sequence(key: Any, candidate: Any, case_insensitive_pn: bool) -> bool:
    items = [item for item in (key or []) if isinstance(item, Dataset)]
    wanted = [item for item in items if any(e.tag not in NOT_MATCHED for e in item)]
    if not wanted:
        return True  # C.2.2.2.6: no Item Key Attribute: universal
    found = [item for item in (candidate or []) if isinstance(item, Dataset)]
    if not found:
        return True  # unknown
    return all(any(match_dataset(item, cand, case_insensitive_pn=case_insensitive_pn)
                   for cand in found) for item in wanted)


# --- whole identifiers -----------------------------------------------------------------

def _keys(query: Dataset) -> Iterable:
    for elem in query:
        if elem.tag in NOT_MATCHED or elem.tag >> 16 < 0x0008 or not elem.tag & 0xFFFF:
            continue
        yield elem


def time_partner(keyword: str) -> Optional[str]:
    """The TM keyword paired with a DA keyword (StudyDate -> StudyTime), if any."""
    if not keyword.endswith("Date"):
        return None
    partner = keyword[:-4] + "Time"
    return partner if dictionary.tag_for(partner) is not None else None


def _combined(query: Dataset) -> dict[int, tuple[int, _Range]]:
    """C.2.2.2.5 combined datetime matching: date tag -> (time tag, DT-like range)."""
    pairs = {}
    for elem in _keys(query):
        partner = time_partner(elem.keyword) if elem.vr == "DA" else None
        time_tag = dictionary.tag_for(partner) if partner else None
        if time_tag is None or time_tag not in query:
            continue
        date_keys, time_keys = _values(elem.value, "DA"), _values(query.get(time_tag), "TM")
        if len(date_keys) != 1 or len(time_keys) != 1:
            continue
        dates, times = _parse_range(date_keys[0], "DA"), _parse_range(time_keys[0], "TM")
        if dates is None or times is None or (dates.low is None) != (times.low is None) or (
                dates.high is None) != (times.high is None):
            continue  # not the same form of range: matched separately
        low = dates.low + _ceil_time(times.low, False) if dates.low else None
        high = dates.high + _ceil_time(times.high, True) if dates.high else None
        pairs[elem.tag] = (time_tag, _Range(low, high))
    return pairs


def _ceil_time(point: Optional[str], ceil: bool) -> str:
    return point if point is not None else ("235959.999999" if ceil else "000000.000000")


def combined_point(date: Any, time: Any) -> Optional[str]:
    """A candidate date and time as one sortable point (no time: the start of the day)."""
    dates, times = _values(date, "DA"), _values(time, "TM")
    day = sortable(str(dates[0]), "DA") if dates else None
    if day is None:
        return None
    clock = sortable(str(times[0]), "TM") if times else "000000.000000"
    return day + clock if clock is not None else None


def match_dataset(query: Dataset, candidate: Dataset, *, case_insensitive_pn: bool = True,
                  combined_datetime: bool = False) -> bool:
    """Does ``candidate`` match every key of ``query``?

    Query/Retrieve Level, Specific Character Set, Query/Retrieve View and
    Timezone Offset From UTC are not keys.  With ``combined_datetime`` (the
    C.2.2.2.5 extended negotiation), a date range and a time range of the same
    form (StudyDate with StudyTime, ...) match as one datetime range.
    """
    pairs = _combined(query) if combined_datetime else {}
    paired_times = {time_tag for time_tag, _ in pairs.values()}
    for elem in _keys(query):
        if elem.tag in paired_times:
            continue
        if elem.tag in pairs:
            time_tag, bounds = pairs[elem.tag]
            if _values(candidate.get(elem.tag), "DA") and \
                    combined_point(candidate.get(elem.tag), candidate.get(time_tag)) \
                    not in bounds:
                return False
            continue
        if not matches(elem.value, candidate.get(elem.tag), elem.vr,
                       case_insensitive_pn=case_insensitive_pn):
            return False
    return True


def return_keys(query: Dataset, candidate: Dataset) -> Dataset:
    """The response Identifier: every key of ``query`` with the candidate's value.

    Absent values give empty elements (C.4.1.1.3.2 note 2); sequences return
    the matching items with only the requested attributes (C.2.2.2.6), or the
    whole sequence for a universal key.  Query/Retrieve Level is copied; if a
    text value is not ASCII, Specific Character Set is ISO_IR 192 (UTF-8).
    """
    found = Dataset()
    for elem in query:
        if elem.tag == 0x00080005 or elem.tag >> 16 < 0x0008 or not elem.tag & 0xFFFF:
            continue
        if elem.tag in NOT_MATCHED:
            if elem.tag == 0x00080052:  # Query/Retrieve Level is echoed (C.4.1.1.3.2)
                found.add(elem.tag, elem.vr, elem.value)
            continue
        if elem.tag not in candidate:
            found.add(elem.tag, elem.vr, empty_value(elem.vr) if elem.vr in VRS else b"")
            continue
        have = candidate[elem.tag]
        if elem.vr == "SQ":
            found.add(elem.tag, "SQ", _return_items(elem.value, have.value))
        else:
            value = list(have.value) if isinstance(have.value, list) else have.value
            found.add(elem.tag, have.vr, value)
    if _needs_unicode(found):
        found.add(0x00080005, "CS", "ISO_IR 192")
    return found


def _return_items(key: Any, items: Any) -> list:
    items = [item for item in (items or []) if isinstance(item, Dataset)]
    wanted = [item for item in (key or []) if isinstance(item, Dataset) and len(item)]
    if not wanted:
        return [item.copy() for item in items]
    return [return_keys(wanted[0], item) for item in items if match_dataset(wanted[0], item)]


def _needs_unicode(ds: Dataset) -> bool:
    for elem in ds:
        if elem.vr == "SQ":
            if any(_needs_unicode(item) for item in elem.value or []):
                return True
        elif any(isinstance(v, str) and not v.isascii() for v in _values(elem.value, "LO")):
            return True
    return False


# --- the same rules as SQL -------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """How one keyword is stored, for ``to_sql``.

    ``value``: SQL expression holding ``index_value(v, vr, multi)`` ('' when
    absent; with ``multi`` a JSON array).  ``key``: expression holding
    ``index_key(v, vr)``; needed for PN (casefolded), DA TM DT (sortable) and
    numbers.  ``level``: the Query/Retrieve level the attribute belongs to.
    """

    value: str
    level: str
    key: Optional[str] = None
    multi: bool = False


def index_value(value: Any, vr: str, multi: bool = False) -> str:
    """The text a column stores for an element value."""
    parts = [str(v) for v in _values(value, vr)]
    return json.dumps(parts) if multi else "\\".join(parts)


def index_key(value: Any, vr: str) -> Any:
    """The matching key a column stores: casefolded PN, sortable DA/TM/DT, numbers."""
    text = index_value(value, vr)
    if vr == "PN":
        return fold(text)
    if vr in DATE_TIME_VRS:
        return sortable(text, vr) if text else ""
    if vr in NUMBER_VRS:
        return _number(text, vr) if text else None
    return text


def _like(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _glob(key: str) -> str:
    return key.replace("[", "[[]")


def _condition(key: Any, vr: str, expr: str, key_expr: Optional[str],
               case_insensitive_pn: bool, params: list) -> str:
    """SQL for one key value against one stored value (``expr``/``key_expr``)."""
    if vr in DATE_TIME_VRS:
        bounds = _parse_range(str(key), vr)
        if bounds is None:
            params.append(_single(str(key), vr))
            return f"{key_expr} = ?"
        return _between(key_expr, bounds, params)
    if vr in NUMBER_VRS:
        wanted = _number(key, vr)
        if wanted is None:
            raise QueryError(f"{key!r} is not a {vr} number")
        params.append(wanted)
        return f"{key_expr} = ?"
    if vr not in WILDCARD_VRS:
        params.append(str(key))
        return f"{expr} = ?"
    if vr == "PN" and case_insensitive_pn:
        key = fold(str(key))
        if "*" in key or "?" in key:
            params.append(_like(key))
            return f"{key_expr} LIKE ? ESCAPE '\\'"
        params.append(key)
        return f"{key_expr} = ?"
    if "*" in key or "?" in key:
        params.append(_glob(str(key)))
        return f"{expr} GLOB ?"
    params.append(str(key))
    return f"{expr} = ?"


def _between(expr: str, bounds: _Range, params: list) -> str:
    parts = [f"{expr} IS NOT NULL"]
    if bounds.low is not None:
        parts.append(f"{expr} >= ?")
        params.append(bounds.low)
    if bounds.high is not None:
        parts.append(f"{expr} <= ?")
        params.append(bounds.high)
    return " AND ".join(parts)


def to_sql(query: Dataset, level: str, columns: Mapping[str, Column], *,
           case_insensitive_pn: bool = True, combined_datetime: bool = False
           ) -> tuple[str, list]:
    """A WHERE clause (``?`` placeholders) and its parameters for the keys of ``query``
    that ``columns`` index at ``level`` or above; other keys are left to
    ``match_dataset``.  The clause is ``1`` when no key is indexed."""
    depth = LEVELS.index(level)
    clauses: list[str] = []
    params: list = []
    pairs = _combined(query) if combined_datetime else {}
    paired_times = {time_tag: date_tag for date_tag, (time_tag, _) in pairs.items()}

    def usable(tag: int) -> Optional[Column]:
        column = columns.get(dictionary.keyword_for(tag))
        if column is None or LEVELS.index(column.level) > depth or column.multi:
            return None
        return column if column.key is not None else None

    for elem in _keys(query):
        column = columns.get(elem.keyword)
        if column is None or LEVELS.index(column.level) > depth or elem.vr == "SQ":
            continue
        needs_key = elem.vr in DATE_TIME_VRS or elem.vr in NUMBER_VRS or (
            elem.vr == "PN" and case_insensitive_pn)
        if needs_key and column.key is None:
            if column.multi:
                continue  # json_each() values have no key column: left to Python
            raise ValueError(f"column for {elem.keyword} ({elem.vr}) needs a key")
        keys = _values(elem.value, elem.vr)
        if not keys or "*" in keys:
            continue  # universal
        if elem.tag in paired_times:
            continue  # matched with its date below, or in Python: alone it proves nothing
        sub: list = []
        if elem.tag in pairs and usable(pairs[elem.tag][0]) and usable(elem.tag):
            time_tag, bounds = pairs[elem.tag]
            time_column = columns[dictionary.keyword_for(time_tag)]
            point = (f"({column.key} || CASE WHEN {time_column.value} = '' "
                     f"THEN '000000.000000' ELSE {time_column.key} END)")
            clauses.append(f"({column.value} = '' OR ({_between(point, bounds, sub)}))")
        elif column.multi:
            ors = " OR ".join(
                f"({_condition(k, elem.vr, 'value', None, case_insensitive_pn, sub)})"
                for k in keys)
            clauses.append(f"({column.value} = '[]' OR EXISTS "
                           f"(SELECT 1 FROM json_each({column.value}) WHERE {ors}))")
        else:
            # a date paired with a time that is not indexed: the date range alone is
            # implied by the combined one; Python decides the rest.
            ors = " OR ".join(
                "(" + _condition(k, elem.vr, column.value, column.key, case_insensitive_pn,
                                 sub) + ")" for k in keys)
            clauses.append(f"({column.value} = '' OR {ors})")
        params.extend(sub)
    return (" AND ".join(clauses) or "1"), params
