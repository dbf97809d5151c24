"""RLE Lossless decode and encode, MB/s of native pixels, beside the other RLE codecs.

Images: a 20-frame 512x512 16-bit CT (a noisy tissue disc on -1000 HU air, as
a scanner's reconstruction circle gives) and a 1024x1024 RGB image (row
gradients, flat shapes, a noisy photo-like patch).  Contenders: dicomcore's
numpy path (the reference) and pure path, pydicom 3's own RLE codec
(``pydicom.pixels.decoders.rle`` / ``encoders.native``), pylibjpeg-rle (Rust;
``pip install pylibjpeg-rle``, skipped if absent) and DCMTK's dcmdrle/dcmcrle
(whole-file runs, the startup of a run on a 1x1 image subtracted).  The notes
give encoded sizes beside dcmcrle's.
"""
from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import dicomcore
from dicomcore.codecs import encapsulation, rle
from dicomcore.codecs.transcode import transcode

from ..harness import Contender, Result, measure

RLE_UID = "1.2.840.10008.1.2.5"


def ct_frames(frames: int = 20, size: int = 512) -> bytes:
    import numpy as np

    rng = np.random.default_rng(20)
    y, x = np.mgrid[:size, :size]
    out = []
    for n in range(frames):
        body = (x - size / 2) ** 2 / 0.9 + (y - size / 2 - 10) ** 2 < (size * (0.38 + n / 400)) ** 2
        image = np.full((size, size), -1000, np.int16)
        tissue = rng.normal(40, 25, body.sum()).round().astype(np.int16)
        bone = (x - size / 2) ** 2 + (y - size * 0.7) ** 2 < (size * 0.05) ** 2
        image[body] = tissue
        image[bone & body] += 700
        out.append(image.astype("<i2").tobytes())
    return b"".join(out)


def rgb_image(size: int = 1024) -> bytes:
    import numpy as np

    rng = np.random.default_rng(21)
    y, x = np.mgrid[:size, :size]
    image = np.empty((size, size, 3), np.uint8)
    image[..., 0] = (y * 255 // size).astype(np.uint8)  # constant along each row
    image[..., 1] = 40
    image[..., 2] = ((size - y) * 200 // size).astype(np.uint8)
    image[100:400, 150:600] = (200, 30, 30)
    image[500:900, 300:700] = (20, 180, 60)
    patch = slice(600, 1000), slice(650, 1000)
    image[patch] = rng.integers(0, 256, (400, 350, 3), dtype=np.uint8) // 8 * 8  # photo-ish
    return image.tobytes()


def _dataset(pixels: bytes, rows: int, columns: int, samples: int, bits: int,
             frames: int) -> dicomcore.Dataset:
    ds = dicomcore.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.10.1078.42.{samples}"
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples == 3:
        ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = rows, columns
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits, bits - 1
    ds.PixelRepresentation = 1 if bits == 16 else 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.PixelData = pixels
    return ds


def _dcmtk_time(tool: str, source: Path, out: Path, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([tool, str(source), str(out)], check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _case(label: str, pixels: bytes, rows: int, columns: int, samples: int, bits: int,
          frames: int, repeats: int, folder: Path) -> list[Result]:
    from pydicom.pixels.decoders.rle import _rle_decode_frame
    from pydicom.pixels.encoders.native import _encode_frame as pydicom_encode
    import pydicom

    size = len(pixels)
    megabytes = size / 1e6
    frame_size = size // frames
    raw = [pixels[n * frame_size:(n + 1) * frame_size] for n in range(frames)]
    shape = (rows, columns, samples, bits)
    ours = [rle.encode_frame(f, *shape) for f in raw]
    assert all(rle.encode_frame(f, *shape, use_numpy=False) == e for f, e in zip(raw, ours))
    runner = SimpleNamespace(bits_allocated=bits, samples_per_pixel=samples, columns=columns,
                             rows=rows, get_option=lambda name, default=None: default)
    pydicom_sizes = sum(len(pydicom_encode(f, runner)) for f in raw)

    def decode(use_numpy):
        def run():
            for f in ours:
                rle.decode_frame(f, *shape, use_numpy=use_numpy)
            return megabytes
        return run

    def encode(use_numpy):
        def run():
            for f in raw:
                rle.encode_frame(f, *shape, use_numpy=use_numpy)
            return megabytes
        return run

    def pydicom_decode():
        for f in ours:
            _rle_decode_frame(f, rows, columns, samples, bits)
        return megabytes

    def pydicom_encode_all():
        for f in raw:
            pydicom_encode(f, runner)
        return megabytes

    py = f"pydicom {pydicom.__version__}"
    decoders = [Contender("dicomcore", decode(True)), Contender("dicomcore (pure)", decode(False)),
                Contender(py, pydicom_decode)]
    encoders = [Contender("dicomcore", encode(True)), Contender("dicomcore (pure)", encode(False)),
                Contender(py, pydicom_encode_all)]
    notes_sizes = [f"size: dicomcore {sum(map(len, ours))} bytes, {py} {pydicom_sizes}"]
    try:
        import rle.utils as pylibjpeg_rle  # the pylibjpeg-rle package (Rust)
    except ImportError:
        pylibjpeg_rle = None
    if pylibjpeg_rle is not None and hasattr(pylibjpeg_rle, "decode_frame"):
        from importlib.metadata import version

        name = f"pylibjpeg-rle {version('pylibjpeg-rle')}"

        def lib_decode():
            for f in ours:
                pylibjpeg_rle.decode_frame(f, rows * columns, bits, "<")
            return megabytes

        options = dict(rows=rows, columns=columns, samples_per_pixel=samples,
                       bits_allocated=bits, byteorder="<")

        def lib_encode():
            for f in raw:
                pylibjpeg_rle.encode_pixel_data(f, **options)
            return megabytes

        decoders.append(Contender(name, lib_decode))
        encoders.append(Contender(name, lib_encode))
        lib_size = sum(len(pylibjpeg_rle.encode_pixel_data(f, **options)) for f in raw)
        notes_sizes[0] += f", {name} {lib_size}"
    decoding = measure(f"RLE decode, {label}", "MB", decoders, repeats)
    encoding = measure(f"RLE encode, {label}", "MB", encoders, repeats)
    if pylibjpeg_rle is None:
        for result in (decoding, encoding):
            result.notes.append("pylibjpeg-rle not installed (pip install pylibjpeg-rle)")

    if shutil.which("dcmcrle") and shutil.which("dcmdrle"):
        ds = _dataset(pixels, rows, columns, samples, bits, frames)
        native, compressed = folder / f"{label}-native.dcm", folder / f"{label}-rle.dcm"
        dicomcore.write(native, ds)
        dicomcore.write(compressed, transcode(ds, RLE_UID))
        tiny = _dataset(bytes(samples * bits // 8), 1, 1, samples, bits, 1)
        tiny_native, tiny_rle = folder / "tiny-native.dcm", folder / "tiny-rle.dcm"
        dicomcore.write(tiny_native, tiny)
        dicomcore.write(tiny_rle, transcode(tiny, RLE_UID))
        out = folder / "out.dcm"
        reps = max(3, repeats)
        for result, tool, source, small in ((decoding, "dcmdrle", compressed, tiny_rle),
                                            (encoding, "dcmcrle", native, tiny_native)):
            whole = _dcmtk_time(tool, source, out, reps)
            startup = _dcmtk_time(tool, small, out, reps)
            result.rates[f"dcmtk {tool} (-startup)"] = megabytes / max(whole - startup, 1e-9)
            result.notes.append(f"{tool}: {whole * 1e3:.0f} ms per file run, "
                                f"{startup * 1e3:.0f} ms for a 1x1 image; whole file incl. I/O")
        _dcmtk_time("dcmcrle", native, out, 1)
        theirs = dicomcore.read(out)
        dcmtk_size = sum(map(len, encapsulation.frames(theirs.PixelData, frames)))
        ours_size = sum(map(len, ours))
        notes_sizes[0] += (f", dcmcrle {dcmtk_size}: dicomcore is "
                           f"{100 * (ours_size / dcmtk_size - 1):+.2f}% vs dcmcrle")
    encoding.notes += notes_sizes
    for result in (decoding, encoding):
        ratio = result.rates["dicomcore"] / result.rates[py]
        pure = result.rates["dicomcore (pure)"] / result.rates[py]
        result.notes.append(f"vs {py}: numpy path {ratio:.2f}x, pure path {pure:.2f}x "
                            f"(native {megabytes:.1f} MB)")
    return [decoding, encoding]


def run(quick: bool = False) -> list[Result]:
    repeats = 3 if quick else 7
    frames = 5 if quick else 20
    folder = Path(tempfile.mkdtemp(prefix="dicomcore-bench-rle-"))
    try:
        results = _case(f"CT {frames}x512x512 16-bit", ct_frames(frames), 512, 512, 1, 16,
                        frames, repeats, folder)
        results += _case("RGB 1024x1024 8-bit", rgb_image(), 1024, 1024, 3, 8, 1, repeats,
                         folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results
