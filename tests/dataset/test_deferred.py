"""Deferred values stay deferred (issue #12 point 7): iterating, ``ds[tag]``, ``in``,
``len``, ``keys()``, ``list(ds)``, dumps and copies never read a value left in the file;
only ``.value`` (or a call that needs the bytes) does.

Reads are counted at the one place a deferred value comes from, ``FileSource.read``,
and Python allocations are bounded with tracemalloc, on a real 64 MB file.
"""
from __future__ import annotations

import copy
import os
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import dicomcore
from dicomcore import Dataset
from dicomcore.dataset import part10
from dicomcore.dataset import transfer_syntax as ts
from dicomcore.dataset.dump import format_dataset
from dicomcore.dataset.element import DeferredElement
from dicomcore.fuzz.datasets import datasets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers
from interop.netutil import cli_env  # noqa: E402

PIXEL_DATA = 0x7FE00010
LUT_DATA = 0x00283006  # US or OW: a deferred number value
BIG = 64 << 20
DEFER = 1024


def _sample(pixels: bytes) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.2.1125.64"
    ds.PatientName = "Doe^Jane"
    ds.Rows = 4096
    ds.Columns = 8192
    ds.BitsAllocated = 16
    ds.ImageComments = "x" * 3000  # a deferred text value
    item = Dataset()
    item.add(LUT_DATA, "US", list(range(2048)))
    ds.VOILUTSequence = [item]
    ds.add(PIXEL_DATA, "OW", pixels)
    return ds


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 64 MB Pixel Data file (explicit and big endian) and the dataset it holds."""
    folder = tmp_path_factory.mktemp("deferred")
    pixels = bytes(range(256)) * (BIG // 256)
    ds = _sample(pixels)
    paths = {}
    for name, syntax in (("explicit", ts.EXPLICIT_VR_LE), ("big", ts.EXPLICIT_VR_BE)):
        paths[name] = folder / f"{name}.dcm"
        dicomcore.write(paths[name], ds, transfer_syntax=syntax.uid)
    return paths, ds


@pytest.fixture
def reads(monkeypatch):
    """Every FileSource read as (offset, length)."""
    seen: list[tuple[int, int]] = []
    original = part10.FileSource.read

    def counting(self, offset, length, tag):
        seen.append((offset, length))
        return original(self, offset, length, tag)

    monkeypatch.setattr(part10.FileSource, "read", counting)
    return seen


def _describe(ds: Dataset) -> list:
    """What every describing operation hands out; none of it may read a value.

    (The VM of a text value is the one thing that needs its bytes: its backslashes.)"""
    out = [len(ds), PIXEL_DATA in ds, "PixelData" in ds, ds.keys(), ds.tags(), list(ds),
           ds.values(), ds.items(), ds[PIXEL_DATA], ds["PixelData"], ds.element(PIXEL_DATA),
           [e.VM for e in ds if e.vr != "LT"], [e.VR for e in ds], [e.length for e in ds],
           list(ds.walk()), ds.copy(), copy.copy(ds), copy.deepcopy(ds)]
    collected: list = []
    ds.walk(lambda d, e: collected.append(e.tag))
    out.append(collected)
    return out


@pytest.mark.parametrize("syntax", ["explicit", "big"])
def test_describing_a_dataset_reads_no_deferred_value(big, reads, syntax):
    paths, _ = big
    tracemalloc.start()
    try:
        ds = dicomcore.read(paths[syntax], defer_size=DEFER)
        described = _describe(ds)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reads == []
    assert peak < 4 << 20, peak  # far below the 64 MB value
    assert isinstance(ds[PIXEL_DATA], DeferredElement) and not ds[PIXEL_DATA].is_loaded
    elem = ds[PIXEL_DATA]
    assert (elem.tag, elem.vr, elem.length, elem.VM) == (PIXEL_DATA, "OW", BIG, 1)
    assert elem.offset is not None and described[5][-1] is elem


@pytest.mark.parametrize("syntax", ["explicit", "big"])
def test_a_dump_reads_only_the_bytes_it_shows(big, reads, syntax):
    paths, original = big
    tracemalloc.start()
    try:
        ds = dicomcore.read(paths[syntax], defer_size=DEFER)
        text = format_dataset(ds)
        shown = repr(ds)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, peak
    # The text value is loaded to be shown; binary and number values only peeked at.
    big_reads = [length for _, length in reads if length > 3000]
    assert big_reads == [] and all(length <= 512 for _, length in reads
                                   if length != 3000), reads
    assert not ds[PIXEL_DATA].is_loaded
    eager = dicomcore.read(paths[syntax])
    assert text == shown == format_dataset(eager)
    assert "00\\01\\02\\03" in text.replace("\\\\", "\\")


def test_json_with_bulk_data_uris_reads_no_deferred_value(big, reads):
    paths, _ = big
    ds = dicomcore.read(paths["explicit"], defer_size=DEFER)
    obj = ds.to_json_dict(bulk_data_threshold=DEFER,
                          bulk_data_uri=lambda e: f"/bulk/{e.tag:08X}")
    assert obj["7FE00010"] == {"vr": "OW", "BulkDataURI": "/bulk/7FE00010"}
    # The text and the LUT's numbers are JSON values, read; the pixels are not.
    assert sorted(length for _, length in reads) == [3000, 4096]
    assert obj["7FE00010"] == dicomcore.read(paths["explicit"]).to_json_dict(
        bulk_data_threshold=DEFER, bulk_data_uri=lambda e: f"/bulk/{e.tag:08X}")["7FE00010"]


def test_value_reads_once_and_equals_the_eager_read(big, reads):
    paths, original = big
    ds = dicomcore.read(paths["big"], defer_size=DEFER)
    elem = ds[PIXEL_DATA]
    assert elem.value == original.PixelData
    assert elem.value is elem.value and reads == [(reads[0][0], BIG)]
    assert ds[PIXEL_DATA] is elem and elem.is_loaded
    assert ds.VOILUTSequence[0][LUT_DATA].value == list(range(2048))


def test_copies_share_the_file_not_the_bytes(big, reads):
    paths, original = big
    ds = dicomcore.read(paths["explicit"], defer_size=DEFER)
    dup = ds.copy()
    assert reads == []
    dup.PatientName = "Other^Name"
    assert dup.PixelData == original.PixelData and ds.PatientName == "Doe^Jane"
    assert not ds[PIXEL_DATA].is_loaded  # the copy's read loaded only the copy


def test_popped_and_moved_deferred_elements_still_load(big, reads):
    paths, original = big
    ds = dicomcore.read(paths["big"], defer_size=DEFER)
    elem = ds.pop(PIXEL_DATA)
    assert PIXEL_DATA not in ds and reads == []
    assert elem.value == original.PixelData
    assert PIXEL_DATA not in ds  # loading did not put it back
    other = dicomcore.read(paths["big"], defer_size=DEFER)
    target = Dataset()
    target.update(other)  # moved unread: decoded later in the byte order it was read in
    assert len(reads) == 1 and target.PixelData == original.PixelData


def test_writing_copies_deferred_bytes_as_they_were(big, tmp_path):
    paths, _ = big
    for syntax in ("explicit", "big"):
        out = tmp_path / f"{syntax}.dcm"
        dicomcore.write(out, dicomcore.read(paths[syntax], defer_size=DEFER))
        assert out.read_bytes() == paths[syntax].read_bytes()


def test_a_changed_value_is_written_not_the_file(big, tmp_path):
    paths, _ = big
    ds = dicomcore.read(paths["explicit"], defer_size=DEFER)
    ds[PIXEL_DATA].value = b"\x07\x00" * 8
    out = tmp_path / "changed.dcm"
    dicomcore.write(out, ds)
    assert dicomcore.read(out).PixelData == b"\x07\x00" * 8


def test_cli_dump_peak_memory_stays_far_below_the_value(big):
    paths, _ = big
    probe = ("import resource, subprocess, sys\n"
             "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "dicomcore",
                          "dump", str(paths["explicit"])], capture_output=True, text=True,
                         env=cli_env(), check=True, timeout=120)
    peak_mb = int(out.stdout) / 1024
    assert peak_mb < 48, peak_mb  # Python and dicomcore: ~20 MB; the value: 64 MB


# --- the deferred path and the loaded one, held equal -------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_deferred_reads_describe_and_equal_eager_reads(ds):
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    for syntax in (ts.EXPLICIT_VR_LE, ts.EXPLICIT_VR_BE, ts.IMPLICIT_VR_LE):
        fd, path = tempfile.mkstemp(suffix=".dcm")
        os.close(fd)
        try:
            dicomcore.write(path, ds, transfer_syntax=syntax.uid)
            eager = dicomcore.read(path)
            deferred = dicomcore.read(path, defer_size=0)  # every non-empty value
            assert format_dataset(deferred) == format_dataset(eager)
            walked = [(d, e.tag, e.vr, e.VM, e.length) for d, e in deferred.walk()]
            assert walked == [(d, e.tag, e.vr, e.VM, e.length) for d, e in eager.walk()]
            assert deferred == eager
        finally:
            os.unlink(path)

