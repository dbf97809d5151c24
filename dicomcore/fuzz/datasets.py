"""hypothesis strategies for valid datasets: every VR, nested sequences in both
length forms, private blocks and character sets.

Values are drawn in the form the decoder gives back (stripped text, DS/IS
from their text, OW bytes in little endian...), so a round trip through any
transfer syntax must return an equal dataset.
"""
from __future__ import annotations

import string
from functools import lru_cache

from hypothesis import strategies as st

from ..dataset import Dataset, dictionary
from ..dataset.valuerep import DS, IS, PersonName, format_ds

# Character sets and what each can always encode, for text drawn in them.
CHARSETS = {
    (): string.ascii_letters + string.digits + " .-_^",
    ("ISO_IR 100",): "ÄÖÜäöüßéèçñÅåØøÆæ" + string.ascii_letters,
    ("ISO_IR 192",): "中文한국어日本語Ελληνικάрусский" + string.ascii_letters,
    ("ISO_IR 144",): "Русскийтекст" + string.ascii_letters,
    ("GB18030",): "王小东中文" + string.ascii_letters,
}

# Standard tags usable in every syntax: one VR, not a command, meta or delimiter.
_EXCLUDED_GROUPS = {0x0000, 0x0002, 0x0004, 0xFFFE}


@lru_cache(maxsize=None)
def _tags_by_vr() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for pattern, entry in dictionary.iter_registry():
        if "x" in pattern or " or " in entry.vr or entry.vr in ("NONE", ""):
            continue
        tag = int(pattern, 16)
        if tag >> 16 in _EXCLUDED_GROUPS or tag & 0xFFFF == 0 or tag == 0x00080005:
            continue
        if tag in (0x7FE00010,):
            continue
        found.setdefault(entry.vr, []).append(tag)
    return found


def _text(alphabet: str, min_size: int = 0, max_size: int = 16) -> st.SearchStrategy[str]:
    inner = st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)
    return inner.map(lambda s: s.strip(" ")).filter(lambda s: "  " not in s or True)


def _multi(values: st.SearchStrategy, single_only: bool = False) -> st.SearchStrategy:
    if single_only:
        return values
    return st.one_of(values, st.lists(values, min_size=2, max_size=4))


def value_for(vr: str, charsets: tuple = ()) -> st.SearchStrategy:
    """Values of one VR, in the form a decoder returns them."""
    alphabet = CHARSETS.get(charsets, CHARSETS[()]).replace("^", "").replace("\\", "")
    digits = string.digits
    if vr == "AE":
        return _multi(_text(string.ascii_uppercase + digits + "_", 1, 16))
    if vr == "AS":
        return _multi(st.builds(lambda n, u: f"{n:03d}{u}", st.integers(0, 999),
                                st.sampled_from("DWMY")))
    if vr == "CS":
        return _multi(_text(string.ascii_uppercase + digits + "_", 0, 16))
    if vr == "DA":
        return _multi(st.dates().map(lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}"))
    if vr == "TM":
        return _multi(st.times().map(lambda t: f"{t.hour:02d}{t.minute:02d}{t.second:02d}"))
    if vr == "DT":
        return _multi(st.datetimes().map(lambda d: d.strftime("%Y%m%d%H%M%S")))
    if vr == "UI":
        return _multi(st.lists(st.integers(0, 10**9).map(str), min_size=2, max_size=6)
                      .map(lambda parts: "1." + ".".join(parts)))
    if vr == "UR":
        return _text(string.ascii_letters + digits + ":/.?=&", 0, 40)
    if vr == "DS":
        numbers = st.floats(allow_nan=False, allow_infinity=False, width=64,
                            min_value=-1e15, max_value=1e15).map(lambda f: DS(format_ds(f)))
        return _multi(numbers)
    if vr == "IS":
        return _multi(st.integers(-2**31, 2**31 - 1).map(lambda n: IS(str(n))))
    if vr in ("SH", "LO", "UC"):
        return _multi(_text(alphabet, 0, 16 if vr == "SH" else 64))
    if vr in ("ST", "LT", "UT"):
        return _text(alphabet + "\\\r\n", 0, 200)
    if vr == "PN":
        component = _text(alphabet.replace("=", ""), 0, 12).map(lambda s: s.strip())
        name = st.lists(component, min_size=1, max_size=5).map(
            lambda parts: PersonName("^".join(parts).rstrip("^")))
        return _multi(name)
    numeric = {"US": (0, 0xFFFF), "SS": (-0x8000, 0x7FFF), "UL": (0, 2**32 - 1),
               "SL": (-2**31, 2**31 - 1), "SV": (-2**63, 2**63 - 1), "UV": (0, 2**64 - 1)}
    if vr in numeric:
        low, high = numeric[vr]
        return _multi(st.integers(low, high))
    if vr in ("FL", "FD"):
        return _multi(st.floats(allow_nan=False, width=32 if vr == "FL" else 64))
    if vr == "AT":
        from ..dataset.tag import Tag
        return _multi(st.integers(0, 0xFFFFFFFF).map(Tag))
    sizes = {"OB": 2, "UN": 2, "OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
    if vr in sizes:
        size = sizes[vr]
        return st.integers(0, 16).flatmap(
            lambda n: st.binary(min_size=n * size, max_size=n * size))
    raise ValueError(vr)


ALL_VRS = ("AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "OB", "OD",
           "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SS", "ST", "SV", "TM", "UC", "UI", "UL",
           "UN", "UR", "US", "UT", "UV")


@st.composite
def datasets(draw, charsets: tuple | None = None, depth: int = 2,
             max_elements: int = 8) -> Dataset:
    """A valid dataset: standard elements of every VR, private blocks, sequences."""
    if charsets is None:
        charsets = draw(st.sampled_from(sorted(CHARSETS)))
    ds = Dataset()
    if charsets and depth == 2:
        ds.add(0x00080005, "CS", list(charsets) if len(charsets) > 1 else charsets[0])
    tags = _tags_by_vr()
    for vr in draw(st.lists(st.sampled_from(ALL_VRS), max_size=max_elements)):
        if vr == "UN":
            continue  # UN only as private data below (a known tag reads back as its VR)
        tag = draw(st.sampled_from(tags[vr]))
        ds.add(tag, vr, draw(value_for(vr, charsets)))
    if draw(st.booleans()):
        group = draw(st.sampled_from([0x0009, 0x0011, 0x0029, 0x7FDF]))
        creator = draw(_text(string.ascii_uppercase + " ", 1, 16))
        block = ds.private_block(group, creator, create=True)
        for offset in draw(st.sets(st.integers(0, 0xFF), max_size=3)):
            block.add(offset, "UN", draw(value_for("UN")))
    if depth > 0 and draw(st.booleans()):
        seq_tag = draw(st.sampled_from(tags["SQ"]))
        items = draw(st.lists(datasets(charsets, depth - 1, max(2, max_elements // 2)),
                              max_size=3))
        for item in items:
            object.__setattr__(item, "undefined_length", draw(st.booleans()))
        elem = ds.add(seq_tag, "SQ", items)
        elem.undefined_length = draw(st.booleans())
    return ds
