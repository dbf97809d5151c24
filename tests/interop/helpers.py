"""Shared pieces of the interop tests: running DCMTK tools, comparing values."""
from __future__ import annotations

import math
import re
import shutil
import struct
import subprocess
from functools import lru_cache
from pathlib import Path

from dicomcore.dataset import transfer_syntax as ts

SYNTAXES = [ts.IMPLICIT_VR_LE, ts.EXPLICIT_VR_LE, ts.EXPLICIT_VR_BE,
            ts.DEFLATED_EXPLICIT_VR_LE]
SYNTAX_IDS = ["implicit", "explicit", "big", "deflated"]
WORD_SIZE = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}

HAVE_DCMTK = shutil.which("dump2dcm") is not None and shutil.which("dcmdump") is not None


def run(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run a DCMTK tool; on failure the assertion shows its output."""
    proc = subprocess.run([str(a) for a in args], capture_output=True, timeout=60)
    if check:
        assert proc.returncode == 0, (args, proc.stdout.decode("latin-1")[-2000:],
                                      proc.stderr.decode("latin-1")[-2000:])
    return proc


_CP246 = re.compile(r"W: Found element \(([0-9a-f]{4}),([0-9a-f]{4})\) with VR UN and "
                    r"undefined length, reading a sequence with transfer syntax "
                    r"LittleEndianImplicit \(CP-246\)")


@lru_cache(maxsize=None)
def dcmtk_dictionary() -> dict[int, str]:
    """DCMTK's data dictionary (exact tags only): tag -> VR.  Empty if not found."""
    found: dict[int, str] = {}
    for folder in sorted(Path("/usr/share").glob("libdcmtk*")) + [Path("/usr/local/share/dcmtk")]:
        path = folder / "dicom.dic"
        if path.exists():
            for line in path.read_text("latin-1").splitlines():
                match = re.match(r"\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)\s+(\S+)", line)
                if match:
                    found[int(match[1] + match[2], 16)] = match[3]
            break
    return found


def _tolerated(line: str) -> bool:
    """A warning caused only by DCMTK's dictionary being older than ours: in implicit VR
    an undefined-length sequence of a tag DCMTK doesn't know is read as UN (CP-246)."""
    match = _CP246.fullmatch(line.strip())
    known = dcmtk_dictionary()
    return bool(match and known and int(match[1] + match[2], 16) not in known)


def dcmdump_clean(path: str | Path, *options: str) -> str:
    """dcmdump ``path``: exit status 0, nothing on stderr, no W:/E: lines; the dump text."""
    proc = run("dcmdump", *options, path, check=False)
    out = proc.stdout.decode("latin-1")
    err = "\n".join(line for line in proc.stderr.decode("latin-1").splitlines()
                    if not _tolerated(line))
    bad = [line for line in out.splitlines() if line.startswith(("W:", "E:", "F:"))]
    assert proc.returncode == 0 and not err.strip() and not bad, (
        f"dcmdump {path}: status {proc.returncode}\nstderr: {err[-3000:]}\n"
        f"flagged: {bad[:20]}\n{out[-3000:]}")
    return out


def swap_words(data: bytes, size: int) -> bytes:
    """Reverse each ``size``-byte word (pydicom keeps big endian OW/OF/... raw)."""
    if size == 1:
        return bytes(data)
    code = {2: "H", 4: "I", 8: "Q"}[size]
    count = len(data) // size
    return struct.pack(f"<{count}{code}", *struct.unpack(f">{count}{code}", data))


def floats_equal(a: float, b: float) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


# --- dicomcore values against pydicom's ----------------------------------------------------

def _empty(value) -> bool:
    if value is None:
        return True
    try:
        return len(value) == 0
    except TypeError:
        return False


def _plain(value):
    """pydicom's value as plain Python: MultiValue -> list, PersonName/UID -> str."""
    from pydicom.multival import MultiValue
    from pydicom.valuerep import PersonName

    if isinstance(value, (MultiValue, list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, PersonName):
        return str(value)
    return value


def _values_equal(ours, theirs, vr: str) -> bool:
    if _empty(ours) and _empty(theirs):
        return True
    if isinstance(ours, list) or isinstance(theirs, list):
        if not isinstance(ours, list) or not isinstance(theirs, list) or len(ours) != len(theirs):
            return False
        return all(_values_equal(a, b, vr) for a, b in zip(ours, theirs))
    if vr in ("DS", "FL", "FD"):
        if isinstance(ours, str) or isinstance(theirs, str):  # a DS kept as text
            return str(ours).strip() == str(theirs).strip()
        return floats_equal(float(ours), float(theirs))
    if vr in ("IS", "AT", "US", "SS", "UL", "SL", "SV", "UV"):
        if isinstance(ours, str) or isinstance(theirs, str):
            return str(ours).strip() == str(theirs).strip()
        return int(ours) == int(theirs)
    if isinstance(ours, (bytes, bytearray)):
        return bytes(ours) == bytes(theirs)
    if vr == "PN":  # trailing empty components and groups may be left out (PS3.5 6.2.1)
        return _pn(ours) == _pn(theirs)
    if vr in ("ST", "LT", "UT", "UR"):  # leading spaces are significant
        return str(ours).rstrip(" ") == str(theirs).rstrip(" ")
    return str(ours).strip(" ") == str(theirs).strip(" ")


def _pn(value) -> str:
    groups = [g.strip(" ").rstrip("^") for g in str(value).split("=")]
    return "=".join(groups).rstrip("=")


def compare_with_pydicom(ours, theirs, big_endian: bool, where: str = "") -> list[str]:
    """Every difference between a dicomcore Dataset and a pydicom Dataset, as text.

    pydicom keeps OW/OF/OL/OD/OV bytes raw as in the file, dicomcore in little endian:
    big endian bytes are swapped before comparing.
    """
    problems: list[str] = []
    ours_tags = [t for t in ours.tags() if t >> 16 != 0x0002]
    theirs_tags = [int(e.tag) for e in theirs if e.tag >> 16 != 0x0002]
    if ours_tags != theirs_tags:
        only_ours = sorted(set(ours_tags) - set(theirs_tags))
        only_theirs = sorted(set(theirs_tags) - set(ours_tags))
        problems.append(f"{where}tags differ: only dicomcore {[hex(t) for t in only_ours]}, "
                        f"only pydicom {[hex(t) for t in only_theirs]}")
    for tag in ours_tags:
        if tag not in theirs:
            continue
        mine = ours[tag]
        other = theirs[tag]
        label = f"{where}({tag >> 16:04X},{tag & 0xFFFF:04X})"
        if mine.vr == "UN" and other.VR == "SQ" and not mine.undefined_length:
            # A sequence written as UN of defined length (PS3.5 6.2.2): pydicom parses
            # it as Implicit VR Little Endian items, dicomcore keeps the bytes.
            from dicomcore.dataset.decode import decode_dataset

            wrapper, _ = decode_dataset(b"\0\0\0\0\xff\xff\xff\xff" + mine.value
                                        + b"\xfe\xff\xdd\xe0\0\0\0\0", True, False)
            problems += compare_with_pydicom(wrapper, _wrap(other), False, label)
            continue
        if mine.vr == "SQ" or other.VR == "SQ":
            if mine.vr != other.VR:
                problems.append(f"{label}: VR {mine.vr} vs pydicom {other.VR}")
                continue
            if len(mine.value) != len(other.value):
                problems.append(f"{label}: {len(mine.value)} items vs {len(other.value)}")
                continue
            for index, (a, b) in enumerate(zip(mine.value, other.value)):
                problems += compare_with_pydicom(a, b, big_endian, f"{label}[{index}].")
            continue
        vr = mine.vr
        mine_value = mine.value
        if vr == "UN" and other.VR != "UN":
            # pydicom gives UN a VR from its dictionaries (private ones included, and
            # public tags written as UN); dicomcore keeps UN as read.  Same bytes?
            from dicomcore.dataset.vr import decode_value

            vr = other.VR
            mine_value = decode_value(vr, mine.value, ours._little, ours._charsets) \
                if mine.value else None
        elif vr != other.VR:
            # Encapsulated Pixel Data is OB (PS3.5 A.4) whatever the file says; an
            # "OB or OW" element read with implicit VR is either, by choice.
            from dicomcore.dataset import dictionary

            either = mine.undefined_length or "OB or OW" in (dictionary.vr_of(tag) or "")
            if not (either and {vr, other.VR} == {"OB", "OW"}):
                problems.append(f"{label}: VR {vr} vs pydicom {other.VR}")
                continue
        theirs_value = _plain(other.value)
        if big_endian and vr in WORD_SIZE and isinstance(theirs_value, bytes) \
                and not mine.undefined_length:
            theirs_value = swap_words(theirs_value, WORD_SIZE[vr])
        if not _values_equal(mine_value, theirs_value, vr):
            problems.append(f"{label} {vr}: {mine_value!r:.200} vs pydicom "
                            f"{theirs_value!r:.200}")
    return problems


def _wrap(element):
    """A pydicom sequence element as the only element of a dataset, tag (0000,0000)."""
    from pydicom import Dataset as PydicomDataset
    from pydicom.dataelem import DataElement as PydicomElement

    outer = PydicomDataset()
    outer.add(PydicomElement(0, "SQ", element.value))
    return outer
