"""Every keyword of the registry resolves through the Dataset API (issue #12 point 13):
set, get, ``in`` and ``del`` by keyword, for all of data-elements.tsv, and the
dictionary's keyword table is the registry's."""
from __future__ import annotations

from pathlib import Path

import pytest

from dicomcore import Dataset, dictionary
from dicomcore.dataset.element import DataElement, DeferredElement

# PS3.6 as the standard gives it (shared/dicom-standard, beside the repository).
REGISTRY = Path(__file__).resolve().parents[1] / "data" / "standard" / "data-elements.tsv"

# Items and delimiters (VR "NONE") are structure, not elements: they cannot be set.
DELIMITERS = {"Item", "ItemDelimitationItem", "SequenceDelimitationItem"}


def _registry() -> dict[str, tuple[str, str]]:
    """keyword -> (tag pattern as PS3.6 writes it, VR), from the standard's own table."""
    rows: dict[str, tuple[str, str]] = {}
    if not REGISTRY.exists():
        return rows
    for line in REGISTRY.read_text().splitlines():
        if line.startswith("#") or line.startswith("tag\t"):
            continue
        tag, vr, _vm, _name, keyword, _retired = line.split("\t")
        if keyword:
            rows[keyword] = (tag, vr)
    return rows


ROWS = _registry()
assert ROWS, f"no registry rows in {REGISTRY}"


def _first_tag(pattern: str) -> int:
    """The tag a repeating keyword names: the first of its pattern that is neither a
    Group Length (gggg,0000; PS3.5 7.2) nor listed in the registry on its own."""
    if "x" not in pattern:
        return int(pattern, 16)
    plain = {p for p, _vr in ROWS.values() if "x" not in p}
    digits = [i for i, c in enumerate(pattern) if c == "x"]
    for n in range(16 ** len(digits)):
        text = list(pattern)
        for position, i in enumerate(reversed(digits)):
            text[i] = "0123456789ABCDEF"[n >> 4 * position & 0xF]
        candidate = "".join(text)
        if candidate[4:] != "0000" and candidate not in plain:
            return int(candidate, 16)
    raise AssertionError(pattern)


_VALUES = {"AT": 0x00100010, "SQ": [], "FL": 1.5, "FD": 2.5}


def _value(vr: str):
    vr = vr.split(" or ")[0]
    if vr in _VALUES:
        return _VALUES[vr]
    if vr in ("US", "SS", "UL", "SL", "SV", "UV"):
        return 7
    if vr in ("OB", "OW", "OF", "OL", "OD", "OV", "UN"):
        return b"\x01\x02\x03\x04\x05\x06\x07\x08"
    if vr in ("DS", "IS"):
        return "12"
    return "TEXT"


def test_the_registry_has_its_keywords():
    assert len(ROWS) > 4900 and "dBdt" in ROWS  # the one keyword not capitalised


def test_the_dictionary_keyword_table_is_the_registry():
    for keyword, (pattern, vr) in ROWS.items():
        tag = dictionary.tag_for(keyword)
        assert tag == _first_tag(pattern), (keyword, pattern)
        assert dictionary.keyword_for(tag) == keyword, (keyword, pattern)
        assert dictionary.vr_of(tag) == vr, keyword
    index = dictionary._keyword_index()
    assert set(index) == set(ROWS)


def test_no_keyword_is_shadowed_by_a_dataset_or_element_attribute():
    # An attribute of the class would win over the keyword (ds.keys, elem.VR...).
    assert not set(ROWS) & set(dir(Dataset))
    assert not set(ROWS) & (set(dir(DataElement)) | set(dir(DeferredElement)))


@pytest.mark.parametrize("keyword", sorted(ROWS))
def test_every_keyword_sets_gets_tests_and_deletes(keyword):
    pattern, vr = ROWS[keyword]
    ds = Dataset()
    if keyword in DELIMITERS:
        with pytest.raises(AttributeError, match="delimiter"):
            setattr(ds, keyword, b"")
        assert keyword not in ds
        return
    value = _value(vr)
    setattr(ds, keyword, value)
    assert keyword in ds and _first_tag(pattern) in ds
    got = getattr(ds, keyword)
    assert got == ([] if vr == "SQ" else value) or float(got) == float(value)
    assert ds[keyword].keyword == keyword and ds[keyword].tag == _first_tag(pattern)
    delattr(ds, keyword)
    assert keyword not in ds and len(ds) == 0
    with pytest.raises(AttributeError):
        getattr(ds, keyword)
