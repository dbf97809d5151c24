"""One 1 GB, 2,000-frame file: dump it, and read it with every non-pixel value.

The file (made here, in a temporary folder, removed afterwards) is an enhanced
multi-frame image: 2,000 frames of 512 x 512 16-bit pixels (1,048,576,000
bytes of Pixel Data) and a Per-frame Functional Groups Sequence of 2,000 items,
so "every non-pixel value" is some 30,000 values in 8,000 datasets.

Each contender runs as its own process under a small Python wrapper that times
it and takes its peak RSS (``getrusage(RUSAGE_CHILDREN).ru_maxrss``), so process
start is in every time, as it is for DCMTK's ``dcmdump``:

- dump: ``dicomcore dump FILE``; pydicom ``print(dcmread(FILE, defer_size=4096))``;
  DCMTK ``dcmdump FILE`` (loads long values, its default) and ``dcmdump -M FILE``
  (leaves them in the file).  Output goes to /dev/null.
- read: ``read(FILE, defer_size=1024)`` and every value but Pixel Data accessed, items
  of sequences too; pydicom the same with ``dcmread(FILE, defer_size=1024)``.

Targets (issue #12, point 7): dicomcore under 100 MB peak RSS and 5 s for each.
Contenders run interleaved, three rounds; the median of each is reported.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import dicomcore

from ..harness import Result

FRAMES = 2000
ROWS = COLUMNS = 512
TARGET_RSS_MB = 100
TARGET_SECONDS = 5.0
_REPO = Path(__file__).resolve().parents[2]

# Runs argv[1:] as a child; prints its wall time and peak RSS (kB).
_WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
elapsed = time.perf_counter() - start
if done.returncode:
    sys.exit(f"{sys.argv[1:]} failed: {done.stderr.decode(errors='replace')[-500:]}")
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""

_READ_DICOMCORE = """
import sys, dicomcore
ds = dicomcore.read(sys.argv[1], defer_size=1024)
n = 0
for _depth, elem in ds.walk():
    if elem.tag != 0x7FE00010:
        elem.value
        n += 1
assert n >= int(sys.argv[2]), n
"""

_READ_PYDICOM = """
import sys, pydicom
def visit(ds):
    n = 0
    for tag in list(ds.keys()):
        if tag == 0x7FE00010:
            continue
        elem = ds[tag]
        n += 1
        if elem.VR == "SQ":
            for item in elem.value:
                n += visit(item)
    return n
n = visit(pydicom.dcmread(sys.argv[1], defer_size=1024))
assert n >= int(sys.argv[2]), n
"""

_DUMP_PYDICOM = """
import sys, pydicom
print(pydicom.dcmread(sys.argv[1], defer_size=4096))
"""


def make_file(folder: Path, frames: int = FRAMES) -> Path:
    """Write the multi-frame file without ever holding its Pixel Data: the dataset
    first, then the Pixel Data element (the last one) appended in 8 MiB steps."""
    ds = dicomcore.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"  # Enhanced CT Image Storage
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.1078.1000.1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1078.1000.2"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.1078.1000.3"
    ds.FrameOfReferenceUID = "1.2.826.0.1.3680043.10.1078.1000.4"
    ds.Modality = "CT"
    ds.PatientName = "Large^File"
    ds.PatientID = "LARGE1"
    ds.StudyDate = "20261204"
    ds.ContentDate = "20261204"
    ds.ContentTime = "120000"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = str(frames)
    ds.Rows = ROWS
    ds.Columns = COLUMNS
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    shared = dicomcore.Dataset()
    measures = dicomcore.Dataset()
    measures.PixelSpacing = ["0.68359375", "0.68359375"]
    measures.SliceThickness = "0.5"
    shared.PixelMeasuresSequence = [measures]
    orientation = dicomcore.Dataset()
    orientation.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    shared.PlaneOrientationSequence = [orientation]
    ds.SharedFunctionalGroupsSequence = [shared]
    per_frame = []
    for n in range(frames):
        item = dicomcore.Dataset()
        content = dicomcore.Dataset()
        content.FrameAcquisitionNumber = n + 1
        content.DimensionIndexValues = [1, n + 1]
        content.FrameAcquisitionDateTime = f"20261204120000.{n:06d}"
        item.FrameContentSequence = [content]
        position = dicomcore.Dataset()
        position.ImagePositionPatient = ["-175", "-175", f"{-500 + n * 0.5:.1f}"]
        item.PlanePositionSequence = [position]
        voi = dicomcore.Dataset()
        voi.WindowCenter = "40"
        voi.WindowWidth = "400"
        item.FrameVOILUTSequence = [voi]
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = per_frame
    path = folder / "large.dcm"
    dicomcore.write(path, ds, transfer_syntax="1.2.840.10008.1.2.1")
    frame = bytes(range(256)) * (ROWS * COLUMNS * 2 // 256)
    step = frame * 16  # 8 MiB
    length = len(frame) * frames
    with open(path, "ab") as f:
        # PS3.5 7.1.2: (7FE0,0010) OW, 2 reserved bytes, 32-bit length.
        f.write(b"\xe0\x7f\x10\x00OW\x00\x00" + length.to_bytes(4, "little"))
        for _ in range(frames // 16):
            f.write(step)
        for _ in range(frames % 16):
            f.write(frame)
    return path


def _run(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one run of ``argv`` in its own process."""
    env = dict(os.environ, PYTHONPATH=str(_REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", _WRAPPER, *argv], capture_output=True,
                          text=True, env=env, timeout=600)
    if done.returncode:
        raise RuntimeError(done.stderr.strip())
    out = done.stdout.split()
    return float(out[0]), int(out[1]) / 1024


def _measure(title: str, contenders: dict, rounds: int) -> Result:
    times: dict = {name: [] for name in contenders}
    peaks: dict = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, argv in contenders.items():
            seconds, rss = _run(argv)
            times[name].append(seconds)
            peaks[name].append(rss)
    result = Result(title, "runs")
    ours = "dicomcore"
    our_time = statistics.median(times[ours])
    our_rss = statistics.median(peaks[ours])
    for name in contenders:
        median = statistics.median(times[name])
        result.rates[name] = 1 / median
        rss = statistics.median(peaks[name])
        ratio = "" if name == ours else (f" (dicomcore: {our_time / median:.2f}x the time, "
                                         f"{our_rss / rss:.2f}x the RSS)")
        result.notes.append(f"{name}: {median:.2f} s, peak RSS {rss:.0f} MB{ratio}")
    met = our_rss < TARGET_RSS_MB and our_time < TARGET_SECONDS
    result.notes.append(f"target < {TARGET_RSS_MB} MB and < {TARGET_SECONDS:.0f} s: "
                        f"{'met' if met else 'NOT met'}")
    return result


def run(quick: bool = False) -> list[Result]:
    import pydicom

    frames = 200 if quick else FRAMES
    rounds = 1 if quick else 3
    folder = Path(tempfile.mkdtemp(prefix="dicomcore-bench-large-"))
    try:
        path = str(make_file(folder, frames))
        size = os.path.getsize(path) / 1e6
        py = sys.executable
        pyd = f"pydicom {pydicom.__version__}"
        dump = {"dicomcore": [py, "-m", "dicomcore", "dump", path],
                pyd: [py, "-c", _DUMP_PYDICOM, path]}
        if os.path.exists("/usr/bin/dcmdump"):
            dump["dcmtk dcmdump"] = ["/usr/bin/dcmdump", path]
            dump["dcmtk dcmdump -M"] = ["/usr/bin/dcmdump", "-M", path]
        values = str(frames * 8)  # at least: 8 elements in each per-frame item
        read = {"dicomcore": [py, "-c", _READ_DICOMCORE, path, values],
                pyd: [py, "-c", _READ_PYDICOM, path, values]}
        label = f"{size:.0f} MB, {frames} frames"
        results = [_measure(f"dump a {label} file", dump, rounds),
                   _measure(f"read a {label} file (defer_size=1024), every non-pixel value",
                            read, rounds)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results
