"""Specific Character Set: the standard's tables and worked examples, then properties.

Fixtures are PS3.5 Annexes H-K byte for byte (column/row or hex as printed there);
a test checks each listing still appears verbatim in PS3.5.md.
"""
from __future__ import annotations

import codecs
import csv
import functools
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomcore.dataset import charset
from dicomcore.dataset.charset import decode, encode, normalize, python_codec
from dicomcore.errors import CharsetError, CharsetWarning, DicomError

# The standard's tables, copied into the repository by tools/copy_standard.py.
STANDARD = Path(__file__).resolve().parents[1] / "data" / "standard"
needs_standard = pytest.mark.usefixtures()  # the copies are always there
no_warnings = pytest.mark.filterwarnings("error::dicomcore.errors.CharsetWarning")
ESC = b"\x1b"


def cr(notation: str) -> bytes:
    """PS3.5 6.1.1 column/row notation ("05/09 01/11 ...") -> bytes."""
    out = bytearray()
    for token in notation.split():
        if token == "ESC":
            out.append(0x1B)
        else:
            column, row = token.split("/")
            out.append(int(column) * 16 + int(row))
    return bytes(out)


def hx(listing: str) -> bytes:
    """PS3.5 Annex J/K hex listing ("0x57 0x61 ...") -> bytes."""
    return bytes(int(b, 16) for b in listing.split())


def tsv_rows() -> list[dict[str, str]]:
    with (STANDARD / "character-sets.tsv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


# --- PS3.3 C.12.1.1.2 tables (character-sets.tsv) ---------------------------------------

# One character of each code element, as bytes in that element and as text.
SAMPLES = {
    "ISO-IR 6": (b"A", "A"), "ISO-IR 14": (b"A", "A"),
    "ISO-IR 100": (b"\xe9", "é"), "ISO-IR 101": (b"\xb9", "š"), "ISO-IR 109": (b"\xa1", "Ħ"),
    "ISO-IR 110": (b"\xa2", "ĸ"), "ISO-IR 144": (b"\xc6", "Ц"), "ISO-IR 127": (b"\xc7", "ا"),
    "ISO-IR 126": (b"\xe1", "α"), "ISO-IR 138": (b"\xe0", "א"), "ISO-IR 148": (b"\xfd", "ı"),
    "ISO-IR 203": (b"\xa4", "€"), "ISO-IR 166": (b"\xa1", "ก"),
    "ISO-IR 13 + ISO-IR 14": (b"\xb1", "ｱ"), "ISO-IR 13": (b"\xb1", "ｱ"),
    "ISO-IR 87": (b";3", "山"),
    # JIS X 0212 0x3021; the reference is Python's own ISO-2022-JP-2 decoder
    "ISO-IR 159": (b"0!", (b"\x1b$(D0!\x1b(B").decode("iso2022_jp_2")),
    "ISO-IR 149": (b"\xfb\xf3", "洪"), "ISO-IR 58": (b"\xd5\xc5", "张"),
}
VARIABLE_SAMPLES = {"ISO_IR 192": (b"\xe7\x8e\x8b", "王"), "GB18030": (b"\xcd\xf5", "王"),
                    "GBK": (b"\xcd\xf5", "王")}


def _term(row: dict[str, str]) -> str:
    return "" if row["defined_term"] == "(absent)" else row["defined_term"]


@needs_standard
def test_defined_terms_are_the_tables():
    assert charset.DEFINED_TERMS == {_term(r) for r in tsv_rows()}


@needs_standard
def test_escape_sequences_are_the_tables():
    ours = {e.name: e.escape for e in charset._ELEMENTS.values()}
    for row in tsv_rows():
        if row["escape_sequence"] != "-":
            assert ours[row["iso_ir"]] == cr(row["escape_sequence"]), row


@needs_standard
@no_warnings
@pytest.mark.parametrize("row", tsv_rows() if STANDARD.is_dir() else [], ids=lambda r: r["defined_term"])
def test_every_term_normalizes_and_decodes_its_set(row):
    term = _term(row)
    assert normalize(term or None) == (term,)
    assert normalize([term]) == (term,)
    assert python_codec(term) is not None and codecs.lookup(python_codec(term))
    if term in VARIABLE_SAMPLES:
        raw, text = VARIABLE_SAMPLES[term]
        assert decode(raw, (term,)) == text and encode(text, (term,)) == raw
        return
    raw, text = SAMPLES[row["iso_ir"]]
    if row["escape_sequence"] == "-":  # C.12-2: one 8-bit code table, no escapes
        assert decode(raw, (term,)) == text and encode(text, (term,)) == raw
        return
    esc = cr(row["escape_sequence"])  # C.12-3/4: designate it, from the default repertoire
    assert decode(esc + raw, ("", term)) == text
    assert decode(b"x" + esc + raw + b"\x1b(By", ("", term)) == f"x{text}y"
    if row["code_element"] == "G1" or row["bytes"] == "2":
        back = b"\x1b(B" if row["code_element"] == "G0" else b""
        assert encode(text, ("", term)) == esc + raw + back


@pytest.mark.parametrize("term, codec", [
    ("", "ascii"), ("ISO_IR 100", "latin_1"), ("ISO 2022 IR 100", "latin_1"),
    ("ISO_IR 192", "utf_8"), ("GB18030", "gb18030"), ("GBK", "gbk"),
    ("ISO_IR 13", "shift_jis"), ("ISO 2022 IR 87", "iso2022_jp"), ("ISO 2022 IR 149", "euc_kr"),
    ("ISO 2022 IR 58", "gb2312"), ("ISO_IR 166", "iso8859_11"), ("NOT A TERM", None),
])
def test_python_codec(term, codec):
    assert python_codec(term) == codec


# --- normalize: faults tolerated, with a warning ------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("iso_ir 100", ("ISO_IR 100",)), ("ISO-IR 100", ("ISO_IR 100",)),
    ("ISO_IR_100", ("ISO_IR 100",)), ("ISO IR 100", ("ISO_IR 100",)),
    ("ISO_2022_IR_100", ("ISO 2022 IR 100",)), ("iso 2022 ir 87", ("ISO 2022 IR 87",)),
    ("ISO_IR 87", ("ISO 2022 IR 87",)), ("ISO_IR 149", ("ISO 2022 IR 149",)),
    ("utf8", ("ISO_IR 192",)), ("UTF-8", ("ISO_IR 192",)), ("ISO_IR_192", ("ISO_IR 192",)),
    ("ISO 2022 IR 192", ("ISO_IR 192",)), ("gb18030", ("GB18030",)), ("latin1", ("ISO_IR 100",)),
    ("ISO-8859-15", ("ISO_IR 203",)), ("ISO_IR 6", ("",)),
    (["ISO_IR 192", "ISO 2022 IR 87"], ("ISO_IR 192",)),  # C.12-5: value 1 only
    (["", "GBK"], ("GBK",)),
    ("KOI8-R", ("",)), ("ISO_IR 999", ("",)),  # unknown value 1: default repertoire
    (["", "NONSENSE", "ISO 2022 IR 87"], ("", "ISO 2022 IR 87")),  # unknown later: dropped
])
def test_normalize_tolerates_faults_with_a_warning(value, expected):
    with pytest.warns(CharsetWarning):
        assert normalize(value) == expected


@no_warnings
@pytest.mark.parametrize("value, expected", [
    (None, ("",)), ("", ("",)), ([], ("",)), ([""], ("",)), ("ISO_IR 100 ", ("ISO_IR 100",)),
    ("ISO 2022 IR 6\\ISO 2022 IR 87", ("ISO 2022 IR 6", "ISO 2022 IR 87")),
    (["", "ISO 2022 IR 87", "ISO 2022 IR 159"], ("", "ISO 2022 IR 87", "ISO 2022 IR 159")),
    (("ISO 2022 IR 13", "ISO 2022 IR 87"), ("ISO 2022 IR 13", "ISO 2022 IR 87")),
    (["", "ISO 2022 IR 87", "", "ISO 2022 IR 87"], ("", "ISO 2022 IR 87")),
    (b"ISO_IR 192", ("ISO_IR 192",)),
])
def test_normalize_clean_values(value, expected):
    assert normalize(value) == expected


# --- PS3.5 Annexes H-K, byte for byte -------------------------------------------------------

H31 = ("05/09 06/01 06/13 06/01 06/04 06/01 5/14 05/04 06/01 07/02 06/15 07/05 03/13 01/11 "
       "02/04 04/02 03/11 03/03 04/05 04/04 01/11 02/08 04/02 05/14 01/11 02/04 04/02 04/02 "
       "04/00 04/15 03/10 01/11 02/08 04/02 03/13 01/11 02/04 04/02 02/04 06/04 02/04 05/14 "
       "02/04 04/00 01/11 02/08 04/02 05/14 01/11 02/04 04/02 02/04 03/15 02/04 06/13 02/04 "
       "02/06 01/11 02/08 04/02")
H32 = ("13/04 12/15 12/00 13/14 05/14 12/00 13/11 11/03 03/13 01/11 02/04 04/02 03/11 03/03 "
       "04/05 04/04 01/11 02/08 04/10 05/14 01/11 02/04 04/02 04/02 04/00 04/15 03/10 01/11 "
       "02/08 04/10 03/13 01/11 02/04 04/02 02/04 06/04 02/04 05/14 02/04 04/00 01/11 02/08 "
       "04/10 05/14 01/11 02/04 04/02 02/04 03/15 02/04 06/13 02/04 02/06 01/11 02/08 04/10")
I2 = ("04/08 06/15 06/14 06/07 05/14 04/07 06/09 06/12 06/04 06/15 06/14 06/07 03/13 01/11 "
      "02/04 02/09 04/03 15/11 15/03 05/14 01/11 02/04 02/09 04/03 13/01 12/14 13/04 13/07 "
      "03/13 01/11 02/04 02/09 04/03 12/08 10/11 05/14 01/11 02/04 02/09 04/03 11/01 14/06 "
      "11/05 11/15")
J1 = ("0x57 0x61 0x6e 0x67 0x5e 0x58 0x69 0x61 0x6f 0x44 0x6f 0x6e 0x67 0x3d 0xe7 0x8e 0x8b "
      "0x5e 0xe5 0xb0 0x8f 0xe6 0x9d 0xb1 0x3d")
J2 = ("0x54 0x68 0x65 0x20 0x66 0x69 0x72 0x73 0x74 0x20 0x6c 0x69 0x6e 0x65 0x20 0x69 0x6e "
      "0x63 0x6c 0x75 0x64 0x65 0x73 0xe4 0xb8 0xad 0xe6 0x96 0x87 0x2e 0x0d 0x0a 0x54 0x68 "
      "0x65 0x20 0x73 0x65 0x63 0x6f 0x6e 0x64 0x20 0x6c 0x69 0x6e 0x65 0x20 0x69 0x6e 0x63 "
      "0x6c 0x75 0x64 0x65 0x73 0xe4 0xb8 0xad 0xe6 0x96 0x87 0x2c 0x20 0x74 0x6f 0x6f 0x2e "
      "0x0d 0x0a 0x54 0x68 0x65 0x20 0x74 0x68 0x69 0x72 0x64 0x20 0x6c 0x69 0x6e 0x65 0x2e "
      "0x0d 0x0a")
J3 = ("0x57 0x61 0x6e 0x67 0x5e 0x58 0x69 0x61 0x6f 0x44 0x6f 0x6e 0x67 0x3d 0xcd 0xf5 0x5e "
      "0xd0 0xa1 0xb6 0xab 0x3d")
J4 = ("0x54 0x68 0x65 0x20 0x66 0x69 0x72 0x73 0x74 0x20 0x6c 0x69 0x6e 0x65 0x20 0x69 0x6e "
      "0x63 0x6c 0x75 0x64 0x65 0x73 0xd6 0xd0 0xce 0xc4 0x2e 0x0d 0x0a 0x54 0x68 0x65 0x20 "
      "0x73 0x65 0x63 0x6f 0x6e 0x64 0x20 0x6c 0x69 0x6e 0x65 0x20 0x69 0x6e 0x63 0x6c 0x75 "
      "0x64 0x65 0x73 0xd6 0xd0 0xce 0xc4 0x2c 0x20 0x74 0x6f 0x6f 0x2e 0x0d 0x0a 0x54 0x68 "
      "0x65 0x20 0x74 0x68 0x69 0x72 0x64 0x20 0x6c 0x69 0x6e 0x65 0x2e 0x0d 0x0a")
K2 = ("0x5A 0x68 0x61 0x6E 0x67 0x5E 0x58 0x69 0x61 0x6F 0x44 0x6F 0x6E 0x67 0x3D 0x1B 0x24 "
      "0x29 0x41 0xD5 0xC5 0xD0 0xA1 0xB6 0xAB 0x1B 0x28 0x42 0x3D 0x20")
K3 = ("0x31 0x2e 0x1B 0x24 0x29 0x41 0xB5 0xDA 0xD2 0xBB 0xD0 0xD0 0xCE 0xC4 0xD7 0xD6 0xA1 "
      "0xA3 0x1B 0x28 0x42 0x0D 0x0A 0x32 0x2e 0x1B 0x24 0x29 0x41 0xB5 0xDA 0xB6 0xFE 0xD0 "
      "0xD0 0xCE 0xC4 0xD7 0xD6 0xA1 0xA3 0x1B 0x28 0x42 0x0D 0x0A 0x33 0x2e 0x1B 0x24 0x29 "
      "0x41 0xB5 0xDA 0xC8 0xFD 0xD0 0xD0 0xCE 0xC4 0xD7 0xD6 0xA1 0xA3 0x1B 0x28 0x42 0x0D "
      "0x0A 0x20")

# The J.2/J.4 listings have no space before 中文 although the text shows one; K.3's
# bytes read "1." where its text shows "1) ": the bytes are the fixture.
J_TEXT = ("The first line includes中文.\r\nThe second line includes中文, too.\r\n"
          "The third line.\r\n")

# (name, listing, bytes, Specific Character Set, VR, text); encode(text) gives the
# bytes back exactly: our encoder makes the choices these examples make.
EXACT = [
    ("H.3.1", H31, cr(H31), ("", "ISO 2022 IR 87"), "PN",
     "Yamada^Tarou=山田^太郎=やまだ^たろう"),
    # the text shows ヤマダ^タロウ in full width; the bytes are JIS X 0201 half width
    ("H.3.2", H32, cr(H32), ("ISO 2022 IR 13", "ISO 2022 IR 87"), "PN",
     "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"),
    ("I.2", I2, cr(I2), ("", "ISO 2022 IR 149"), "PN", "Hong^Gildong=洪^吉洞=홍^길동"),
    ("J.1", J1, hx(J1), ("ISO_IR 192",), "PN", "Wang^XiaoDong=王^小東="),
    ("J.2", J2, hx(J2), ("ISO_IR 192",), "LT", J_TEXT),
    ("J.3", J3, hx(J3), ("GB18030",), "PN", "Wang^XiaoDong=王^小东="),
    ("J.4", J4, hx(J4), ("GB18030",), "LT", J_TEXT),
    # Annex J: the GB18030 examples use only the area GBK shares, so they hold for GBK too
    ("J.3 as GBK", J3, hx(J3), ("GBK",), "PN", "Wang^XiaoDong=王^小东="),
    ("J.4 as GBK", J4, hx(J4), ("GBK",), "LT", J_TEXT),
]
# Annex K writes ESC ( B before "=" and CR LF although G0 never left ASCII; I.2
# writes nothing there for the same G1 structure.  Both are valid and decode the
# same; our encoder (like pydicom's) writes I.2's form, i.e. K without ESC ( B.
REDUNDANT_G0 = [
    ("K.2", K2, hx(K2), ("", "ISO 2022 IR 58"), "PN", "Zhang^XiaoDong=张小东= "),
    ("K.3", K3, hx(K3), ("", "ISO 2022 IR 58"), "LT",
     "1.第一行文字。\r\n2.第二行文字。\r\n3.第三行文字。\r\n "),
]
EXAMPLES = EXACT + REDUNDANT_G0


@needs_standard
@pytest.mark.parametrize("name, listing", [(e[0], e[1]) for e in EXAMPLES])
def test_fixtures_are_verbatim_from_ps3_5(name, listing):
    assert listing in (STANDARD / "PS3.5.md").read_text(encoding="utf-8")


@no_warnings
@pytest.mark.parametrize("name, listing, raw, charsets, vr, text", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_annex_example_decodes(name, listing, raw, charsets, vr, text):
    assert decode(raw, charsets, vr) == text


@no_warnings
@pytest.mark.parametrize("name, listing, raw, charsets, vr, text", EXACT, ids=[e[0] for e in EXACT])
def test_annex_example_encodes_byte_identical(name, listing, raw, charsets, vr, text):
    assert encode(text, charsets, vr) == raw


@no_warnings
@pytest.mark.parametrize("name, listing, raw, charsets, vr, text", REDUNDANT_G0,
                         ids=[e[0] for e in REDUNDANT_G0])
def test_annex_k_encodes_without_the_redundant_escape(name, listing, raw, charsets, vr, text):
    ours = encode(text, charsets, vr)
    assert ours == raw.replace(b"\x1b(B", b"")
    assert decode(ours, charsets, vr) == text


@no_warnings
def test_annex_i3_long_text_without_escapes_between_sets():
    # I.3 gives only the symbolic form: ESC $ ) C at the head of each line, then
    # ASCII and Hangul intermixed (G0 and G1 are both invoked).
    hangul = "한글".encode("euc_kr")
    raw = (b"\x1b$)CThe first line includes " + hangul + b".\r\n"
           b"\x1b$)CThe second line includes " + hangul + b", too.\r\nThe third line")
    text = "The first line includes 한글.\r\nThe second line includes 한글, too.\r\nThe third line"
    charsets = ("", "ISO 2022 IR 149")
    assert decode(raw, charsets, "LT") == text
    # we designate on first use, not at the head of the line: also valid (6.1.2.5.3)
    ours = encode(text, charsets, "LT")
    assert ours == raw.replace(b"\x1b$)CThe", b"The").replace(b"includes ", b"includes \x1b$)C")
    assert decode(ours, charsets, "LT") == text


def test_annex_examples_agree_with_pydicom():
    pydicom_charset = pytest.importorskip("pydicom.charset")
    # pydicom 3.0.2 keeps ESC $ ) A (GB 2312) in the decoded text and writes none: Annex K
    # is left out until it agrees with the standard.
    for name, _, raw, charsets, vr, text in EXACT:
        encodings = pydicom_charset.convert_encodings(list(charsets))
        assert pydicom_charset.decode_bytes(raw, encodings, set()) == text, name


# --- decoding details -----------------------------------------------------------------------

@no_warnings
def test_jis_x_0208_and_0212_agree_with_python_iso2022_jp():
    for esc, codec, term in ((b"$B", "iso2022_jp", "ISO 2022 IR 87"),
                             (b"$(D", "iso2022_jp_2", "ISO 2022 IR 159")):
        pairs = []
        for a in range(0x21, 0x7F):
            for b in range(0x21, 0x7F):
                try:
                    (ESC + esc + bytes((a, b))).decode(codec)
                except UnicodeDecodeError:
                    continue
                pairs.append(bytes((a, b)))
        raw = ESC + esc + b"".join(pairs) + b"\x1b(B"
        assert len(pairs) > 6000
        assert decode(raw, ("", term)) == raw.decode(codec)


@no_warnings
@pytest.mark.parametrize("vr", ["AE", "CS", "DA", "UI", "UR", "AS", "DS", "IS", "TM"])
def test_other_vrs_ignore_the_character_set(vr):
    assert decode(b"ABC\xe9", ("ISO_IR 192",), vr) == "ABC\xe9"
    assert decode(b"\x1b$B;3", ("", "ISO 2022 IR 87"), vr) == "\x1b$B;3"
    assert encode("ABC\xe9", ("ISO_IR 192",), vr) == b"ABC\xe9"


@no_warnings
def test_space_needs_no_escape_in_jis_x_0208():
    # PS3.5 H.2: unlike ISO-2022-JP-2, DICOM writes SPACE inside a 2-byte G0 run
    charsets = ("", "ISO 2022 IR 87")
    assert encode("山 田", charsets) == b"\x1b$B;3 ED\x1b(B"
    assert decode(b"\x1b$B;3 ED\x1b(B", charsets) == "山 田"


@no_warnings
def test_lines_start_in_value_1():
    charsets = ("", "ISO 2022 IR 87")
    # PS3.5 6.1.2.5.3: back to the initial code element before CR LF, TAB, backslash
    assert encode("山\r\n田", charsets, "LT") == b"\x1b$B;3\x1b(B\r\n\x1b$BED\x1b(B"
    assert encode("山\t田", charsets, "LT") == b"\x1b$B;3\x1b(B\t\x1b$BED\x1b(B"
    assert encode("山\\田", charsets, "LO") == b"\x1b$B;3\x1b(B\\\x1b$BED\x1b(B"
    # ...and "^" "=" only delimit in PN
    assert encode("山^田", charsets, "LO") == b"\x1b$B;3\x1b(B^\x1b$BED\x1b(B"
    assert encode("山田", charsets, "PN") == b"\x1b$B;3ED\x1b(B"


def test_a_writer_that_forgot_esc_before_a_new_line():
    # tolerated: a 2-byte G0 set does not run past the end of a line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert decode(b"\x1b$B;3\r\nABC", ("", "ISO 2022 IR 87"), "LT") == "山\r\nABC"


@no_warnings
def test_value_1_designates_g1_throughout():
    # ISO 2022 IR 100 in value 1: Latin-1 is in G1 with no escape; other sets
    # come with one and value 1's set comes back before each delimiter.
    charsets = ("ISO 2022 IR 100", "ISO 2022 IR 144")
    raw = encode("é^Ж^é", charsets, "PN")
    assert raw == b"\xe9^\x1b-L\xb6\x1b-A^\xe9"
    assert decode(raw, charsets, "PN") == "é^Ж^é"


@no_warnings
def test_a_character_stays_in_the_set_already_invoked():
    # 小 is in both KS X 1001 and GB 2312: first listed set, unless GB 2312 is
    # already invoked (fewer escapes; both encodings are valid)
    charsets = ("", "ISO 2022 IR 149", "ISO 2022 IR 58")
    assert encode("小", charsets) == b"\x1b$)C\xe1\xb3"
    assert encode("张小", charsets) == b"\x1b$)A\xd5\xc5\xd0\xa1"
    assert encode("小张", charsets) == b"\x1b$)C\xe1\xb3\x1b$)A\xd5\xc5"


@no_warnings
def test_single_korean_or_chinese_term_reads_as_euc():
    # a common fault: ISO 2022 IR 149 alone, then EUC-KR with no escape at all
    assert decode("홍길동".encode("euc_kr"), ("ISO 2022 IR 149",)) == "홍길동"
    assert encode("홍길동", ("ISO 2022 IR 149",)) == "홍길동".encode("euc_kr")
    assert decode("张小东".encode("gb2312"), ("ISO 2022 IR 58",)) == "张小东"


@no_warnings
def test_iso_ir_13_keeps_backslash_as_the_delimiter():
    charsets = ("ISO_IR 13",)
    assert decode(b"\xb1\\\xb2~", charsets) == "ｱ\\ｲ~"
    assert encode("ｱ\\ｲ~", charsets) == b"\xb1\\\xb2~"
    with pytest.raises(CharsetError):
        encode("¥", charsets)  # would be written 0x5C, i.e. read back as a delimiter


@no_warnings
def test_charsets_may_come_as_a_list():
    assert decode(b"\x1b$B;3\x1b(B", ["", "ISO 2022 IR 87"]) == "山"
    assert encode("山", ["", "ISO 2022 IR 87"]) == b"\x1b$B;3\x1b(B"


def test_plain_values_never_enter_iso_2022(monkeypatch):
    def boom(*args):
        raise AssertionError("ISO 2022 path taken")
    monkeypatch.setattr(charset, "_decode_2022", boom)
    for charsets, raw in ((("",), b"Doe^John"), (("ISO_IR 100",), b"M\xfcller"),
                          (("ISO_IR 192",), "Müller".encode()), (("GBK",), b"\x1b\xcd\xf5"),
                          (("", "ISO 2022 IR 87"), b"Doe^John")):
        decode(raw, charsets, "PN")


# --- faults: warn on reading, raise on writing -----------------------------------------

@pytest.mark.parametrize("raw, charsets, expected", [
    (b"caf\xe9", ("",), "café"),  # default repertoire with 8-bit bytes: read as Latin-1
    (b"caf\xe9", ("KLINGON",), "café"),  # unknown term -> default repertoire
    (b"a\xffb", ("ISO_IR 192",), "a\ufffdb"),
    (b"a\xc3", ("ISO_IR 192",), "a\ufffd"),  # truncated at the end of the value
    (b"\xa0", ("ISO_IR 13",), "\ufffd"),  # not a JIS X 0201 code
    (b"a\xff", ("GBK",), "a\ufffd"),
    (b"\x1b$B;3E\x1b(B", ("", "ISO 2022 IR 87"), "山\ufffd"),  # odd byte count
    (b"\x1b$B\x7e\x7e\x1b(B", ("", "ISO 2022 IR 87"), "\ufffd\ufffd"),  # no such JIS X 0208 code
    (b"a\x1b%Gb", ("", "ISO 2022 IR 87"), "a\ufffdb"),  # unknown escape sequence
    (b"a\x1b", ("", "ISO 2022 IR 87"), "a\ufffd"),  # escape cut short
    (b"\x1b$)C\xfb", ("", "ISO 2022 IR 149"), "\ufffd"),  # half a KS X 1001 pair
    (b"\x1b$)C\xfb\xf3", ("", "ISO 2022 IR 87"), "洪"),  # undeclared set: used anyway
    (b"\xe9\x1b$B;3", ("", "ISO 2022 IR 87"), "é山"),  # GR byte, no G1: Latin-1
])
def test_bad_bytes_warn_and_never_raise(raw, charsets, expected):
    with pytest.warns(CharsetWarning):
        assert decode(raw, charsets) == expected


@pytest.mark.parametrize("text, charsets, vr", [
    ("山", ("ISO_IR 100",), "LO"), ("é", ("",), "PN"), ("ä", ("", "ISO 2022 IR 149"), "LO"),
    ("ä", ("", "ISO 2022 IR 87", "ISO 2022 IR 58"), "PN"), ("a\x1bb", ("ISO_IR 100",), "LO"),
    ("\ud800", ("ISO_IR 192",), "LO"), ("山", ("ISO_IR 192",), "CS"),
    ("ｱ", ("ISO 2022 IR 100", "ISO 2022 IR 87"), "LO"),  # half-width: JIS X 0201 not declared
])
def test_unencodable_text_raises_naming_character_and_sets(text, charsets, vr):
    with pytest.raises(CharsetError) as info:
        encode(text, charsets, vr)
    bad = next(c for c in text if c not in "ab")
    assert repr(bad) in str(info.value)


def test_unencodable_message():
    with pytest.raises(CharsetError, match=r"'山' \(U\+5C71\) at index 1 .*'ISO_IR 100'"):
        encode("a山", ("ISO_IR 100",))


# --- GBK and GB18030: 0x5C as a trail byte ---------------------------------------------------

GBK_5C = [c for c in "乗俓僜刓匼哱嘰圽塡奬" if c.encode("gbk")[1] == 0x5C]


@no_warnings
@pytest.mark.parametrize("term", ["GBK", "GB18030"])
def test_backslash_trail_byte_is_not_a_delimiter(term):
    assert len(GBK_5C) == 10
    values = ["A" + GBK_5C[0], GBK_5C[1] + GBK_5C[2], "王^小东"]
    raw = encode("\\".join(values), (term,), "PN")
    assert raw.count(b"\\") == 5  # 2 delimiters + 3 trail bytes
    assert len(raw.split(b"\\")) != len(values)  # splitting bytes first is wrong...
    assert decode(raw, (term,), "PN").split("\\") == values  # ...decoding first is right


# --- properties ---------------------------------------------------------------------------

def _chars(raws, codec: str) -> set[str]:
    out = set()
    for raw in raws:
        try:
            out.add(raw.decode(codec))
        except UnicodeDecodeError:
            pass
    return out


def _pairs(lo: int, hi: int, prefix: bytes = b"") -> list[bytes]:
    return [prefix + bytes((a, b)) for a in range(lo, hi) for b in range(lo, hi)]


PRINTABLE = {chr(c) for c in range(0x20, 0x7F)}
REPERTOIRES = {  # what each term adds, read with Python's own codecs
    "": PRINTABLE, "ISO 2022 IR 6": PRINTABLE,
    "ISO 2022 IR 13": PRINTABLE | _chars([bytes((b,)) for b in range(0xA1, 0xE0)], "shift_jis"),
    "ISO 2022 IR 87": _chars(_pairs(0xA1, 0xFF), "euc_jp"),
    "ISO 2022 IR 159": _chars(_pairs(0xA1, 0xFF, b"\x8f"), "euc_jp"),
    "ISO 2022 IR 149": _chars(_pairs(0xA1, 0xFF), "euc_kr"),
    "ISO 2022 IR 58": _chars(_pairs(0xA1, 0xFF), "gb2312"),
    "GBK": PRINTABLE | _chars([bytes((a, b)) for a in range(0x81, 0xFF) for b in range(0x40, 0xFF)], "gbk"),
}
REPERTOIRES["ISO_IR 13"] = REPERTOIRES["ISO 2022 IR 13"]
for _n, _codec in charset._SB.items():
    REPERTOIRES[f"ISO_IR {_n}"] = REPERTOIRES[f"ISO 2022 IR {_n}"] = (
        PRINTABLE | _chars([bytes((b,)) for b in range(0xA0, 0x100)], _codec))

COMBINATIONS = [(t,) for t in sorted(REPERTOIRES) if not t.startswith("ISO 2022 IR") or t.endswith((" 6",))]
COMBINATIONS += [
    ("", "ISO 2022 IR 87"), ("", "ISO 2022 IR 87", "ISO 2022 IR 159"),
    ("ISO 2022 IR 13", "ISO 2022 IR 87"), ("ISO 2022 IR 13", "ISO 2022 IR 87", "ISO 2022 IR 159"),
    ("", "ISO 2022 IR 149"), ("", "ISO 2022 IR 58"), ("ISO 2022 IR 149",),
    ("ISO 2022 IR 100", "ISO 2022 IR 144", "ISO 2022 IR 126", "ISO 2022 IR 138"),
    ("ISO 2022 IR 6", "ISO 2022 IR 100", "ISO 2022 IR 87", "ISO 2022 IR 149", "ISO 2022 IR 58"),
    ("ISO 2022 IR 101", "ISO 2022 IR 13", "ISO 2022 IR 159"),
    ("ISO 2022 IR 166", "ISO 2022 IR 149"),
]


@functools.lru_cache(maxsize=None)
def _alphabet(charsets: tuple[str, ...]) -> list[str]:
    chars = set().union(*(REPERTOIRES[t] for t in charsets))
    return sorted(chars - {"\\", "^", "="})


UNICODE = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x1b\\^=")
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=None)
def _text_strategy(charsets):
    if charsets in (("ISO_IR 192",), ("GB18030",)):
        return st.text(UNICODE, max_size=12)
    return st.text(st.sampled_from(_alphabet(charsets)), max_size=12)


@no_warnings
@pytest.mark.parametrize("charsets", COMBINATIONS + [("ISO_IR 192",), ("GB18030",)], ids=str)
@PROPERTY
@given(data=st.data())
def test_roundtrip_pn_multi_valued(charsets, data):
    words = _text_strategy(charsets)
    group = st.lists(words, min_size=1, max_size=5).map("^".join)
    name = st.lists(group, min_size=1, max_size=3).map("=".join)
    values = data.draw(st.lists(name, min_size=1, max_size=3))
    text = "\\".join(values)
    raw = encode(text, charsets, "PN")
    assert decode(raw, charsets, "PN") == text
    assert decode(raw, charsets, "PN").split("\\") == values
    # PS3.5 6.1.2.5.3: every value, group and component starts and ends in value 1's
    # sets, so each encodes alone to the same bytes (bytes cannot simply be split on
    # "^": in JIS X 0208 0x5E is also half of a character)
    parts = [[[encode(c, charsets, "PN") for c in g.split("^")] for g in v.split("=")] for v in values]
    assert raw == b"\\".join(b"=".join(b"^".join(g) for g in v) for v in parts)


@no_warnings
@pytest.mark.parametrize("charsets", COMBINATIONS, ids=str)
@PROPERTY
@given(data=st.data())
def test_roundtrip_text_with_lines(charsets, data):
    words = _text_strategy(charsets)
    lines = data.draw(st.lists(words, min_size=1, max_size=4))
    text = "\r\n".join(lines) + data.draw(st.sampled_from(["", "\\", "^=", "\t", "\x0c"]))
    raw = encode(text, charsets, "LT")
    assert decode(raw, charsets, "LT") == text


@PROPERTY
@given(raw=st.binary(max_size=40),
       terms=st.lists(st.sampled_from(sorted(charset.DEFINED_TERMS) + ["BOGUS", "utf8"]), max_size=3),
       vr=st.sampled_from(["PN", "LO", "CS"]))
def test_hostile_bytes_only_warn(raw, terms, vr):
    # splice in known escape sequences so the ISO 2022 machinery gets exercised
    raw = raw.replace(b"\x00", b"\x1b$B").replace(b"\x01", b"\x1b$)C").replace(b"\x02", b"\x1b(J")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charsets = normalize(terms)
        assert isinstance(decode(raw, charsets, vr), str)
        assert isinstance(decode(raw, tuple(terms), vr), str)
    assert all(issubclass(w.category, CharsetWarning) for w in caught)


@PROPERTY
@given(text=st.text(max_size=20),
       terms=st.lists(st.sampled_from(sorted(charset.DEFINED_TERMS)), min_size=1, max_size=3),
       vr=st.sampled_from(["PN", "LT"]))
def test_any_text_encodes_faithfully_or_raises(text, terms, vr):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CharsetWarning)
        charsets = normalize(terms)
    try:
        raw = encode(text, charsets, vr)
    except DicomError as e:
        assert isinstance(e, CharsetError)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert decode(raw, charsets, vr) == text
