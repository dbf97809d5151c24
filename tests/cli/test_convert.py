"""``dicomcore convert``: every pair of syntaxes, folders, refusals, exit status."""
from __future__ import annotations

import itertools
import random
import struct

import pytest

import dicomcore
from dicomcore.cli import main
from dicomcore.cli.convert import SYNTAXES
from dicomcore.codecs import encapsulation
from dicomcore.codecs.transcode import transcode

NAMES = list(SYNTAXES)


def _image(rows, columns, samples, bits, frames=1, signed=False, seed=0) -> dicomcore.Dataset:
    rng = random.Random(seed)
    ds = dicomcore.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.2.1125.9.{seed}"
    ds.PatientName = "Convert^Test"
    ds.PatientID = "C1"
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples == 3:
        ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = rows, columns
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits, bits - 1
    ds.PixelRepresentation = int(signed)
    if frames > 1:
        ds.NumberOfFrames = frames
    count = rows * columns * samples * frames
    if bits == 16:  # air around noisy tissue
        values = [-1000 if rng.random() < 0.4 else rng.randrange(-100, 300) for _ in range(count)]
        pixels = struct.pack(f"<{count}{'h' if signed else 'H'}",
                             *(v if signed else v + 1024 for v in values))
    else:
        pixels = bytes(rng.choice((0, 0, 0, rng.randrange(256))) for _ in range(count))
    ds.PixelData = pixels + b"\0" * (len(pixels) & 1)
    return ds


DATASETS = {
    "ct16": lambda: _image(40, 36, 1, 16, signed=True, seed=1),
    "rgb8": lambda: _image(21, 33, 3, 8, seed=2),
    "multiframe": lambda: _image(16, 24, 1, 16, frames=5, seed=3),
}


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("originals")
    paths = {}
    for name, make in DATASETS.items():
        paths[name] = folder / f"{name}.dcm"
        dicomcore.write(paths[name], make())
    return paths


def _native(path) -> dicomcore.Dataset:
    """The file's dataset with native Pixel Data, for comparing."""
    ds = dicomcore.read(path)
    return transcode(ds, "1.2.840.10008.1.2.1") if ds.transfer_syntax.encapsulated else ds


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("pair", list(itertools.product(NAMES, NAMES)),
                         ids=lambda p: f"{p[0]}-{p[1]}")
def test_every_pair_of_syntaxes(tmp_path, originals, name, pair):
    first, second = pair
    middle, last = tmp_path / "a.dcm", tmp_path / "b.dcm"
    assert main(["convert", str(originals[name]), str(middle), "--ts", first]) == 0
    assert main(["convert", str(middle), str(last), "--ts", second]) == 0
    result = dicomcore.read(last)
    assert result.file_meta.TransferSyntaxUID == SYNTAXES[second]
    original = dicomcore.read(originals[name])
    back = _native(last)
    assert back.PixelData == original.PixelData
    assert back == original
    if second == "rle":
        frames = encapsulation.frames(result.PixelData, int(original.get("NumberOfFrames") or 1))
        assert len(frames) == int(original.get("NumberOfFrames") or 1)
    assert not list(tmp_path.glob(".dicomcore-*"))  # written by temp file and rename


def test_full_uid_and_file_into_folder(tmp_path, originals):
    out = tmp_path / "out"
    out.mkdir()
    assert main(["convert", str(originals["ct16"]), str(out), "--ts", "1.2.840.10008.1.2.5"]) \
        == 0
    assert dicomcore.read(out / "ct16.dcm").transfer_syntax.uid == "1.2.840.10008.1.2.5"


def _jpeg_file(path) -> None:
    ds = _image(8, 8, 1, 8, seed=4)
    fake = b"\xff\xd8\xff\xe0 not really a JPEG \xff\xd9"
    ds[0x7FE00010] = dicomcore.DataElement(0x7FE00010, "OB", encapsulation.encapsulate([fake]),
                                           undefined_length=True)
    dicomcore.write(path, ds, transfer_syntax="1.2.840.10008.1.2.4.50")


def test_folder_is_mirrored_with_progress_and_summary(tmp_path, originals, capsys):
    source = tmp_path / "in"
    (source / "series1" / "deep").mkdir(parents=True)
    (source / "series2").mkdir()
    wanted = {"series1/ct16.dcm": "ct16", "series1/deep/rgb8.dcm": "rgb8",
              "series2/multiframe.dcm": "multiframe"}
    for relative, name in wanted.items():
        (source / relative).write_bytes(originals[name].read_bytes())
    _jpeg_file(source / "series2" / "jpeg.dcm")
    status = main(["convert", str(source), str(tmp_path / "out"), "--ts", "big"])
    captured = capsys.readouterr()
    assert status == 1
    lines = captured.err.splitlines()
    progress = [line for line in lines if line[0].isdigit()]
    assert progress == [f"{n}/4 {p}" for n, p in enumerate(sorted(
        [*wanted, "series2/jpeg.dcm"]), 1)]
    failure = [line for line in lines if "jpeg.dcm" in line and "JPEG Baseline" in line]
    assert failure and "1.2.840.10008.1.2.4.50" in failure[0]
    assert "converted 3 of 4 files" in captured.out and "1 failed" in captured.out
    for relative, name in wanted.items():
        out = dicomcore.read(tmp_path / "out" / relative)
        assert out.transfer_syntax.uid == SYNTAXES["big"]
        assert out.PixelData == dicomcore.read(originals[name]).PixelData
    assert not (tmp_path / "out" / "series2" / "jpeg.dcm").exists()

    # the folder again, now to RLE and back: all succeed
    assert main(["convert", str(tmp_path / "out"), str(tmp_path / "rle"), "--ts", "rle"]) == 0
    assert main(["convert", str(tmp_path / "rle"), str(tmp_path / "back"), "--ts",
                 "implicit"]) == 0
    for relative, name in wanted.items():
        assert _native(tmp_path / "back" / relative) == dicomcore.read(originals[name])


def test_jpeg_passes_through_to_jpeg_only(tmp_path, capsys):
    _jpeg_file(tmp_path / "j.dcm")
    assert main(["convert", str(tmp_path / "j.dcm"), str(tmp_path / "same.dcm"), "--ts",
                 "1.2.840.10008.1.2.4.50"]) == 0
    assert dicomcore.read(tmp_path / "same.dcm").PixelData == \
        dicomcore.read(tmp_path / "j.dcm").PixelData
    for name in NAMES:
        assert main(["convert", str(tmp_path / "j.dcm"), str(tmp_path / "x.dcm"), "--ts",
                     name]) == 1
        err = capsys.readouterr().err
        assert "JPEG Baseline" in err and len(err.strip().splitlines()) == 1


def test_errors(tmp_path, originals, capsys):
    with pytest.raises(SystemExit) as info:
        main(["convert", str(originals["ct16"]), str(tmp_path / "x.dcm"), "--ts", "jpeg"])
    assert info.value.code == 2 and "'jpeg'" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "missing"), str(tmp_path / "x"), "--ts", "rle"]) == 1
    assert "missing" in capsys.readouterr().err
    one_bit = _image(8, 16, 1, 8, seed=5)
    one_bit.BitsAllocated, one_bit.BitsStored, one_bit.HighBit = 1, 1, 0
    one_bit.PixelData = bytes(16)
    dicomcore.write(tmp_path / "bits1.dcm", one_bit)
    assert main(["convert", str(tmp_path / "bits1.dcm"), str(tmp_path / "y.dcm"), "--ts",
                 "rle"]) == 1
    assert "Bits Allocated 1" in capsys.readouterr().err
    assert not (tmp_path / "y.dcm").exists()
    assert main(["convert", str(tmp_path / "bits1.dcm"), str(tmp_path / "y.dcm"), "--ts",
                 "big"]) == 0
    (tmp_path / "folder").mkdir()
    assert main(["convert", str(tmp_path / "folder"), str(tmp_path / "y.dcm"), "--ts",
                 "rle"]) == 1


def test_ybr_full_422_converts_to_rle_as_ybr_full_and_back(tmp_path):
    """PS3.5 8.2.2, G.2: no RLE form of 4:2:2; the chroma is repeated, nothing is lost."""
    np = pytest.importorskip("numpy")
    from dicomcore.codecs.pixels import pixel_array, set_pixel_array

    ds = _image(6, 8, 3, 8, frames=2, seed=7)
    rng = np.random.default_rng(7)
    set_pixel_array(ds, rng.integers(0, 256, (2, 6, 8, 3), np.uint8),
                    photometric="YBR_FULL_422")
    dicomcore.write(tmp_path / "422.dcm", ds)
    assert main(["convert", str(tmp_path / "422.dcm"), str(tmp_path / "rle.dcm"), "--ts",
                 "rle"]) == 0
    assert main(["convert", str(tmp_path / "rle.dcm"), str(tmp_path / "back.dcm"), "--ts",
                 "explicit"]) == 0
    for name in ("rle.dcm", "back.dcm"):
        out = dicomcore.read(tmp_path / name)
        assert out.PhotometricInterpretation == "YBR_FULL" and out.PlanarConfiguration == 0
        assert np.array_equal(pixel_array(out), pixel_array(ds))
