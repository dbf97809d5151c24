"""DCMTK as the other side: files dump2dcm/dcmconv write are read by dicomcore with the
values the dump says, and files dicomcore writes are read by dcmdump without complaint.

Each dump below is written in dcmdump's text format next to the values dicomcore must
give back for it, then turned by dump2dcm (and dcmconv) into every native transfer
syntax, with explicit and undefined lengths, with and without group lengths, with and
without File Meta Information.
"""
from __future__ import annotations

import io
import re
import shutil
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import dicomcore
from dicomcore import Dataset
from dicomcore.dataset import transfer_syntax as ts
from dicomcore.dataset.valuerep import DS, IS
from dicomcore.fuzz.datasets import datasets

from .helpers import SYNTAX_IDS, SYNTAXES, dcmdump_clean, run

pytestmark = pytest.mark.skipif(shutil.which("dump2dcm") is None, reason="DCMTK not installed")

SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"
CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"


# --- dumps and the values they stand for ------------------------------------------------

@dataclass
class E:
    """One element: the dump's text after the VR, and the value dicomcore must give.

    ``ivr``/``ivalue``: VR and value when read from an implicit VR file, if different
    (private elements are UN there; multi-VR tags resolve by Pixel Representation).
    DS and IS expectations are the text: the number must equal it and keep it.
    """
    tag: int
    vr: str
    dump: str
    value: Any
    ivr: str | None = None
    ivalue: Any = None


@dataclass
class S:
    tag: int
    items: list = field(default_factory=list)  # list of lists of E/S
    vr: str = "SQ"


def _dump_lines(elems: list, out: list[str]) -> None:
    for el in elems:
        head = f"({el.tag >> 16:04x},{el.tag & 0xFFFF:04x})"
        if isinstance(el, S):
            out.append(f"{head} SQ (Sequence with explicit length #={len(el.items)})")
            for item in el.items:
                out.append(f"(fffe,e000) na (Item with explicit length #={len(item)})")
                _dump_lines(item, out)
                out.append("(fffe,e00d) na (ItemDelimitationItem)")
            out.append("(fffe,e0dd) na (SequenceDelimitationItem)")
        else:
            out.append(f"{head} {el.vr} {el.dump}")


def dump_text(elems: list) -> str:
    lines = ["# written by tests/interop/test_dcmtk_files.py"]
    _dump_lines(elems, lines)
    return "\n".join(lines) + "\n"


def _pack(code: str, *values) -> bytes:
    return struct.pack(f"<{len(values)}{code}", *values)


def _base(sop_class: str = SC_CLASS, instance: str = "1.2.826.0.1.3680043.2.1") -> list:
    return [E(0x00080016, "UI", f"[{sop_class}]", sop_class),
            E(0x00080018, "UI", f"[{instance}]", instance)]


def _ref_early(uid: str) -> list:
    return [E(0x00081150, "UI", f"[{SC_CLASS}]", SC_CLASS),
            E(0x00081155, "UI", f"[{uid}]", uid)]


ALL_VRS = _base() + [
    E(0x00080020, "DA", "[20240131]", "20240131"),
    E(0x0008002A, "DT", "[20240131123456.5+0100]", "20240131123456.5+0100"),
    E(0x00080030, "TM", "[123456.789]", "123456.789"),
    E(0x00080050, "SH", "[ACC 1]", "ACC 1"),
    E(0x00080054, "AE", "[STORESCP]", "STORESCP"),
    E(0x00080060, "CS", "[CT]", "CT"),
    E(0x00080081, "ST", "[Main St. 1\\2]", "Main St. 1\\2"),  # ST is one value: "\" is text
    E(0x00080119, "UC", "[unlimited characters]", "unlimited characters"),
    E(0x00080120, "UR", "[http://example.com/a?b=c]", "http://example.com/a?b=c"),
    E(0x00081161, "UL", "4294967295", 4294967295),
    E(0x00100010, "PN", "[Doe^John^Q^Dr^Jr]", "Doe^John^Q^Dr^Jr"),
    E(0x00100020, "LO", "[PID-001]", "PID-001"),
    E(0x00101010, "AS", "[045Y]", "045Y"),
    E(0x00104000, "LT", "[  indented long text]", "  indented long text"),
    E(0x00180050, "DS", "[1.50]", "1.50"),
    E(0x00180088, "DS", "[+7]", "+7"),
    E(0x00181320, "FL", "-2.25", -2.25),
    E(0x00186020, "SL", "-2147483648", -2147483648),
    E(0x00189087, "FD", "1000.5", 1000.5),
    E(0x00189219, "SS", "-32768", -32768),
    E(0x00200013, "IS", "[-42]", "-42"),
    E(0x00209165, "AT", "(0018,00ff)", 0x001800FF),
    E(0x00280010, "US", "65535", 65535),
    E(0x00281201, "OW", "0102\\fffe", _pack("H", 0x0102, 0xFFFE)),
    E(0x00420011, "OB", "01\\02\\03", b"\x01\x02\x03\x00"),  # odd: DCMTK pads with 00
    E(0x0040A160, "UT", "[unlimited text\\with a backslash]", "unlimited text\\with a backslash"),
    E(0x00660016, "OF", "1.5\\-2.5", _pack("f", 1.5, -2.5)),
    E(0x00660022, "OD", "1.5\\-2.5", _pack("d", 1.5, -2.5)),
    E(0x00660040, "OL", "1\\4294967295", _pack("I", 1, 4294967295)),
    E(0x0072006D, "UN", "0a\\0b", b"\x0a\x0b"),
    E(0x00720081, "OV", "1\\18446744073709551615", _pack("Q", 1, 2**64 - 1)),
    E(0x00720082, "SV", "-9223372036854775808", -2**63),
    E(0x00720083, "UV", "18446744073709551615", 2**64 - 1),
    S(0x00081140, [_ref_early("1.2.3.9")]),
]

MULTI = _base() + [
    E(0x00080008, "CS", "[ORIGINAL\\PRIMARY\\AXIAL]", ["ORIGINAL", "PRIMARY", "AXIAL"]),
    E(0x0008001A, "UI", "[1.2.3\\1.2.4]", ["1.2.3", "1.2.4"]),
    E(0x00080020, "DA", "[20240131\\20240201]", ["20240131", "20240201"]),
    E(0x00080030, "TM", "[1200\\130000.5]", ["1200", "130000.5"]),
    E(0x0008002A, "DT", "[2024\\202401011200]", ["2024", "202401011200"]),
    E(0x00080050, "SH", "[A1\\B2]", ["A1", "B2"]),
    E(0x00080054, "AE", "[AE1\\AE2]", ["AE1", "AE2"]),
    E(0x00080119, "UC", "[a\\b]", ["a", "b"]),
    E(0x00081160, "IS", "[1\\+2\\ 3]", ["1", "+2", "3"]),
    E(0x00081161, "UL", "1\\2\\3", [1, 2, 3]),
    E(0x00101001, "PN", "[A^B\\C^D]", ["A^B", "C^D"]),
    E(0x00101010, "AS", "[045Y\\003M]", ["045Y", "003M"]),
    E(0x00181020, "LO", "[v1\\\\v3]", ["v1", "", "v3"]),  # an empty value among others
    E(0x00181310, "US", "0\\256\\256\\0", [0, 256, 256, 0]),
    E(0x00181320, "FL", "1.5\\-2.25", [1.5, -2.25]),
    E(0x00186020, "SL", "-1\\1", [-1, 1]),
    E(0x00189087, "FD", "1.5\\2.5\\-0.125", [1.5, 2.5, -0.125]),
    E(0x00189219, "SS", "-1\\1", [-1, 1]),
    E(0x00200032, "DS", "[-125.0\\-0.5\\+3e2]", ["-125.0", "-0.5", "+3e2"]),
    E(0x00209165, "AT", "(0018,00ff)\\(0020,0013)", [0x001800FF, 0x00200013]),
    E(0x00280030, "DS", "[0.5\\0.25]", ["0.5", "0.25"]),
    E(0x00280034, "IS", "[1\\2]", ["1", "2"]),
    E(0x00720082, "SV", "-1\\1", [-1, 1]),
    E(0x00720083, "UV", "1\\2", [1, 2]),
    S(0x00081140, [_ref_early("1.2.3.9"), _ref_early("1.2.3.10")]),
]

EMPTY = _base() + [
    E(0x00080020, "DA", "[]", ""),
    E(0x0008002A, "DT", "[]", ""),
    E(0x00080030, "TM", "[]", ""),
    E(0x00080050, "SH", "[]", ""),
    E(0x00080054, "AE", "[]", ""),
    E(0x00080060, "CS", "[]", ""),
    E(0x00080081, "ST", "[]", ""),
    E(0x00080119, "UC", "[]", ""),
    E(0x00080120, "UR", "[]", ""),
    E(0x00081161, "UL", "", None),
    E(0x00100010, "PN", "[]", ""),
    E(0x00100020, "LO", "[]", ""),
    E(0x00101010, "AS", "[]", ""),
    E(0x00104000, "LT", "[]", ""),
    E(0x00180050, "DS", "[]", None),
    E(0x00181320, "FL", "", None),
    E(0x00186020, "SL", "", None),
    E(0x00189087, "FD", "", None),
    E(0x00189219, "SS", "", None),
    E(0x00200013, "IS", "[]", None),
    E(0x00209165, "AT", "", None),
    E(0x00280010, "US", "", None),
    E(0x00281201, "OW", "", b""),
    E(0x00420011, "OB", "", b""),
    E(0x0040A160, "UT", "[]", ""),
    E(0x00660016, "OF", "", b""),
    E(0x00660022, "OD", "", b""),
    E(0x00660040, "OL", "", b""),
    E(0x0072006D, "UN", "", b""),
    E(0x00720081, "OV", "", b""),
    E(0x00720082, "SV", "", None),
    E(0x00720083, "UV", "", None),
    S(0x00081140, []),  # an empty sequence
    S(0x00081115, [[]]),  # a sequence holding one empty item
]


def _ref(uid: str) -> list:
    return [E(0x00081150, "UI", f"[{SC_CLASS}]", SC_CLASS),
            E(0x00081155, "UI", f"[{uid}]", uid)]


NESTED = _base() + [
    E(0x00080060, "CS", "[OT]", "OT"),
    S(0x00081115, [  # ReferencedSeriesSequence: 3 levels, several items
        [E(0x0020000E, "UI", "[1.2.3.1]", "1.2.3.1"),
         S(0x00081140, [_ref("1.2.3.1.1"), _ref("1.2.3.1.2"), []]),
         S(0x00081199, [  # ReferencedSOPSequence holding another sequence
             [E(0x00081150, "UI", f"[{SC_CLASS}]", SC_CLASS),
              S(0x0040A170, [[E(0x00080100, "SH", "[CODE1]", "CODE1"),
                              E(0x00080102, "SH", "[DCM]", "DCM"),
                              E(0x00080104, "LO", "[Meaning]", "Meaning")]])]])],
        [E(0x0020000E, "UI", "[1.2.3.2]", "1.2.3.2"), S(0x00081140, [])],
    ]),
    E(0x00100010, "PN", "[After^Sequence]", "After^Sequence"),
    S(0x00400275, [[E(0x00321060, "LO", "[procedure]", "procedure")]]),
]

PRIVATE = _base() + [
    E(0x00090010, "LO", "[ACME 1.0]", "ACME 1.0"),
    E(0x00090011, "LO", "[OTHER CREATOR]", "OTHER CREATOR"),
    E(0x00091001, "UN", "01\\02\\03\\04", b"\x01\x02\x03\x04"),
    E(0x00091002, "OB", "01\\02\\03", b"\x01\x02\x03\x00", ivr="UN"),
    E(0x00091003, "LO", "[priv text]", "priv text", ivr="UN", ivalue=b"priv text "),
    E(0x00091101, "SL", "-2", -2, ivr="UN", ivalue=_pack("i", -2)),
    E(0x00100010, "PN", "[Public^Between]", "Public^Between"),
    E(0x00110010, "LO", "[ZETA]", "ZETA"),
    E(0x00111010, "US", "7\\8", [7, 8], ivr="UN", ivalue=_pack("H", 7, 8)),
    E(0x7FDF0010, "LO", "[LAST GROUP]", "LAST GROUP"),
    E(0x7FDF1001, "UT", "[tail]", "tail", ivr="UN", ivalue=b"tail"),
    S(0x00081140, [_ref_early("1.2.3.9")]),
]

# Private sequences can only be read back as sequences where the VR is written.
PRIVATE_SQ = _base() + [
    E(0x00290010, "LO", "[ACME SQ]", "ACME SQ"),
    S(0x00291001, [[E(0x00100010, "PN", "[Inside^Private]", "Inside^Private"),
                    E(0x00290010, "LO", "[ACME SQ]", "ACME SQ"),
                    E(0x00291002, "OB", "00\\ff", b"\x00\xff")]]),
]

LATIN1 = [E(0x00080005, "CS", "[ISO_IR 100]", "ISO_IR 100")] + _base() + [
    E(0x00080050, "SH", "[Ça va]", "Ça va"),
    E(0x00080081, "ST", "[Ñandú\\Straße]", "Ñandú\\Straße"),
    E(0x00080119, "UC", "[Ærø\\Øre]", ["Ærø", "Øre"]),
    E(0x00100010, "PN", "[Müller^Jörg]", "Müller^Jörg"),
    E(0x00101001, "PN", "[Åse^Bjørn\\Çelik^Ümit]", ["Åse^Bjørn", "Çelik^Ümit"]),
    E(0x00100020, "LO", "[Größe]", "Größe"),
    E(0x00104000, "LT", "[éèêë àâä]", "éèêë àâä"),
    E(0x0040A160, "UT", "[¿Qué tal? ¡Olé!]", "¿Qué tal? ¡Olé!"),
    S(0x00081115, [[E(0x00081030, "LO", "[Étude crânienne]", "Étude crânienne")]]),
]

UTF8 = [E(0x00080005, "CS", "[ISO_IR 192]", "ISO_IR 192")] + _base() + [
    E(0x00080050, "SH", "[Ελληνικά]", "Ελληνικά"),
    E(0x00080081, "ST", "[русский текст]", "русский текст"),
    E(0x00080119, "UC", "[中文\\한국어]", ["中文", "한국어"]),
    E(0x00100010, "PN", "[Yamada^Tarou=山田^太郎=やまだ^たろう]",
      "Yamada^Tarou=山田^太郎=やまだ^たろう"),
    E(0x00100020, "LO", "[日本語\\テスト]", ["日本語", "テスト"]),
    E(0x00104000, "LT", "[Ünïcödé ✓ 🙂]", "Ünïcödé ✓ 🙂"),
    E(0x0040A160, "UT", "[王小东]", "王小东"),
    S(0x00081115, [[E(0x00081030, "LO", "[Исследование]", "Исследование")]]),
]

_PIXELS = (1, -5, 100, 0, 2, 3)
PIXEL = _base(CT_CLASS) + [
    E(0x00080060, "CS", "[CT]", "CT"),
    E(0x00280002, "US", "1", 1),
    E(0x00280004, "CS", "[MONOCHROME2]", "MONOCHROME2"),
    E(0x00280010, "US", "2", 2),
    E(0x00280011, "US", "3", 3),
    E(0x00280030, "DS", "[0.5\\0.5]", ["0.5", "0.5"]),
    E(0x00280100, "US", "16", 16),
    E(0x00280101, "US", "12", 12),
    E(0x00280102, "US", "11", 11),
    E(0x00280103, "US", "1", 1),
    E(0x00280106, "SS", "-5", -5),  # US or SS: SS by Pixel Representation 1
    E(0x00280107, "SS", "100", 100),
    E(0x00281101, "US", "256\\0\\16", [256, 0, 16]),  # a LUT descriptor: US regardless
    E(0x00281050, "DS", "[40]", "40"),
    E(0x00281051, "DS", "[400]", "400"),
    S(0x00081140, [_ref_early("1.2.3.9")]),
    E(0x7FE00010, "OW", "\\".join(f"{p & 0xFFFF:04x}" for p in _PIXELS),
      _pack("h", *_PIXELS)),
]

DUMPS = {"all_vrs": (ALL_VRS, "ascii"), "multi": (MULTI, "ascii"), "empty": (EMPTY, "ascii"),
         "nested": (NESTED, "ascii"), "private": (PRIVATE, "ascii"),
         "private_sq": (PRIVATE_SQ, "ascii"), "latin1": (LATIN1, "latin-1"),
         "utf8": (UTF8, "utf-8"), "pixel": (PIXEL, "ascii")}
_TS_OPTION = {"implicit": "+ti", "explicit": "+te", "big": "+tb", "deflated": "+td"}
_EXPLICIT = {"implicit": False, "explicit": True, "big": True, "deflated": True}


def _variants() -> list[tuple[str, str, str, tuple]]:
    """(dump, syntax, label, extra dump2dcm options) for every file to make."""
    found = []
    for name in DUMPS:
        for syntax in _TS_OPTION:
            if name == "private_sq" and syntax == "implicit":
                continue
            found.append((name, syntax, "defined", ("+e",)))
            found.append((name, syntax, "undefined", ("-e",)))
        for syntax in ("implicit", "explicit", "big"):
            if name in ("all_vrs", "nested", "utf8", "pixel"):
                found.append((name, syntax, "grouplength", ("+g", "-e")))
                found.append((name, syntax, "nometa", ("-F",)))
    return found


VARIANTS = _variants()


@pytest.fixture(scope="module")
def dcmtk_files(tmp_path_factory) -> dict:
    """Every variant written by dump2dcm, plus a few through dcmconv; key -> path."""
    folder = tmp_path_factory.mktemp("dcmtk")
    files = {}
    for name, (elems, encoding) in DUMPS.items():
        (folder / f"{name}.dump").write_bytes(dump_text(elems).encode(encoding))
    jobs = []
    for name, syntax, label, options in VARIANTS:
        out = folder / f"{name}-{syntax}-{label}.dcm"
        jobs.append(("dump2dcm", _TS_OPTION[syntax], *options, folder / f"{name}.dump", out))
        files[name, syntax, label] = out
    with ThreadPoolExecutor(4) as pool:  # each tool start costs ~0.1 s (its dictionary)
        list(pool.map(lambda job: run(*job), jobs))
        # dcmconv: transcode DCMTK's own explicit file to each syntax, undefined lengths.
        jobs = []
        for name in ("all_vrs", "nested", "latin1", "pixel"):
            for syntax in _TS_OPTION:
                out = folder / f"{name}-{syntax}-dcmconv.dcm"
                jobs.append(("dcmconv", _TS_OPTION[syntax], "-e",
                             files[name, "explicit", "defined"], out))
                files[name, syntax, "dcmconv"] = out
        list(pool.map(lambda job: run(*job), jobs))
    return files


# --- comparing ------------------------------------------------------------------------

def _same(actual: Any, expected: Any, vr: str) -> bool:
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(actual) == len(expected)
                and all(_same(a, e, vr) for a, e in zip(actual, expected)))
    if vr in ("DS", "IS") and isinstance(expected, str):
        kind = DS if vr == "DS" else IS
        number = float(expected) if vr == "DS" else int(expected)
        return isinstance(actual, kind) and actual == number and \
            str(actual) == expected.strip()
    if vr == "AT" and expected is not None:
        return isinstance(actual, int) and int(actual) == expected
    return type(actual) is not bool and actual == expected and \
        (expected is not None or actual is None)


def check(ds: Dataset, elems: list, explicit: bool, where: str = "") -> None:
    """``ds`` holds exactly the dumped elements (plus group lengths), with their values."""
    expected_tags = {el.tag for el in elems}
    extra = [t for t in ds.tags() if t not in expected_tags]
    assert all(t & 0xFFFF == 0 for t in extra), f"{where}: unexpected {[hex(t) for t in extra]}"
    for t in extra:
        assert ds[t].vr == "UL" and isinstance(ds[t].value, int)
    for el in elems:
        assert el.tag in ds, f"{where}: ({el.tag:08X}) missing"
        found = ds[el.tag]
        if isinstance(el, S):
            assert found.vr == "SQ", f"{where}{el.tag:08X}: VR {found.vr}"
            assert len(found.value) == len(el.items), f"{where}{el.tag:08X}: item count"
            for index, (item, spec) in enumerate(zip(found.value, el.items)):
                check(item, spec, explicit, f"{where}{el.tag:08X}[{index}].")
            continue
        vr, value = el.vr, el.value
        if not explicit and el.ivr:
            vr = el.ivr
            value = el.ivalue if el.ivalue is not None else el.value
        assert found.vr == vr, f"{where}({el.tag:08X}): VR {found.vr}, expected {vr}"
        assert _same(found.value, value, vr), \
            f"{where}({el.tag:08X}) {vr}: {found.value!r} != {value!r}"


def check_group_lengths(ds: Dataset, size: int) -> None:
    """Every top-level group length DCMTK wrote equals the bytes of its group."""
    tags = ds.tags()
    starts = [ds[t].offset for t in tags]
    for index, tag in enumerate(tags):
        if tag & 0xFFFF or tag >> 16 == 0x0002:
            continue
        group = tag >> 16
        after = next((i for i in range(index + 1, len(tags)) if tags[i] >> 16 != group), None)
        end = starts[after] if after is not None else size
        gl_elem = ds[tag]
        header_and_value = 12  # 8-byte header (either form for UL) + 4-byte value
        assert gl_elem.value == end - (gl_elem.offset + header_and_value), hex(tag)


# --- DCMTK writes, dicomcore reads --------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS + [
    (name, syntax, "dcmconv", ()) for name in ("all_vrs", "nested", "latin1", "pixel")
    for syntax in _TS_OPTION], ids=lambda v: "-".join(v[:3]))
def test_dcmtk_file_reads_with_dumped_values(dcmtk_files, variant):
    name, syntax, label = variant[:3]
    path = dcmtk_files[name, syntax, label]
    elems = DUMPS[name][0]
    ds = dicomcore.read(path)
    expected_ts = {"implicit": ts.IMPLICIT_VR_LE, "explicit": ts.EXPLICIT_VR_LE,
                   "big": ts.EXPLICIT_VR_BE, "deflated": ts.DEFLATED_EXPLICIT_VR_LE}[syntax]
    assert ds.transfer_syntax == expected_ts
    if label == "nometa":
        assert ds.preamble is None and len(ds.file_meta) == 0
    else:
        assert ds.file_meta.TransferSyntaxUID == expected_ts.uid
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    check(ds, elems, _EXPLICIT[syntax])
    if label == "grouplength":
        assert any(t & 0xFFFF == 0 for t in ds.tags())
        check_group_lengths(ds, path.stat().st_size)
    # Re-reading from bytes and from a file object gives the same dataset.
    assert dicomcore.read(io.BytesIO(path.read_bytes())) == ds


def test_at_least_thirty_varied_files(dcmtk_files):
    assert len({p.read_bytes() for p in dcmtk_files.values()}) >= 30


@pytest.mark.parametrize("name", sorted(DUMPS))
def test_dumps_use_dcmtk_dictionary_vrs(dcmtk_files, name):
    """The expectations are sound: DCMTK finds nothing to warn about in its own files."""
    dcmdump_clean(dcmtk_files[name, "explicit", "defined"])


def test_dicomcore_rewrite_of_dcmtk_files_is_equal(dcmtk_files, tmp_path):
    """Read DCMTK's file, write it in every syntax, read again: the same values."""
    for name in DUMPS:
        original = dicomcore.read(dcmtk_files[name, "explicit", "undefined"])
        for syntax in SYNTAXES:
            if name == "private_sq" and not syntax.explicit_vr:
                continue
            out = tmp_path / f"{name}-{syntax.uid}.dcm"
            dicomcore.write(out, original, transfer_syntax=syntax.uid)
            back = dicomcore.read(out)
            check(back, DUMPS[name][0], syntax.explicit_vr, f"{name} {syntax.name}: ")


# --- dicomcore writes, dcmdump reads ------------------------------------------------------

def ct_like() -> Dataset:
    """A hand-built CT image: pixel data, nested sequences, private tags, charsets."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CT_CLASS
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.2.1125.1"
    ds.StudyDate = "20240131"
    ds.StudyTime = "101010.5"
    ds.Modality = "CT"
    ds.Manufacturer = "dicomcore"
    ds.PatientName = "Müller^Jörg=山田^太郎"
    ds.PatientID = "PID-1"
    ds.PatientBirthDate = ""
    ds.SliceThickness = DS("1.25")
    ds.KVP = DS("120")
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.2.1125.2"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.2.1125.3"
    ds.InstanceNumber = IS("7")
    ds.ImagePositionPatient = [DS("-125.5"), DS("-100"), DS("+30")]
    ds.ImageOrientationPatient = [DS(x) for x in ("1", "0", "0", "0", "1", "0")]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 4
    ds.Columns = 4
    ds.PixelSpacing = [DS("0.5"), DS("0.5")]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 1
    ds.add(0x00280106, "SS", -1024)
    ds.add(0x00280107, "SS", 2047)
    ds.RescaleIntercept = DS("-1024")
    ds.RescaleSlope = DS("1")
    ds.add(0x00209165, "AT", [0x00200032, 0x00181320])
    ds.add(0x00189087, "FD", 1000.0)
    ref = Dataset()
    ref.ReferencedSOPClassUID = CT_CLASS
    ref.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.2.1125.4"
    code = Dataset()
    code.CodeValue = "113691"
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = "Ünïcödé meaning"
    object.__setattr__(code, "undefined_length", True)
    ref.add(0x0040A170, "SQ", [code])
    ds.add(0x00081140, "SQ", [ref, Dataset()]).undefined_length = True
    ds.add(0x00081115, "SQ", [])
    block = ds.private_block(0x0009, "DICOMCORE TEST", create=True)
    block.add(0x01, "UN", b"\x01\x02\x03\x04")
    block.add(0x02, "UN", b"")
    pixels = [(i * 97) % 4096 - 1024 for i in range(16)]
    ds.add(0x7FE00010, "OW", struct.pack("<16h", *pixels))
    return ds


@pytest.mark.parametrize("syntax", SYNTAXES, ids=SYNTAX_IDS)
def test_ct_like_written_by_dicomcore_reads_cleanly_in_dcmdump(syntax, tmp_path):
    path = tmp_path / "ct.dcm"
    dicomcore.write(path, ct_like(), transfer_syntax=syntax.uid)
    out = dcmdump_clean(path, "+L")
    assert f"(0002,0010) UI =" in out
    assert "[PID-1]" in out and "(0020,9165) AT (0020,0032)\\(0018,1320)" in out
    assert "(0028,0106) SS -1024" in out
    # Implicit VR: DCMTK shows a private element it has no dictionary entry for as "??".
    assert re.search(r"\(0009,1001\) (UN|\?\?) 01\\02\\03\\04", out)
    assert "(0040,a170) SQ (Sequence with explicit length #=1)" in out \
        or "(0040,a170) SQ (Sequence with undefined length #=1)" in out
    assert "Item with undefined length #=3" in out
    # dcmdump +W writes Pixel Data as little endian raw: the very pixel bytes we wrote.
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    run("dcmdump", "-q", "+W", raw_dir, path)
    raws = list(raw_dir.iterdir())
    assert len(raws) == 1 and raws[0].read_bytes() == ct_like()[0x7FE00010].value
    # DCMTK's rewrite of our file reads back equal in dicomcore.
    back = tmp_path / "back.dcm"
    run("dcmconv", "+te", path, back)
    assert dicomcore.read(back) == dicomcore.read(path)


@pytest.mark.parametrize("syntax", SYNTAXES, ids=SYNTAX_IDS)
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ds=datasets())
def test_generated_datasets_read_cleanly_in_dcmdump(syntax, tmp_path, ds):
    ds.SOPClassUID = SC_CLASS
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.2.1125.9"
    path = tmp_path / "gen.dcm"
    dicomcore.write(path, ds, transfer_syntax=syntax.uid)
    out = dcmdump_clean(path, "+L")
    assert re.search(r"\(0002,0000\) UL \d+", out)
