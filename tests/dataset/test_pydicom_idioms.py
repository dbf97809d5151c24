"""What a pydicom user types works, or names the dicomcore way (issue #12 point 14).

pydicom is the oracle: its behaviour for the same calls, and its own list of public
names, which dicomcore either has or answers with an AttributeError naming
dicomcore's spelling.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

import dicomcore
from dicomcore import Dataset, Tag
from dicomcore.dataset.element import DataElement, DeferredElement, RawElement
from dicomcore.dataset.uid import UID

pydicom = pytest.importorskip("pydicom")

CT = Path(__file__).resolve().parents[1] / "data" / "ct_small.dcm"
PIXEL_DATA = 0x7FE00010


def _read(**kw) -> Dataset:
    return dicomcore.read(CT, **kw)


# --- dcmread, dcmwrite, save_as ------------------------------------------------------------

@pytest.mark.parametrize("size", [None, 16, 16.0, "16", "1 KB", "0.5 kb", "2 KiB", "1MB",
                                  "3 GiB", float("inf")])
def test_defer_size_text_means_what_pydicom_means(size):
    from dicomcore.dataset.pydicom_api import _size_in_bytes
    from pydicom.misc import size_in_bytes

    theirs = size_in_bytes(size)
    assert _size_in_bytes(size) == (None if theirs is None else int(theirs))


def test_defer_size_that_is_no_size_is_a_clear_error():
    with pytest.raises(ValueError, match="defer_size '12 parsecs' is not a size"):
        dicomcore.dcmread(CT, defer_size="12 parsecs")


def test_dcmread_is_read_with_pydicoms_arguments():
    ds = dicomcore.dcmread(str(CT), 16, False, True)
    assert isinstance(ds[PIXEL_DATA], DeferredElement) and ds == _read()
    assert PIXEL_DATA not in dicomcore.dcmread(CT, stop_before_pixels=True)
    with pytest.raises(TypeError, match="specific_tags"):
        dicomcore.dcmread(CT, specific_tags=["PatientName"])


@pytest.mark.parametrize("implicit, little, expected", [
    (True, True, "1.2.840.10008.1.2"), (False, True, "1.2.840.10008.1.2.1"),
    (False, False, "1.2.840.10008.1.2.2"), (None, None, "1.2.840.10008.1.2.1")])
def test_save_as_picks_the_syntax_pydicoms_keywords_name(tmp_path, implicit, little,
                                                         expected):
    path = tmp_path / "out.dcm"
    _read().save_as(path, implicit_vr=implicit, little_endian=little)
    theirs = pydicom.dcmread(path)
    assert theirs.file_meta.TransferSyntaxUID == expected
    assert theirs.PatientName == "Müller^Jürgen"
    dicomcore.dcmwrite(tmp_path / "again.dcm", _read(), implicit_vr=implicit,
                       little_endian=little)
    assert (tmp_path / "again.dcm").read_bytes() == path.read_bytes()


def test_save_as_refuses_what_has_no_syntax_or_would_overwrite(tmp_path):
    with pytest.raises(ValueError, match="implicit VR big endian"):
        _read().save_as(tmp_path / "x.dcm", implicit_vr=True, little_endian=False)
    (tmp_path / "x.dcm").write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        _read().save_as(tmp_path / "x.dcm", overwrite=False)
    assert (tmp_path / "x.dcm").read_bytes() == b"keep"


# --- pixel_array ----------------------------------------------------------------------------

def test_pixel_array_is_a_property_as_in_pydicom():
    np = pytest.importorskip("numpy")
    from dicomcore.codecs.pixels import pixel_array

    ds = _read()
    assert np.array_equal(ds.pixel_array, pydicom.dcmread(CT).pixel_array)
    assert np.array_equal(ds.pixel_array, pixel_array(ds))
    assert np.array_equal(dicomcore.pixel_array(ds, 0), pixel_array(ds, frame=0))


def test_pixel_array_errors_are_not_taken_for_a_missing_attribute():
    ds = _read()
    del ds.Rows
    with pytest.raises(dicomcore.DicomError, match="Rows"):
        ds.pixel_array


# --- the mapping methods -------------------------------------------------------------------

def test_len_in_and_keys_decode_nothing():
    ds = _read()
    before = {tag: type(elem) for tag, elem in ds._elems.items()}
    assert len(ds) == len(before) and "PatientName" in ds and 0x00100010 in ds
    keys = ds.keys()
    assert keys == sorted(before) and all(type(k) is Tag for k in keys)
    assert {tag: type(elem) for tag, elem in ds._elems.items()} == before
    assert RawElement in before.values()


def test_keys_values_items_agree_with_pydicom():
    ours, theirs = _read(), pydicom.dcmread(CT)
    assert ours.keys() == sorted(theirs.keys())
    # (pydicom's values() and items() may hand out raw elements: ds[tag] decodes them)
    theirs_elements = [theirs[tag] for tag in sorted(theirs.keys())]
    assert [e.keyword for e in ours.values()] == [e.keyword for e in theirs_elements]
    assert [(int(t), e.VR) for t, e in ours.items()] == [(int(e.tag), e.VR) for e in
                                                         theirs_elements]


def test_pop_like_pydicom():
    ds, theirs = _read(), pydicom.dcmread(CT)
    expected = theirs.PatientID
    elem = ds.pop("PatientID")  # decoded (pydicom may hand out the raw element)
    assert theirs.pop("PatientID").tag == elem.tag and "PatientID" not in theirs
    assert elem.value == expected and "PatientID" not in ds
    assert ds.pop(0x00100020, "gone") == "gone" == ds.pop("NotAKeyword", "gone")
    with pytest.raises(KeyError):
        ds.pop("PatientID")
    with pytest.raises(TypeError):
        ds.pop("PatientID", 1, 2)


def test_setdefault_like_pydicom():
    ds, theirs = Dataset(), pydicom.Dataset()
    ours_new, theirs_new = ds.setdefault("PatientName", "Doe^J"), theirs.setdefault(
        "PatientName", "Doe^J")
    assert (ours_new.vr, str(ours_new.value)) == (theirs_new.VR, str(theirs_new.value))
    assert ds.setdefault("PatientName", "Other").value == "Doe^J"
    given = DataElement(0x00100020, "LO", "ID7")
    assert ds.setdefault(0x00100020, given) is given and ds.PatientID == "ID7"


def test_update_from_mapping_keywords_and_dataset():
    ds = Dataset()
    ds.update({"PatientName": "A^B", 0x00100020: "ID1",
               (0x0010, 0x0030): DataElement(0x00100030, "DA", "20000101")}, Rows=4)
    assert (ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.Rows) == (
        "A^B", "ID1", "20000101", 4)
    other = _read()
    ds.update(other)
    assert ds.PatientName == other.PatientName and ds.SOPClassUID == other.SOPClassUID
    ds.clear()
    assert len(ds) == 0


def test_walk_takes_pydicoms_callback():
    ours, theirs = _read(), pydicom.dcmread(CT)
    seen, seen_theirs = [], []
    ours.walk(lambda ds, elem: seen.append(int(elem.tag)))
    theirs.walk(lambda ds, elem: seen_theirs.append(int(elem.tag)))
    assert seen == seen_theirs
    shallow = []
    ours.walk(lambda ds, elem: shallow.append(int(elem.tag)), recursive=False)
    assert shallow == ours.tags()


# --- JSON, elements, UIDs -----------------------------------------------------------------

def test_to_json_and_from_json_as_methods():
    ds = _read()
    text = ds.to_json()
    assert Dataset.from_json(text) == Dataset.from_json(ds.to_json_dict())
    back = Dataset.from_json(text)
    assert back.PatientName == ds.PatientName and back.PixelData == ds.PixelData
    theirs = pydicom.Dataset.from_json(text)
    assert str(theirs.PatientName) == str(ds.PatientName)
    assert Dataset.from_json(theirs.to_json()).SOPInstanceUID == ds.SOPInstanceUID


def test_element_vr_and_uid_names():
    ds = _read()
    assert ds["Rows"].VR == ds["Rows"].vr == "US"
    ds["Rows"].VR = "SS"
    assert ds["Rows"].vr == "SS"
    assert isinstance(ds.SOPClassUID, UID) and ds.SOPClassUID.name == "CT Image Storage"
    assert ds.file_meta.TransferSyntaxUID.name == "Explicit VR Little Endian"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    assert ds.SOPClassUID.name == "MR Image Storage"
    assert Dataset.from_json(ds.to_json()).SOPClassUID.keyword == "MRImageStorage"
    assert ds["PatientName"].is_private is False and ds["PatientName"].is_empty is False


# --- everything else pydicom has: here, or named ------------------------------------------

def _public(cls_or_module, minus=()) -> list[str]:
    return sorted(n for n in dir(cls_or_module) if not n.startswith("_") and n not in minus)


def _answers(obj, name: str) -> bool:
    try:
        getattr(obj, name)
    except AttributeError as exc:
        return "(pydicom's spelling); in dicomcore: " in str(exc)
    return True


@pytest.mark.parametrize("kind", ["Dataset", "DataElement", "UID", "module"])
def test_every_pydicom_name_works_or_names_the_dicomcore_way(kind):
    ds = _read()
    subjects = {
        "Dataset": (ds, _public(pydicom.Dataset)),
        "DataElement": (ds["PatientName"], _public(pydicom.DataElement)),
        "UID": (ds.SOPClassUID, _public(pydicom.uid.UID, minus=dir(str))),
        "module": (dicomcore, _public(pydicom)),
    }
    obj, names = subjects[kind]
    assert len(names) > 10
    assert [n for n in names if not _answers(obj, n)] == []


def test_the_named_spelling_is_in_the_message():
    ds = _read()
    with pytest.raises(AttributeError, match=r"ds.transfer_syntax.little_endian"):
        ds.is_little_endian
    with pytest.raises(AttributeError, match=r"repr\(elem\)"):
        ds["PatientName"].repval
    with pytest.raises(AttributeError, match=r"dicomcore.Dataset"):
        dicomcore.FileDataset
    with pytest.raises(AttributeError, match="is_little_endian"):
        ds.is_little_endian = True  # would change nothing: said so, not ignored
    with pytest.raises(AttributeError, match="'Dataset' object has no attribute 'no_such'"):
        ds.no_such
    ds.scratch = 1  # other lower-case names stay Python attributes
    assert ds.scratch == 1 and "scratch" not in [e.keyword for e in ds]


def test_import_dicomcore_still_needs_no_numpy():
    import subprocess

    probe = "import sys, dicomcore; dicomcore.dcmread; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "False"


def test_file_objects_read_as_paths_do():
    data = CT.read_bytes()
    assert dicomcore.dcmread(io.BytesIO(data)) == _read()


def test_elements_and_uids_keep_fast_attribute_lookups():
    # A class with __getattr__ loses CPython's specialised attribute look-ups (elem.value
    # in the hot loop costs several times as much): pydicom spellings are descriptors.
    for cls in (DataElement, DeferredElement, UID, Tag):
        assert not hasattr(cls, "__getattr__"), cls
    assert not hasattr(_read()["PatientName"], "repval")
