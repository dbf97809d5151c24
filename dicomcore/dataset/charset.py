"""Specific Character Set (0008,0005): defined terms, decoding and encoding of text.

Rules of this module:

1. Reading is tolerant.  ``normalize`` and ``decode`` never raise on what a file
   holds: misspelt or unknown terms, undeclared escape sequences and undecodable
   bytes become a ``CharsetWarning`` and U+FFFD (or Latin-1, see ``decode``).
2. Writing is strict.  ``encode`` raises ``CharsetError`` naming the character
   and the sets when text does not fit the declared repertoire.
3. A value is decoded whole, then split on backslash by the caller: in GBK,
   GB18030 and ISO 2022 multi-byte sets a 0x5C byte can be half of a character
   (PS3.5 6.1.2.3 note 3).
4. Plain values take one ``bytes.decode`` call; the ISO 2022 machinery runs only
   when a value really holds an ESC byte.  Reading files lives on that path.

ISO 2022 here is PS3.5 6.1.2.5: G0 is invoked in GL and G1 in GR at all times,
no shifts, only the ESC sequences of PS3.3 Tables C.12-3 and C.12-4.  Each code
element is decoded with a Python codec: 8-bit sets with their ISO 8859 codec,
KS X 1001 and GB 2312 (2-byte G1) with ``euc_kr`` and ``gb2312``, JIS X 0208 and
JIS X 0212 (2-byte G0) by setting bit 8 of each byte and decoding as ``euc_jp``
(with the 0x8F single-shift prefix for JIS X 0212); ``tests`` check this
against ``iso2022_jp`` and the examples of PS3.5 Annex H.
"""
from __future__ import annotations

import codecs
import importlib
import re
import warnings
from collections.abc import Iterable
from typing import NamedTuple

from dicomcore.errors import CharsetError, CharsetWarning

__all__ = ["normalize", "decode", "encode", "python_codec", "TEXT_VRS", "DEFINED_TERMS"]

# PS3.5 6.1.2.2: only these VRs take the Specific Character Set (UC, like UT, later on).
TEXT_VRS = frozenset({"SH", "LO", "ST", "LT", "UT", "UC", "PN"})

# JIS X 0201 as one 8-bit table: romaji (ISO-IR 14) in GL, katakana (ISO-IR 13) in
# GR.  Decision: 0x5C and 0x7E decode as "\" and "~", not YEN SIGN and OVERLINE, so
# that 0x5C stays the value delimiter the caller splits on (PS3.5 6.1.2.3 note).
_JISX0201 = "dicomcore-jisx0201"  # not a Python codec: see _bdecode/_sencode
_JISX0201_TABLE = (
    "".join(map(chr, range(0x80))) + "\ufffe" * 0x21
    + "".join(chr(0xFF61 + i) for i in range(0x3F)) + "\ufffe" * 0x20
)
_JISX0201_MAP = codecs.charmap_build(_JISX0201_TABLE)


def _bdecode(raw: bytes, codec: str, errors: str = "strict") -> str:
    if codec == _JISX0201:
        return codecs.charmap_decode(raw, errors, _JISX0201_TABLE)[0]
    return raw.decode(codec, errors)


def _sencode(text: str, codec: str) -> bytes:
    if codec == _JISX0201:
        return codecs.charmap_encode(text, "strict", _JISX0201_MAP)[0]
    return text.encode(codec)


def _esc(notation: str) -> bytes:
    """``"ESC 02/04 04/02"`` -> ``b"\\x1b$B"`` (PS3.5 6.1.1: column/row notation)."""
    out = bytearray()
    for token in notation.split():
        if token == "ESC":
            out.append(0x1B)
        else:
            column, row = token.split("/")
            out.append(int(column) * 16 + int(row))
    return bytes(out)


_SET_BIT8 = bytes(b | 0x80 for b in range(256))
_CLEAR_BIT8 = bytes(b & 0x7F for b in range(256))


class _Element:
    """One graphic character set as designated to G0 or G1 by an ESC sequence."""

    __slots__ = ("name", "g", "notation", "escape", "codec", "kind", "_fits")

    def __init__(self, name: str, g: int, notation: str, codec: str, kind: str):
        self.name = name  # ISO-IR registration, e.g. "ISO-IR 87"
        self.g = g  # 0: G0, invoked in GL; 1: G1, invoked in GR (PS3.5 6.1.2.5.1)
        self.notation = notation
        self.escape = _esc(notation)
        self.codec = codec
        self.kind = kind  # "sb" 1 byte, "euc" 2 bytes in GR, "jis"/"jis212" 2 bytes in GL
        self._fits: dict[str, bool] = {}

    def __repr__(self) -> str:
        return f"<{self.name} G{self.g} {self.notation}>"

    def encode_run(self, text: str) -> bytes:
        """Bytes of ``text`` in this set; space and C0 controls pass as one byte."""
        raw = _sencode(text, self.codec)
        if self.kind == "jis212":
            raw = raw.replace(b"\x8f", b"")  # 0x8F is only ever the SS3 prefix in EUC-JP
        if self.kind != "sb" and self.kind != "euc":
            raw = raw.translate(_CLEAR_BIT8)  # EUC-JP GR pair -> JIS GL pair
        return raw

    def decode_run(self, raw: bytes, errors: str = "strict") -> str:
        if self.kind == "jis" or self.kind == "jis212":
            high = raw.translate(_SET_BIT8)
            if self.kind == "jis212":
                high = b"".join(b"\x8f" + high[i:i + 2] for i in range(0, len(high), 2))
            return high.decode("euc_jp", errors)
        return _bdecode(raw, self.codec, errors)

    def fits(self, ch: str) -> bool:
        """True if ``ch`` is a graphic character of this set that decodes back to itself."""
        ok = self._fits.get(ch)
        if ok is None:
            try:
                raw = self.encode_run(ch)
            except UnicodeEncodeError:
                ok = False
            else:
                if self.kind == "sb":
                    ok = len(raw) == 1 and (raw[0] >= 0xA0 if self.g else 0x21 <= raw[0] <= 0x7F)
                elif self.kind == "euc":
                    ok = len(raw) == 2 and raw[0] >= 0xA1 and raw[1] >= 0xA1
                else:
                    ok = len(raw) == 2 and 0x21 <= raw[0] <= 0x7E and 0x21 <= raw[1] <= 0x7E
                # e.g. euc_jp writes U+00A5 as 0x5C, which reads back as "\": refuse
                ok = ok and self.decode_run(raw, "replace") == ch
            if len(self._fits) < 100_000:
                self._fits[ch] = ok
        return ok


# PS3.3 Tables C.12-3 and C.12-4 (and PS3.5 Tables H.1-1, H.1-2, I.1-1, K.1-1).
_ELEMENTS = {e.name: e for e in (
    _Element("ISO-IR 6", 0, "ESC 02/08 04/02", "ascii", "sb"),
    _Element("ISO-IR 14", 0, "ESC 02/08 04/10", "ascii", "sb"),
    _Element("ISO-IR 13", 1, "ESC 02/09 04/09", _JISX0201, "sb"),
    _Element("ISO-IR 100", 1, "ESC 02/13 04/01", "latin_1", "sb"),
    _Element("ISO-IR 101", 1, "ESC 02/13 04/02", "iso8859_2", "sb"),
    _Element("ISO-IR 109", 1, "ESC 02/13 04/03", "iso8859_3", "sb"),
    _Element("ISO-IR 110", 1, "ESC 02/13 04/04", "iso8859_4", "sb"),
    _Element("ISO-IR 144", 1, "ESC 02/13 04/12", "iso8859_5", "sb"),
    _Element("ISO-IR 127", 1, "ESC 02/13 04/07", "iso8859_6", "sb"),
    _Element("ISO-IR 126", 1, "ESC 02/13 04/06", "iso8859_7", "sb"),
    _Element("ISO-IR 138", 1, "ESC 02/13 04/08", "iso8859_8", "sb"),
    _Element("ISO-IR 148", 1, "ESC 02/13 04/13", "iso8859_9", "sb"),
    _Element("ISO-IR 203", 1, "ESC 02/13 06/02", "iso8859_15", "sb"),
    _Element("ISO-IR 166", 1, "ESC 02/13 05/04", "iso8859_11", "sb"),  # TIS 620 + NBSP
    _Element("ISO-IR 87", 0, "ESC 02/04 04/02", "euc_jp", "jis"),
    _Element("ISO-IR 159", 0, "ESC 02/04 02/08 04/04", "euc_jp", "jis212"),
    _Element("ISO-IR 149", 1, "ESC 02/04 02/09 04/03", "euc_kr", "euc"),
    _Element("ISO-IR 58", 1, "ESC 02/04 02/09 04/01", "gb2312", "euc"),
)}
_IR6 = _ELEMENTS["ISO-IR 6"]
_BY_ESCAPE = {e.escape: e for e in _ELEMENTS.values()}
_BY_ESCAPE[_esc("ESC 02/04 02/08 04/02")] = _ELEMENTS["ISO-IR 87"]  # long form, same set


class _Term(NamedTuple):
    python_codec: str | None  # what python_codec() answers
    elements: tuple[str, ...]  # code elements the term brings, G0 first
    iso2022: bool  # an "ISO 2022 ..." defined term


_SB = {100: "latin_1", 101: "iso8859_2", 109: "iso8859_3", 110: "iso8859_4",
       144: "iso8859_5", 127: "iso8859_6", 126: "iso8859_7", 138: "iso8859_8",
       148: "iso8859_9", 203: "iso8859_15", 166: "iso8859_11"}
_TERMS: dict[str, _Term] = {
    "": _Term("ascii", ("ISO-IR 6",), False),  # PS3.5 6.1.2.1: default repertoire
    "ISO 2022 IR 6": _Term("ascii", ("ISO-IR 6",), True),
    "ISO_IR 13": _Term("shift_jis", ("ISO-IR 14", "ISO-IR 13"), False),
    "ISO 2022 IR 13": _Term("shift_jis", ("ISO-IR 14", "ISO-IR 13"), True),
    "ISO 2022 IR 87": _Term("iso2022_jp", ("ISO-IR 87",), True),
    "ISO 2022 IR 159": _Term("iso2022_jp_2", ("ISO-IR 159",), True),
    "ISO 2022 IR 149": _Term("euc_kr", ("ISO-IR 149",), True),
    "ISO 2022 IR 58": _Term("gb2312", ("ISO-IR 58",), True),
    # PS3.3 Table C.12-5: no code extensions, value 1 only.
    "ISO_IR 192": _Term("utf_8", (), False),
    "GB18030": _Term("gb18030", (), False),
    "GBK": _Term("gbk", (), False),
}
for _n, _codec in _SB.items():
    _TERMS[f"ISO_IR {_n}"] = _Term(_codec, ("ISO-IR 6", f"ISO-IR {_n}"), False)
    _TERMS[f"ISO 2022 IR {_n}"] = _Term(_codec, ("ISO-IR 6", f"ISO-IR {_n}"), True)
_VARIABLE = frozenset({"ISO_IR 192", "GB18030", "GBK"})
DEFINED_TERMS = frozenset(_TERMS)  # "" stands for value 1 absent or empty


def python_codec(term: str) -> str | None:
    """The Python codec for one defined term (``""``: the default repertoire), else None.

    For ISO 2022 terms this is the nearest whole-string codec (``iso2022_jp``,
    ``euc_kr``...), good for a value holding that set alone; ``decode`` is the
    way to read a value that mixes sets.  ``ISO_IR 13`` answers ``shift_jis``,
    which agrees with JIS X 0201 on every byte that set defines.
    """
    entry = _TERMS.get(term)
    if entry is None:
        fixed = _fix(term)
        entry = _TERMS.get(fixed) if fixed is not None else None
    return entry.python_codec if entry else None


_ALIASES = {"ASCII": "", "USASCII": "", "UTF8": "ISO_IR 192", "LATIN1": "ISO_IR 100",
            "GB18030": "GB18030", "GBK": "GBK", "CP936": "GBK"}
for _i, _n in ((1, 100), (2, 101), (3, 109), (4, 110), (5, 144), (6, 127), (7, 126),
               (8, 138), (9, 148), (11, 166), (15, 203)):
    _ALIASES[f"ISO8859{_i}"] = f"ISO_IR {_n}"
_IR_FORM = re.compile(r"ISO(2022)?IR(\d+)")


def _fix(term: str) -> str | None:
    """The defined term a miswritten one plainly means, or None if it is unknown."""
    key = re.sub(r"[^0-9A-Z]", "", term.upper())
    if key in _ALIASES:
        return _ALIASES[key]
    m = _IR_FORM.fullmatch(key)
    if m is None:
        return None
    n = int(m.group(2))
    if n == 192:
        return "ISO_IR 192"
    if n in (87, 159, 149, 58):  # these exist only as ISO 2022 terms
        return f"ISO 2022 IR {n}"
    if n == 6:
        return "ISO 2022 IR 6" if m.group(1) else ""
    if n in _SB or n == 13:
        return f"ISO 2022 IR {n}" if m.group(1) else f"ISO_IR {n}"
    return None


def _normalize(value: object) -> tuple[tuple[str, ...], list[str]]:
    if value is None:
        return ("",), []
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("latin_1")
    if isinstance(value, str):
        items: list[object] = value.split("\\")
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        items = [value]
    problems: list[str] = []
    terms: list[str] = []
    for index, item in enumerate(items):
        text = item.decode("latin_1") if isinstance(item, (bytes, bytearray)) else str(item)
        text = text.strip(" \x00")  # CS padding is not significant
        term = text if text in _TERMS else _fix(text)
        if term is None:
            problems.append(f"unknown Specific Character Set {text!r}: "
                            + ("using the default repertoire" if index == 0 else "ignored"))
            term = "" if index == 0 else None
        elif term != text:
            problems.append(f"Specific Character Set {text!r} is not a defined term: using {term!r}")
        if index == 0:
            terms.append(term)  # type: ignore[arg-type]
        elif term and term not in terms:
            terms.append(term)
    if not terms:
        return ("",), problems
    variable = [t for t in terms if t in _VARIABLE]
    if variable and len(terms) > 1:
        # PS3.3 C.12-5: ISO_IR 192, GB18030 and GBK allow no code extensions.
        problems.append(f"{variable[0]!r} allows no other Specific Character Set; "
                        f"ignoring the rest of {terms!r}")
        return (variable[0],), problems
    return tuple(terms), problems


def normalize(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Value(s) of (0008,0005) -> tuple of defined terms, value 1 first.

    ``("",)`` is the default repertoire (ISO-IR 6): absent, empty or unknown
    value 1 all mean it.  Common faults (case, ``_``/``-``/space mixed up,
    ``utf8``, ``ISO_IR 87`` for ``ISO 2022 IR 87``...) are mapped with a
    ``CharsetWarning`` when the meaning is plain, since a reader cannot send the
    file back; unknown terms warn and are dropped.  Never raises.
    """
    terms, problems = _normalize(value)
    for message in problems:
        warnings.warn(message, CharsetWarning, stacklevel=2)
    return terms


class _Plan(NamedTuple):
    """Everything decode/encode need for one tuple of terms, computed once."""

    charsets: tuple[str, ...]
    codec: str  # whole-value codec of value 1, used when no ESC is present
    fast: bool  # codec is a real Python codec (one bytes.decode call)
    escapes: bool  # ESC sequences are recognised (all but the C.12-5 sets)
    extended: bool  # encode through ISO 2022 code extension
    g0: _Element  # PS3.5 6.1.2.5.4: the initial designations
    g1: _Element | None
    elements: tuple[_Element, ...]  # candidates for encoding, in the order of the values


_PLANS: dict[object, _Plan] = {}
_FAST: dict[object, tuple[str, object, bool]] = {}  # (codec, decoder, escapes) of _PLANS
_charmap_decode = codecs.charmap_decode


def _fast_decoder(codec: str) -> tuple[str, object]:
    """(name, None) for codecs bytes.decode finds without a registry look-up,
    (name, table) for 8-bit tables, (name, C decode function) for CJK codecs:
    ``b.decode("iso8859_15")`` costs ~1.5 us in codec look-up alone."""
    if codec in ("ascii", "latin_1", "utf_8"):
        return codec, None
    if codec == _JISX0201:
        return codec, _JISX0201_TABLE
    table = getattr(importlib.import_module("encodings." + codec), "decoding_table", None)
    return codec, table if isinstance(table, str) else codecs.lookup(codec).decode


def _plan(charsets: object) -> _Plan:
    terms, problems = _normalize(charsets)
    for message in problems:
        warnings.warn(message, CharsetWarning, stacklevel=3)
    first = terms[0]
    if first in _VARIABLE:
        codec = _TERMS[first].python_codec or "ascii"
        plan = _Plan(terms, codec, True, False, False, _IR6, None, ())
    else:
        elements: list[_Element] = []
        for term in terms:
            for name in _TERMS[term].elements:
                if _ELEMENTS[name] not in elements:
                    elements.append(_ELEMENTS[name])
        own = [_ELEMENTS[name] for name in _TERMS[first].elements]
        # Value 1 designates G0 and G1; a 2-byte G0 set (IR 87, 159) as value 1
        # leaves ASCII in G0, a 2-byte G1 set (IR 149, 58: a common Korean and
        # Chinese fault) is taken as designated, as EUC-KR/EUC-CN readers do.
        g0 = next((e for e in own if e.g == 0 and e.kind == "sb"), _IR6)
        g1 = next((e for e in own if e.g == 1), None)
        codec = g1.codec if g1 is not None else g0.codec
        extended = len(terms) > 1 or any(e.kind != "sb" for e in own)
        plan = _Plan(terms, codec, codec != _JISX0201, True, extended, g0, g1, tuple(elements))
    if not problems:
        if len(_PLANS) > 256:
            _PLANS.clear()
            _FAST.clear()
        _PLANS[charsets] = plan
        _FAST[charsets] = (*_fast_decoder(plan.codec), plan.escapes)
    return plan


def _warn(message: str) -> None:
    warnings.warn(message, CharsetWarning, stacklevel=4)


def decode(raw: bytes, charsets: tuple[str, ...], vr: str = "LO") -> str:
    """Decode a whole value (all its backslash-separated values at once).

    ``charsets`` is what ``normalize`` returned.  Without ESC bytes the value
    is read with value 1's G0/G1 alone in one ``bytes.decode``; with them the
    ISO 2022 designations are followed (PS3.5 6.1.2.5).  Undecodable bytes give
    U+FFFD and a ``CharsetWarning``, except in the default repertoire, where
    8-bit bytes are read as Latin-1 (nearly always a writer that forgot
    (0008,0005)).  VRs outside ``TEXT_VRS`` ignore the character set.
    """
    if type(raw) is not bytes:
        raw = bytes(raw)
    if vr not in TEXT_VRS:
        return raw.decode("latin_1")  # PS3.5 6.1.2.3: AE, CS, DA... are ISO-IR 6 only
    try:
        fast = _FAST.get(charsets)  # the hot path: one dict look-up, one memchr, one decode
    except TypeError:  # a list
        charsets = tuple(charsets)
        fast = _FAST.get(charsets)
    if fast is not None:
        name, table, escapes = fast
        if not escapes or 27 not in raw:  # 27: ESC; an int needle is a memchr
            try:
                if table is None:
                    return raw.decode(name)
                if type(table) is str:
                    return _charmap_decode(raw, None, table)[0]
                return table(raw)[0]
            except UnicodeDecodeError:
                pass
    plan = _PLANS.get(charsets) or _plan(charsets)
    if not plan.escapes or 27 not in raw:
        return _decode_plain(raw, plan.codec, plan.charsets)
    return _decode_2022(raw, plan)


def _decode_plain(raw: bytes, codec: str, charsets: tuple[str, ...]) -> str:
    try:
        return _bdecode(raw, codec)
    except UnicodeDecodeError as e:
        bad = raw[e.start:e.end].hex(" ").upper()
        if codec == "ascii":
            _warn(f"byte(s) {bad} at offset {e.start} outside the default repertoire: "
                  "decoded as Latin-1")
            return raw.decode("latin_1")
        _warn(f"byte(s) {bad} at offset {e.start} undecodable in {_name(charsets)}: "
              "replaced by U+FFFD")
        return _bdecode(raw, codec, "replace")


_ESC_SEQUENCE = re.compile(rb"\x1b[\x20-\x2f]*[\x30-\x7e]?")  # ISO 2022: ESC I... F
_GL_RUNS = re.compile(rb"[\x21-\x7e]+|[^\x21-\x7e]+")
_NEW_LINE = re.compile(rb"[\n\r\x0c]")


def _decode_2022(raw: bytes, plan: _Plan) -> str:
    out: list[str] = []
    g0, g1 = plan.g0, plan.g1
    declared = set(plan.elements)
    declared.add(_IR6)
    pos = 0
    for m in _ESC_SEQUENCE.finditer(raw):
        if m.start() > pos:
            g0 = _decode_segment(raw[pos:m.start()], g0, g1, plan, out)
        element = _BY_ESCAPE.get(m.group())
        if element is None:
            _warn(f"unknown escape sequence {m.group()!r} at offset {m.start()}: replaced by U+FFFD")
            out.append("\ufffd")
        else:
            if element not in declared:
                _warn(f"escape sequence for {element.name} at offset {m.start()} "
                      f"not declared in {_name(plan.charsets)}: used anyway")
            if element.g == 0:
                g0 = element
            else:
                g1 = element
        pos = m.end()
    if pos < len(raw):
        _decode_segment(raw[pos:], g0, g1, plan, out)
    return "".join(out)


def _decode_segment(seg: bytes, g0: _Element, g1: _Element | None, plan: _Plan,
                    out: list[str]) -> _Element:
    """Decode bytes between ESC sequences; return G0 as it is after them."""
    grcodec = g1.codec if g1 is not None else "ascii"  # every G1 codec reads ASCII in GL
    if g0.kind == "sb":
        out.append(_decode_plain(seg, grcodec, plan.charsets))
        return g0
    # PS3.5 6.1.2.5.3: value 1 is active again at the start of each line, so a
    # 2-byte G0 set never runs past CR, LF or FF even if the writer forgot ESC ( B.
    tail = None
    m = _NEW_LINE.search(seg)
    if m is not None:
        seg, tail = seg[:m.start()], seg[m.start():]
    for run in _GL_RUNS.findall(seg):
        if 0x21 <= run[0] <= 0x7E:
            out.append(_decode_pairs(run, g0, plan))
        else:  # SPACE, controls and GR bytes (PS3.5 H.2: SPACE needs no escape)
            out.append(_decode_plain(run, grcodec, plan.charsets))
    if tail is None:
        return g0
    out.append(_decode_plain(tail, grcodec, plan.charsets))  # G1 is left as designated
    return plan.g0


def _decode_pairs(run: bytes, element: _Element, plan: _Plan) -> str:
    extra = ""
    if len(run) % 2:
        _warn(f"{element.name}: odd number of bytes in {run!r}: last one replaced by U+FFFD")
        run, extra = run[:-1], "\ufffd"
    try:
        return element.decode_run(run) + extra
    except UnicodeDecodeError:
        _warn(f"{element.name}: undecodable pair in {run!r}: replaced by U+FFFD")
        return element.decode_run(run, "replace") + extra


_DELIMITERS = frozenset("\\\r\n\x0c\t")
_PN_DELIMITERS = _DELIMITERS | {"^", "="}


def _name(charsets: Iterable[str]) -> str:
    return "Specific Character Set " + repr("\\".join(charsets))


def _unencodable(text: str, index: int, charsets: tuple[str, ...]) -> CharsetError:
    ch = text[index]
    return CharsetError(f"cannot encode {ch!r} (U+{ord(ch):04X}) at index {index} of "
                        f"{text[:40]!r} in {_name(charsets)}")


def encode(text: str, charsets: tuple[str, ...], vr: str = "LO") -> bytes:
    """Encode a whole value (values joined by backslash); the inverse of ``decode``.

    With code extensions each character goes to the set already invoked if it
    fits there, else to the first set, in the order of the values, that holds
    it; ESC sequences designate sets before first use and value 1's sets come
    back before every delimiter and at the end (PS3.5 6.1.2.5.3, 6.2.1.2).
    Raises ``CharsetError`` for a character no declared set holds.
    """
    if vr not in TEXT_VRS:
        try:
            return text.encode("latin_1")
        except UnicodeEncodeError as e:
            raise _unencodable(text, e.start, ("ISO_IR 100",)) from None
    if not isinstance(charsets, (tuple, str)):
        charsets = tuple(charsets)
    plan = _PLANS.get(charsets) or _plan(charsets)
    esc = text.find("\x1b")
    if esc >= 0:  # PS3.5 6.1.3: ESC only starts ISO 2022 control sequences
        raise _unencodable(text, esc, plan.charsets)
    if not plan.extended:
        try:
            return text.encode(plan.codec) if plan.fast else _sencode(text, plan.codec)
        except UnicodeEncodeError as e:
            raise _unencodable(text, e.start, plan.charsets) from None
    return _encode_2022(text, plan, _PN_DELIMITERS if vr == "PN" else _DELIMITERS)


def _encode_2022(text: str, plan: _Plan, delimiters: frozenset[str]) -> bytes:
    init0, init1 = plan.g0, plan.g1
    g0, g1 = init0, init1
    out = bytearray()
    run, start = init0, 0  # text[start:i] is pending, all of it fits in `run`
    for i, ch in enumerate(text):
        if ch in delimiters:
            if i > start:
                out += run.encode_run(text[start:i])
            # PS3.5 6.1.2.5.3: delimiters return to the initial code elements
            if g0 is not init0:
                out += init0.escape
            if g1 is not init1 and init1 is not None:
                out += init1.escape
            g0, g1 = init0, init1  # a G1 without initial set is deemed undesignated (I.2)
            out.append(ord(ch))
            run, start = init0, i + 1
            continue
        if ch < "!" or run.fits(ch):  # SPACE and C0 fit every set (PS3.5 H.2)
            continue
        if g0.fits(ch):
            element = g0
        elif g1 is not None and g1.fits(ch):
            element = g1
        else:
            element = next((e for e in plan.elements if e.fits(ch)), None)
            if element is None:
                raise _unencodable(text, i, plan.charsets)
        if i > start:
            out += run.encode_run(text[start:i])
        run, start = element, i
        if element.g == 0 and element is not g0:
            out += element.escape
            g0 = element
        elif element.g == 1 and element is not g1:
            out += element.escape
            g1 = element
    if start < len(text):
        out += run.encode_run(text[start:])
    # PS3.5 6.2.1.2: the value ends in value 1's character set
    if g0 is not init0:
        out += init0.escape
    if g1 is not init1 and init1 is not None:
        out += init1.escape
    return bytes(out)
