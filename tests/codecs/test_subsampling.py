"""YBR_FULL_422 (PS3.3 C.7.6.3.1.2): upsampling and packing round trips, pydicom as the
oracle, and the two places that use them (pixel_array, set_pixel_array, RLE encoding)."""
from __future__ import annotations

import io
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomcore import Dataset
from dicomcore.codecs.subsampling import pack_422, subsampled_size, upsample_422
from dicomcore.errors import CodecError

np = pytest.importorskip("numpy")
import dicomcore  # noqa: E402
from dicomcore.codecs.pixels import pixel_array, set_pixel_array  # noqa: E402
from dicomcore.codecs.transcode import transcode  # noqa: E402

CELLS = st.sampled_from([1, 2, 4, 8])


@st.composite
def subsampled(draw):
    """(bytes of whole Y1 Y2 Cb Cr pairs, bytes per cell)."""
    b = draw(CELLS)
    pairs = draw(st.integers(0, 40))
    return draw(st.binary(min_size=4 * b * pairs, max_size=4 * b * pairs)), b


@settings(max_examples=200, deadline=None)
@given(subsampled())
def test_packing_what_was_upsampled_gives_it_back(case):
    data, b = case
    full = upsample_422(data, b)
    assert len(full) == len(data) // 2 * 3
    assert pack_422(full, b) == data


@settings(max_examples=200, deadline=None)
@given(subsampled())
def test_upsampling_repeats_each_pairs_chroma(case):
    data, b = case
    cells = [data[i:i + b] for i in range(0, len(data), b)]
    expected = b"".join(b"".join((y1, cb, cr, y2, cb, cr))
                        for y1, y2, cb, cr in zip(*[iter(cells)] * 4))
    assert upsample_422(data, b) == expected


@settings(max_examples=200, deadline=None)
@given(subsampled())
def test_full_data_with_equal_chroma_pairs_survives_packing(case):
    data, b = case
    full = bytes(upsample_422(data, b))  # equal chroma in each pair, by construction
    assert upsample_422(pack_422(full, b), b) == full


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([1, 2]), st.integers(1, 6), st.integers(1, 5), st.randoms())
def test_upsampling_agrees_with_pydicom(b, rows, pairs, rnd):
    from pydicom.pixels.utils import expand_ybr422

    data = rnd.randbytes(subsampled_size(rows, 2 * pairs, b))
    assert upsample_422(data, b) == expand_ybr422(data, 8 * b)


def test_partial_pairs_are_refused_with_the_reason():
    with pytest.raises(CodecError, match="Y1 Y2 Cb Cr"):
        upsample_422(bytes(6), 1)
    with pytest.raises(CodecError, match="even number of columns"):
        pack_422(bytes(9), 1)


# -- set_pixel_array packs, pixel_array upsamples, pydicom agrees -------------------------


@st.composite
def ybr_arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(["uint8", "uint16", "int16", "uint32"])))
    frames = draw(st.one_of(st.none(), st.integers(2, 3)))
    rows, pairs = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    shape = (() if frames is None else (frames,)) + (rows, 2 * pairs, 3)
    seed = draw(st.integers(0, 2**32 - 1))
    info = np.iinfo(dtype)
    return np.random.default_rng(seed).integers(info.min, info.max, shape, dtype, True)


@settings(max_examples=100, deadline=None)
@given(ybr_arrays())
def test_set_pixel_array_422_keeps_the_first_pixels_chroma(a):
    ds = set_pixel_array(Dataset(), a, photometric="YBR_FULL_422")
    assert ds.PhotometricInterpretation == "YBR_FULL_422"
    assert len(ds.PixelData) == a.size // 3 * 2 * a.dtype.itemsize
    expected = a.copy()
    expected[..., 1::2, 1:] = a[..., 0::2, 1:]  # PS3.3 C.7.6.3.1.2: chroma of pixel 1
    got = pixel_array(ds)
    assert got.dtype == a.dtype and np.array_equal(got, expected)
    if a.ndim == 4:  # one frame alone: its bytes found by the subsampled frame size
        assert np.array_equal(pixel_array(ds, frame=-1), expected[-1])
    assert np.array_equal(pixel_array(set_pixel_array(Dataset(), got,
                                                      photometric="YBR_FULL_422")), got)


@settings(max_examples=30, deadline=None)
@given(ybr_arrays())
def test_pydicom_reads_our_422_files_as_we_do(a):
    pydicom = pytest.importorskip("pydicom")
    from pydicom.pixels import pixel_array as reference

    ds = set_pixel_array(Dataset(), a, photometric="YBR_FULL_422")
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4"
    out = io.BytesIO()
    dicomcore.write(out, ds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = reference(pydicom.dcmread(io.BytesIO(out.getvalue())), as_rgb=False)
    assert np.array_equal(theirs, pixel_array(ds))


# -- RLE of YBR_FULL_422 becomes YBR_FULL (PS3.5 8.2.2, G.2) -------------------------------


@settings(max_examples=60, deadline=None)
@given(ybr_arrays(), st.sampled_from([False, True]))
def test_rle_of_422_is_full_resolution_ybr_with_the_same_pixels(a, use_numpy):
    ds = set_pixel_array(Dataset(), a, photometric="YBR_FULL_422")
    before = ds.PixelData
    new = transcode(ds, "1.2.840.10008.1.2.5", use_numpy=use_numpy)
    assert ds.PhotometricInterpretation == "YBR_FULL_422" and ds.PixelData == before
    assert new.PhotometricInterpretation == "YBR_FULL" and new.PlanarConfiguration == 0
    assert np.array_equal(pixel_array(new), pixel_array(ds))
    back = transcode(new, "1.2.840.10008.1.2.1", use_numpy=use_numpy)
    assert back.PhotometricInterpretation == "YBR_FULL"
    assert np.array_equal(pixel_array(back), pixel_array(ds))


def test_rle_of_422_with_a_short_value_names_the_subsampling():
    ds = set_pixel_array(Dataset(), np.zeros((2, 4, 3), np.uint8), photometric="YBR_FULL_422")
    ds.PixelData = bytes(10)
    with pytest.raises(CodecError, match="YBR_FULL_422.*need 16"):
        transcode(ds, "1.2.840.10008.1.2.5")


def test_422_with_bit_packed_cells_is_refused():
    ds = set_pixel_array(Dataset(), np.zeros((2, 4, 3), np.uint8), photometric="YBR_FULL_422")
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit = 0
    with pytest.raises(CodecError, match="YBR_FULL_422.*Bits Allocated 1"):
        pixel_array(ds)
