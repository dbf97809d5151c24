"""The data dictionary: what PS3.6 and PS3.7 say about a tag.

Rules of this module:

* Tags are plain ints, ``0xGGGGEEEE``. Every look-up is total: unknown tags give
  ``None`` / ``''`` / ``'UN'`` rather than raising, because decoders meet unknown
  and private tags all the time and must carry on.
* The registry text (``_elements.py``, generated) is loaded on the first look-up, not
  at import, so ``import dicomcore`` stays cheap for tools that never consult it.
* ``entry()`` resolves, in order: the registry's own tags; group length (gggg,0000);
  private groups (odd); repeating groups (50xx, 60xx, 7Fxx, 1000xxx0, 002031xx...).
  Private groups come before repeating ones so that (6001,0010) is a private creator,
  not an overlay attribute.
"""
from __future__ import annotations

from itertools import repeat
from typing import Iterator, NamedTuple


class DictEntry(NamedTuple):
    """One registry row. ``vr`` keeps alternatives as written ("US or SS", "OB or OW"):
    which one applies depends on other elements (Pixel Representation, Bits Allocated),
    so only the decoder can choose. Items and delimiters have VR "NONE"."""

    vr: str
    vm: str
    keyword: str
    name: str
    retired: bool


# PS3.5 7.8.1: (gggg,0010-00FF) in a private group reserve blocks; their value is the
# creator's name, always LO.
PRIVATE_CREATOR = DictEntry("LO", "1", "PrivateCreator", "Private Creator", False)
# PS3.5 7.2: (gggg,0000) is the Group Length of any group. Retired except in the
# groups where the registry lists it by name (0000 command, 0002 file meta).
GROUP_LENGTH = DictEntry("UL", "1", "GenericGroupLength", "Group Length", True)

# Filled on first use. Rows are parsed one at a time, when first looked up: indexing
# ~5,000 rows costs ~2 ms, parsing them all up front would cost several times that.
_rows: dict[int, str] = {}  # plain tag -> its registry row, unparsed
_entries: dict[int, DictEntry] = {}  # plain tags parsed so far (bounded by the registry)
_repeating: dict[int, dict[int, DictEntry]] = {}  # mask -> {tag & mask: entry}
_keywords: dict[str, int] = {}


def _parse(row: str) -> DictEntry:
    _tag, vr, vm, name, keyword, retired = row.split("\t")
    return DictEntry(vr, vm, keyword, name, retired == "Y")


def _load() -> dict[int, str]:
    """Index the generated text; return the plain-tag index.

    Each table is built whole and then bound to its global, so a thread racing this
    sees either an empty table (and builds again) or a complete one.
    """
    global _rows, _repeating
    from . import _elements  # deferred: see the module docstring

    repeating: dict[int, dict[int, DictEntry]] = {}
    for row in _elements.REPEATING_TSV.splitlines():
        pattern = row[:8]
        mask = int("".join("0" if c == "x" else "F" for c in pattern), 16)
        repeating.setdefault(mask, {})[int(pattern.replace("x", "0"), 16)] = _parse(row)
    _repeating = repeating
    lines = _elements.ELEMENTS_TSV.splitlines()
    rows = dict(zip(map(int, [line[:8] for line in lines], repeat(16)), lines))
    _rows = rows
    return rows


def entry(tag: int) -> DictEntry | None:
    """The dictionary entry for ``tag``, or None if the standard does not define it
    (including private data elements, whose meaning only their creator knows)."""
    found = _entries.get(tag)
    if found is not None:
        return found
    row = (_rows or _load()).get(tag)
    if row is not None:
        found = _entries[tag] = _parse(row)
        return found
    group, elem = tag >> 16, tag & 0xFFFF
    if elem == 0:
        return GROUP_LENGTH
    if group & 1:
        return PRIVATE_CREATOR if is_private_creator(tag) else None
    for mask, table in _repeating.items():
        found = table.get(tag & mask)
        if found is not None:
            return found
    return None


def keyword_for(tag: int) -> str:
    """The keyword of ``tag`` ('' if unknown or if the registry gives none)."""
    e = entry(tag)
    return e.keyword if e is not None else ""


def tag_for(keyword: str) -> int | None:
    """The tag with this exact keyword, or None.

    A repeating-group keyword gives its first tag: OverlayData -> 0x60003000,
    EscapeTriplet (1000,xxx0) -> 0x10000010, since (1000,0000) is a group length;
    RowsForNthOrderCoefficients (0028,04x0) -> 0x00280410, since (0028,0400) is
    another element's.
    The synthetic keywords PrivateCreator and GenericGroupLength name no single tag
    and give None.
    """
    return (_keywords or _keyword_index()).get(keyword)


def _keyword_index() -> dict[str, int]:
    global _keywords
    rows = _rows or _load()
    keywords = {}
    for tag, row in rows.items():
        keyword = row.split("\t", 5)[4]
        if keyword:  # six retired elements have none
            keywords[keyword] = tag
    for mask, table in _repeating.items():
        free = ~mask & 0xFFFFFFFF
        step = free & -free  # the lowest 'x' digit of the pattern
        for value, e in table.items():
            # A repeating keyword names the first tag of its pattern that is its own:
            # not (gggg,0000), a Group Length (PS3.5 7.2), so 1000xxx0 starts at
            # (1000,0010); not a tag the registry lists by itself: 002804x0 starts at
            # (0028,0410), since (0028,0400) is Transform Label.
            for _ in range(16):
                if (value & 0xFFFF or step > 0xFFFF) and value not in rows:
                    break
                value += step
            keywords[e.keyword] = value
    _keywords = keywords
    return keywords


def vr_of(tag: int) -> str:
    """The VR of ``tag``; 'UN' if unknown, which is what PS3.5 6.2.2 says an unknown
    element is when it must be written with an explicit VR."""
    e = entry(tag)
    return e.vr if e is not None else "UN"


def vm_of(tag: int) -> str:
    """The value multiplicity ('1', '1-n', '2-2n', ...), '' if unknown."""
    e = entry(tag)
    return e.vm if e is not None else ""


def name_of(tag: int) -> str:
    """The registry's name ("Patient's Name"), '' if unknown."""
    e = entry(tag)
    return e.name if e is not None else ""


def is_retired(tag: int) -> bool:
    """True if the registry marks ``tag`` retired (unknown tags are not)."""
    e = entry(tag)
    return e is not None and e.retired


def is_private(tag: int) -> bool:
    """PS3.5 7.8: private data elements have an odd group number.

    The odd groups 0001-0007 and FFFF are forbidden rather than private; they still
    count here, since a reader has to treat them as private (unknown) either way.
    """
    return bool((tag >> 16) & 1)


def _is_private_group(group: int) -> bool:
    # PS3.5 7.8.1: private groups are odd, but not 0001, 0003, 0005, 0007 or FFFF.
    return bool(group & 1) and 0x0008 < group < 0xFFFF


def is_private_creator(tag: int) -> bool:
    """PS3.5 7.8.1: (gggg,0010)-(gggg,00FF) in a private group are private creators."""
    return _is_private_group(tag >> 16) and 0x0010 <= (tag & 0xFFFF) <= 0x00FF


def private_block(tag: int) -> int | None:
    """The private creator tag that reserves ``tag``, or None if ``tag`` is not a
    private data element (creators themselves and (gggg,0000-0FFF) included).

    PS3.5 7.8.1: creator (gggg,00xx) reserves the block (gggg,xx00)-(gggg,xxFF).
    """
    group, elem = tag >> 16, tag & 0xFFFF
    if not _is_private_group(group) or elem < 0x1000:
        return None
    return (group << 16) | (elem >> 8)


def iter_registry() -> Iterator[tuple[str, DictEntry]]:
    """Every registry row as (tag, entry), tag spelled as in PS3.6 ('00100010',
    '60xx3000'): plain tags in tag order, then the repeating ones."""
    from . import _elements

    for text in (_elements.ELEMENTS_TSV, _elements.REPEATING_TSV):
        for row in text.splitlines():
            yield row[:8], _parse(row)
