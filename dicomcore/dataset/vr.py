"""The 34 value representations: header form, padding, decoding and encoding.

One table, both directions: every VR is a ``VR`` record holding how its
explicit-VR header is laid out, how its value is padded, and the pair of
functions turning value bytes into Python values and back.

In-memory forms (``value`` of a DataElement):
- text VRs: ``str`` for one value, ``list[str]`` for several, ``""`` when empty;
  DS and IS as :class:`DS`/:class:`IS` numbers, PN as :class:`PersonName`;
- UI: :class:`UID` (a ``str`` that knows its registry name), or a list;
- AT: :class:`Tag` (or a list); binary numbers: int/float (or a list), None when empty;
- OB, UN: ``bytes``; OW, OF, OL, OD, OV: ``bytes`` always in *little endian*
  order, so values compare equal whatever transfer syntax they came from
  (big endian data is swapped on the way in and out, PS3.5 7.3);
- SQ: ``list[Dataset]``.
"""
from __future__ import annotations

import struct
import warnings
from array import array
from typing import Any, Callable

from ..errors import DecodeWarning, EncodeError
from . import charset as _charset
from .tag import Tag
from .uid import UID
from .valuerep import DS, IS, PersonName, format_ds


class VR:
    __slots__ = ("name", "long_length", "pad", "kind", "decode", "encode", "multi")

    def __init__(self, name: str, long_length: bool, pad: bytes, kind: str,
                 decode: Callable, encode: Callable, multi: bool = True):
        self.name = name
        self.long_length = long_length  # PS3.5 7.1.2: 2 reserved bytes + 32-bit length
        self.pad = pad
        self.kind = kind  # "text", "string", "number", "bytes", "words", "tag", "sequence"
        self.decode = decode  # (raw: bytes, little_endian: bool, charsets) -> value
        self.encode = encode  # (value, little_endian: bool, charsets) -> bytes (unpadded)
        self.multi = multi  # backslash-separated values allowed

    def __repr__(self) -> str:
        return f"VR({self.name})"


# PS3.5 7.1.2 Table 7.1-1: these VRs have 2 reserved bytes and a 32-bit length.
LONG_LENGTH_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR",
                             "UT", "UV"})
# VRs whose text is affected by Specific Character Set (PS3.5 6.1.2.3).
TEXT_VRS = frozenset({"SH", "LO", "ST", "LT", "UC", "UT", "PN"})
# Leading spaces are significant for these (PS3.5 Table 6.2-1).
_KEEP_LEADING = frozenset({"ST", "LT", "UT", "UR", "UC"})


# --- strings ---------------------------------------------------------------------------

def _split(text: str, vr: str) -> Any:
    if "\\" not in text:
        return _clean(text, vr)
    return [_clean(part, vr) for part in text.split("\\")]


def _clean(text: str, vr: str) -> str:
    if vr == "UI":
        return text.rstrip("\0 ")
    if vr in _KEEP_LEADING:
        return text.rstrip(" \0")
    return text.strip(" \0")


def _decode_ascii(vr: str, multi: bool) -> Callable:
    def decode(raw: bytes, little: bool, charsets) -> Any:
        # latin-1 never fails: bytes outside the default repertoire are kept
        # visible rather than turned into decode errors (tolerant reading).
        text = raw.decode("latin-1")
        return _split(text, vr) if multi else _clean(text, vr)
    return decode


def _decode_uids(raw: bytes, little: bool, charsets) -> Any:
    # As pydicom: a UID value knows its registry entry (ds.SOPClassUID.name).
    text = raw.decode("latin-1")
    if "\\" not in text:
        return UID(text.rstrip("\0 "))
    return [UID(part.rstrip("\0 ")) for part in text.split("\\")]


def _decode_text(vr: str, multi: bool) -> Callable:
    def decode(raw: bytes, little: bool, charsets) -> Any:
        # Decode the whole value first, then split: in GBK and GB18030 a 0x5C
        # byte may be the second byte of a character (PS3.5 Annex J).
        text = _charset.decode(raw, charsets, vr) if charsets else raw.decode("latin-1")
        if vr == "PN":
            value = _split(text, vr)
            if isinstance(value, list):
                return [PersonName(v) for v in value]
            return PersonName(value)
        return _split(text, vr) if multi else _clean(text, vr)
    return decode


def _join(value: Any, to_text: Callable[[Any], str]) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\\".join(_text(v, to_text) for v in value)
    return _text(value, to_text)


def _text(value: Any, to_text: Callable[[Any], str]) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):  # str() would write its repr
        raise EncodeError(f"a text value must be str, not {type(value).__name__} "
                          f"({bytes(value)[:24]!r})")
    return to_text(value)


def _encode_ascii(vr: str) -> Callable:
    def encode(value: Any, little: bool, charsets) -> bytes:
        text = _join(value, _str_for(vr))
        try:
            return text.encode("ascii")
        except UnicodeEncodeError:
            raise EncodeError(f"{vr} value {text!r} has characters outside the default "
                              "repertoire (ASCII)") from None
    return encode


def _encode_text(vr: str) -> Callable:
    def encode(value: Any, little: bool, charsets) -> bytes:
        text = _join(value, str)
        if not charsets:
            try:
                return text.encode("ascii")
            except UnicodeEncodeError:
                raise EncodeError(
                    f"{vr} value {text!r} is not ASCII and the dataset has no Specific "
                    "Character Set; set SpecificCharacterSet (e.g. 'ISO_IR 192' for UTF-8)"
                ) from None
        return _charset.encode(text, charsets, vr)
    return encode


def _str_for(vr: str) -> Callable[[Any], str]:
    if vr == "DS":
        return _ds_text
    if vr == "IS":
        return _is_text
    if vr in ("DA", "TM", "DT"):
        return _date_text
    return str


def _ds_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return value.to_text() if isinstance(value, DS) else format_ds(float(value))
    except ValueError as exc:  # NaN, infinities
        raise EncodeError(str(exc)) from None


def _is_text(value: Any) -> str:
    if isinstance(value, str) or (isinstance(value, IS) and value.original is not None):
        return str(value)  # text as given or as read: kept
    if isinstance(value, float):
        if value != int(value):
            raise EncodeError(f"IS cannot hold the non-integer {value!r}")
        value = int(value)
    if not -2**31 <= int(value) < 2**31:  # PS3.5 Table 6.2-1
        raise EncodeError(f"IS value {int(value)} is outside -2**31..2**31-1")
    return str(int(value))


def _date_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    from . import valuerep
    import datetime as dt

    if isinstance(value, dt.datetime):
        return valuerep.format_dt(value)
    if isinstance(value, dt.date):
        return valuerep.format_da(value)
    if isinstance(value, dt.time):
        return valuerep.format_tm(value)
    return str(value)


def _decode_number_string(kind: type) -> Callable:
    def convert(text: str) -> Any:
        if not text:
            return text
        try:
            return kind(text)
        except (ValueError, OverflowError):
            warnings.warn(f"{kind.__name__} value {text!r} is not a number; kept as text",
                          DecodeWarning, stacklevel=6)
            return text

    def decode(raw: bytes, little: bool, charsets) -> Any:
        # Only the one padding byte is removed: other spaces are legal (PS3.5 Table 6.2-1)
        # and DS/IS keep them in their original text, so values re-encode byte for byte.
        text = raw.decode("latin-1")
        if text[-1:] in (" ", "\0"):
            text = text[:-1]
        parts = text.split("\\")
        if len(parts) > 1:
            return [convert(v) if v.strip(" \0") else "" for v in parts]
        return convert(text) if text.strip(" \0") else None
    return decode


# --- binary numbers --------------------------------------------------------------------

def _decode_numbers(code: str, size: int) -> Callable:
    def decode(raw: bytes, little: bool, charsets) -> Any:
        count, extra = divmod(len(raw), size)
        if extra:
            warnings.warn(f"value length {len(raw)} is not a multiple of {size}; "
                          f"{extra} trailing byte(s) ignored", DecodeWarning, stacklevel=5)
        if count == 0:
            return None
        values = struct.unpack_from(f"{'<' if little else '>'}{count}{code}", raw)
        return values[0] if count == 1 else list(values)
    return decode


# What each binary number VR holds (PS3.5 Table 6.2-1), for messages: struct's own
# ("ushort format requires 0 <= number <= 65535") names a format, not the VR.
_HOLDS = {"H": "integers 0 to 65535", "h": "integers -32768 to 32767",
          "I": "integers 0 to 4294967295", "i": "integers -2147483648 to 2147483647",
          "Q": "integers 0 to 2**64 - 1", "q": "integers -2**63 to 2**63 - 1",
          "f": "32-bit floats (magnitude at most 3.4e38)", "d": "64-bit floats"}


def _encode_numbers(code: str, vr: str = "") -> Callable:
    def encode(value: Any, little: bool, charsets) -> bytes:
        if value is None:
            return b""
        values = value if isinstance(value, (list, tuple)) else (value,)
        try:
            return struct.pack(f"{'<' if little else '>'}{len(values)}{code}", *values)
        except (struct.error, OverflowError):  # OverflowError: 1e40 as FL
            bad = next((v for v in values if not _packs(code, v)), value)
            raise EncodeError(f"cannot encode {bad!r}: {vr or 'the VR'} holds "
                              f"{_HOLDS[code]}") from None
    return encode


def _packs(code: str, value: Any) -> bool:
    try:
        struct.pack("<" + code, value)
        return True
    except (struct.error, OverflowError):
        return False


def _decode_tags(raw: bytes, little: bool, charsets) -> Any:
    count = len(raw) // 4
    if count == 0:
        return None
    pairs = struct.unpack_from(f"{'<' if little else '>'}{count * 2}H", raw)
    tags = [Tag(pairs[i] << 16 | pairs[i + 1]) for i in range(0, count * 2, 2)]
    return tags[0] if count == 1 else tags


def _encode_tags(value: Any, little: bool, charsets) -> bytes:
    if value is None:
        return b""
    values = value if isinstance(value, (list, tuple)) and not _is_pair(value) else [value]
    flat = []
    for v in values:
        try:
            tag = Tag(v)
        except (ValueError, TypeError) as exc:
            raise EncodeError(f"AT: {exc}") from None
        flat += (tag >> 16, tag & 0xFFFF)
    return struct.pack(f"{'<' if little else '>'}{len(flat)}H", *flat)


def _is_pair(value: Any) -> bool:
    return (isinstance(value, tuple) and len(value) == 2
            and all(isinstance(v, int) for v in value))


# --- bytes -----------------------------------------------------------------------------

def _decode_bytes(raw: bytes, little: bool, charsets) -> bytes:
    return bytes(raw)


def _encode_bytes(value: Any, little: bool, charsets) -> bytes:
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise EncodeError(f"expected bytes, got {type(value).__name__}")


def swap_words(raw: bytes, size: int) -> bytes:
    """Reverse the byte order of each ``size``-byte word (PS3.5 7.3)."""
    if size == 1 or not raw:
        return bytes(raw)
    count = len(raw) // size
    if len(raw) % size:
        raise EncodeError(f"{len(raw)} bytes are not whole {size}-byte words")
    words = array({2: "H", 4: "I", 8: "Q"}[size])
    words.frombytes(raw)
    words.byteswap()
    return words.tobytes()


def _decode_words(size: int) -> Callable:
    def decode(raw: bytes, little: bool, charsets) -> bytes:
        if little:
            return bytes(raw)
        usable = len(raw) - len(raw) % size
        return swap_words(raw[:usable], size) + bytes(raw[usable:])
    return decode


def _encode_words(size: int) -> Callable:
    def encode(value: Any, little: bool, charsets) -> bytes:
        data = _encode_bytes(value, little, charsets)
        return data if little else swap_words(data, size)
    return encode


def _no_codec(raw: bytes, little: bool, charsets) -> Any:
    raise AssertionError("sequences are decoded by the dataset decoder")


# --- the table -------------------------------------------------------------------------

VRS: dict[str, VR] = {}


def _add(name: str, pad: bytes, kind: str, decode: Callable, encode: Callable,
         multi: bool = True) -> None:
    VRS[name] = VR(name, name in LONG_LENGTH_VRS, pad, kind, decode, encode, multi)


for _name in ("AE", "AS", "CS", "DA", "DT", "TM"):
    _add(_name, b" ", "string", _decode_ascii(_name, True), _encode_ascii(_name))
_add("UI", b"\0", "string", _decode_uids, _encode_ascii("UI"))
_add("UR", b" ", "string", _decode_ascii("UR", False), _encode_ascii("UR"), multi=False)
_add("DS", b" ", "string", _decode_number_string(DS), _encode_ascii("DS"))
_add("IS", b" ", "string", _decode_number_string(IS), _encode_ascii("IS"))
for _name in ("SH", "LO", "PN", "UC"):
    _add(_name, b" ", "text", _decode_text(_name, True), _encode_text(_name))
for _name in ("ST", "LT", "UT"):
    _add(_name, b" ", "text", _decode_text(_name, False), _encode_text(_name), multi=False)
_NUMBER_CODES = (("US", "H"), ("SS", "h"), ("UL", "I"), ("SL", "i"), ("FL", "f"), ("FD", "d"),
                 ("SV", "q"), ("UV", "Q"))
for _name, _code in _NUMBER_CODES:
    _add(_name, b"", "number", _decode_numbers(_code, struct.calcsize(_code)),
         _encode_numbers(_code, _name))
_add("AT", b"", "tag", _decode_tags, _encode_tags)
_add("OB", b"\0", "bytes", _decode_bytes, _encode_bytes, multi=False)
_add("UN", b"\0", "bytes", _decode_bytes, _encode_bytes, multi=False)
for _name, _size in (("OW", 2), ("OF", 4), ("OL", 4), ("OD", 8), ("OV", 8)):
    _add(_name, b"\0", "words", _decode_words(_size), _encode_words(_size), multi=False)
_add("SQ", b"", "sequence", _no_codec, _no_codec, multi=False)

WORD_SIZE = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
# Bytes per value of the VRs whose values all have one size (binary numbers, AT; words
# and bytes): a prefix of a whole number of them decodes to a prefix of the value.
FIXED_SIZE = {**{name: struct.calcsize(code) for name, code in _NUMBER_CODES}, "AT": 4,
              "OB": 1, "UN": 1, **WORD_SIZE}
EXPLICIT_VR_CODES = {name.encode("ascii"): name for name in VRS}


def decode_value(vr: str, raw: bytes, little_endian: bool = True, charsets=()) -> Any:
    """Bytes of one element's value to its Python value."""
    return VRS[vr].decode(raw, little_endian, charsets)


def encode_value(vr: str, value: Any, little_endian: bool = True, charsets=()) -> bytes:
    """A Python value to its even-length, padded value bytes (strict: raises EncodeError)."""
    entry = VRS.get(vr)
    if entry is None:
        raise EncodeError(f"unknown VR {vr!r}")
    data = entry.encode(value, little_endian, charsets)
    if len(data) & 1:
        data += entry.pad or b"\0"
    return data


def empty_value(vr: str) -> Any:
    """The value an empty element decodes to, per VR kind."""
    kind = VRS[vr].kind
    if vr in ("DS", "IS"):
        return None
    if vr == "PN":
        return PersonName("")  # as a non-empty one: .groups, .family_name...
    if kind in ("text", "string"):
        return ""
    if kind in ("bytes", "words"):
        return b""
    if kind == "sequence":
        return []
    return None


def coerce(vr: str, value: Any) -> Any:
    """A value set by a user, in the form the decoder would give it back.

    Text for DS and IS becomes :class:`DS`/:class:`IS` (keeping the text), str
    for PN a :class:`PersonName`, so a dataset built by hand compares equal to
    the same dataset read back.  Anything unconvertible is left as given; the
    encoder judges it when writing.
    """
    if isinstance(value, (list, tuple)) and vr not in ("SQ",) and not (
            vr == "AT" and _is_pair(value)):
        return [coerce(vr, v) for v in value]
    if vr == "DS" and isinstance(value, (str, int, float)) and not isinstance(value, DS):
        try:
            return DS(value) if value != "" else None
        except ValueError:
            return value
    if vr == "IS" and isinstance(value, (str, int)) and not isinstance(value, (IS, bool)):
        try:
            return IS(value) if value != "" else None
        except ValueError:
            return value
    if vr == "PN" and isinstance(value, str) and not isinstance(value, PersonName):
        return PersonName(value)
    if vr == "UI" and isinstance(value, str) and value and not isinstance(value, UID):
        return UID(value)
    if vr == "AT" and isinstance(value, (int, tuple)) and not isinstance(value, Tag):
        try:
            return Tag(value)
        except (ValueError, TypeError):
            return value
    return value
