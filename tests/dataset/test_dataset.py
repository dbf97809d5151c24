"""The Dataset container and Tag: the access forms DESIGN.md promises."""
from __future__ import annotations

import pytest

import dicomcore
from dicomcore import Dataset, Tag
from dicomcore.dataset.valuerep import DS, IS, PersonName


def _sample() -> Dataset:
    ds = Dataset()
    ds.PatientName = "Doe^John"
    ds.PatientID = "ID1"
    ds.Rows = 512
    ds.PixelSpacing = ["0.5", "0.25"]
    item = Dataset()
    item.CodeValue = "T-D3000"
    ds.AnatomicRegionSequence = [item]
    return ds


@pytest.mark.parametrize("key", ["PatientName", 0x00100010, (0x0010, 0x0010),
                                 Tag(0x00100010), "00100010", "(0010,0010)"])
def test_every_key_form_finds_the_element(key):
    ds = _sample()
    elem = ds[key]
    assert (elem.tag, elem.vr, elem.value) == (0x00100010, "PN", "Doe^John")
    assert key in ds


def test_keyword_attributes_follow_the_dictionary():
    ds = _sample()
    assert ds.PatientName == "Doe^John" and isinstance(ds.PatientName, PersonName)
    assert ds["PixelSpacing"].vr == "DS" and ds.PixelSpacing == [DS("0.5"), DS("0.25")]
    assert ds.Rows == 512 and ds["Rows"].vr == "US"
    ds.Rows = 256
    assert ds[0x00280010].value == 256
    with pytest.raises(AttributeError):
        ds.NotAKeyword = 1
    with pytest.raises(AttributeError):
        ds.Columns  # known keyword, absent element
    ds.scratch = "python attribute"  # lowercase names stay Python attributes
    assert "scratch" not in [e.keyword for e in ds]


def test_delete_by_every_form():
    ds = _sample()
    del ds.PatientName
    del ds[0x00100020]
    del ds[(0x0028, 0x0010)]
    del ds["PixelSpacing"]
    assert [e.keyword for e in ds] == ["AnatomicRegionSequence"]


def test_iteration_is_in_tag_order_whatever_the_insertion_order():
    ds = Dataset()
    ds.Rows = 1
    ds.PatientName = "A"
    ds.SOPClassUID = "1.2"
    assert [e.tag for e in ds] == sorted([0x00280010, 0x00100010, 0x00080016])
    assert ds.tags() == [0x00080016, 0x00100010, 0x00280010]


def test_sequences_are_lists_of_datasets():
    ds = _sample()
    assert ds.AnatomicRegionSequence[0].CodeValue == "T-D3000"
    walked = [(depth, e.keyword) for depth, e in ds.walk()]
    assert (1, "CodeValue") in walked


def test_equality_and_copies_are_deep():
    ds = _sample()
    dup = ds.copy()
    assert dup == ds
    dup.AnatomicRegionSequence[0].CodeValue = "other"
    assert dup != ds
    assert ds.AnatomicRegionSequence[0].CodeValue == "T-D3000"


def test_get_and_len():
    ds = _sample()
    assert ds.get("PatientID") == "ID1" and ds.get("Columns", 7) == 7
    assert ds.get(0x00280010) == 512 and len(ds) == 5


def test_private_blocks_reserve_their_elements():
    ds = Dataset()
    block = ds.private_block(0x0009, "ACME 1.0", create=True)
    block.add(0x01, "LO", "private value")
    assert ds[0x00090010].value == "ACME 1.0"
    assert ds[0x00091001].value == "private value"
    other = ds.private_block(0x0009, "OTHER", create=True)
    assert other.tag(0x01) == 0x00091101
    assert ds.private_block(0x0009, "ACME 1.0")[0x01].value == "private value"
    with pytest.raises(KeyError):
        ds.private_block(0x0009, "MISSING")
    assert "[ACME 1.0]" in repr(ds)


def test_values_set_as_text_compare_as_read():
    ds = Dataset()
    ds.SliceThickness = "1.250"
    ds.InstanceNumber = "+7"
    assert ds.SliceThickness == 1.25 and str(ds.SliceThickness) == "1.250"
    assert ds.InstanceNumber == 7 and isinstance(ds.InstanceNumber, IS)


@pytest.mark.parametrize("value, expected", [
    (0x00100010, "(0010,0010)"), ((0x7FE0, 0x0010), "(7FE0,0010)"),
    ("PatientName", "(0010,0010)"), ("7fe00010", "(7FE0,0010)")])
def test_tag_forms_and_display(value, expected):
    assert str(Tag(value)) == expected


def test_tag_properties_and_errors():
    tag = Tag(0x00291010)
    assert tag.group == 0x0029 and tag.element == 0x1010 and tag.is_private
    assert Tag(0x00290010).is_private_creator and not tag.is_private_creator
    assert Tag("PatientID").keyword == "PatientID"
    for bad in (-1, 1 << 32, (1, 2, 3), "NoSuchKeyword", (0x10000, 0)):
        with pytest.raises(ValueError):
            Tag(bad)


def test_public_api_surface():
    for name in ("read", "write", "Dataset", "Tag", "dictionary", "uid", "generate_uid",
                 "DicomError"):
        assert hasattr(dicomcore, name)
    assert dicomcore.dictionary.keyword_for(0x00100010) == "PatientName"
