"""The DICOM JSON Model (PS3.18 Annex F): datasets to JSON objects and back.

Only the dataset is converted: ``ds.file_meta`` (group 0002) is no part of the
model; Group Length (gggg,0000) elements are dropped both ways (F.2.2).  Where
the annex leaves room, the choices keep ``from_json(to_json(ds)) == ds`` with
the text of every value:

- DS and IS are JSON numbers when the number reads back as the very same text,
  else strings holding the text ("1.50", "+7"): Table F.2.3-1 (2019 on) allows
  "Number or String" to preserve the original format.  SV/UV beyond 2**53 - 1
  are strings, where JavaScript numbers lose digits.
- FL/FD infinities and NaN are no JSON numbers (RFC 8259 6): they are written
  as the strings "Infinity", "-Infinity", "NaN" (an extension, read back).
- Encapsulated Pixel Data: F.2.7 makes InlineBinary the base64 of the Value
  Field, here its Items as kept in memory (as pydicom and DCMfx do).  JSON has
  no transfer syntax, so reading restores undefined length when the bytes of
  (7FE0,0010) are exactly a chain of Items (PS3.5 A.4).
- Specific Character Set is kept as the JSON gives it (as pydicom does).  JSON
  text is Unicode (F.2: UTF-8): non-ASCII text read without (0008,0005) needs
  one (e.g. "ISO_IR 192") before the dataset is written to Part 10.
- Length forms of sequences and items have no place in the model: items read
  back have defined length.

Reading is strict about structure (only ``DecodeError`` escapes, naming the tag
and the items around it) and tolerant about values as the binary decoder is:
DS/IS text that is no number stays text, a PN may be a plain PS3.5 string, and
InlineBinary is read for any VR but SQ (F.2.7: a US LUT as one InlineBinary).
"""
from __future__ import annotations

import base64
import binascii
import json as _json
import math
import re
import struct
from typing import Any, Callable, Optional

from ..errors import DecodeError
from . import charset as _charset
from .dataset import Dataset
from .element import DataElement, DeferredElement
from .tag import ITEM, PIXEL_DATA, Tag
from .uid import UID
from .valuerep import DS, IS, PersonName, format_ds
from .vr import VRS, _str_for, empty_value

BulkDataURI = Callable[[DataElement], str]
BulkDataLoader = Callable[[str], bytes]

_PN_GROUPS = ("Alphabetic", "Ideographic", "Phonetic")  # PS3.18 F.2.2, PS3.5 6.2.1
_BINARY_KINDS = ("bytes", "words")  # OB, UN; OW, OF, OL, OD, OV
_INTEGER_VRS = frozenset({"US", "SS", "UL", "SL", "SV", "UV"})
_SAFE_INTEGER = 2**53 - 1  # the largest integer every JSON reader holds exactly
_HEX8 = re.compile(r"[0-9A-Fa-f]{8}")
_INTEGER_TEXT = re.compile(r"-?[0-9]+")
_SPECIAL_FLOATS = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}
_SPECIFIC_CHARACTER_SET = 0x00080005


# --- dataset -> JSON -------------------------------------------------------------------

def to_json(ds: Dataset, *, indent: Optional[int] = None, **kw: Any) -> str:
    """The DICOM JSON text of ``ds`` (keyword arguments as for :func:`to_json_dict`).

    Always valid JSON (no NaN tokens); non-ASCII text is written as is (F.2: UTF-8).
    """
    return _json.dumps(to_json_dict(ds, **kw), indent=indent, ensure_ascii=False,
                       allow_nan=False)


def to_json_dict(ds: Dataset, *, bulk_data_threshold: Optional[int] = None,
                 bulk_data_uri: Optional[BulkDataURI] = None) -> dict:
    """``ds`` as a DICOM JSON Model object (PS3.18 F.2), ready for ``json.dumps``.

    Binary values (OB OD OF OL OV OW UN) are InlineBinary unless ``bulk_data_uri``
    is given: then each value longer than ``bulk_data_threshold`` bytes (every
    non-empty one when the threshold is None) becomes ``bulk_data_uri(elem)``
    as a BulkDataURI (F.2.6), the caller serving the bytes at that URI.
    """
    out: dict = {}
    for elem in ds:  # tag order is F.2.2's ascending order of the 8-hex-digit names
        if elem.tag & 0xFFFF == 0:
            continue  # PS3.18 F.2.2: Group Length attributes are not included
        out[f"{elem.tag:08X}"] = _attribute(elem, bulk_data_threshold, bulk_data_uri)
    return out


def _attribute(elem: DataElement, threshold: Optional[int],
               uri: Optional[BulkDataURI]) -> dict:
    vr = elem.vr
    obj: dict = {"vr": vr}
    if uri is not None and elem.__class__ is DeferredElement and not elem.is_loaded \
            and VRS[vr].kind in _BINARY_KINDS and (threshold is None or elem.length > threshold):
        obj["BulkDataURI"] = uri(elem)  # F.2.6: the value stays in the file, unread
        return obj
    value = elem.value
    if vr == "SQ":
        if value:  # F.2.2: items are objects, an empty item is {}
            obj["Value"] = [to_json_dict(item, bulk_data_threshold=threshold,
                                         bulk_data_uri=uri) for item in value]
        return obj
    if VRS[vr].kind in _BINARY_KINDS:
        data = bytes(value or b"")
        if not data:  # PS3.18 F.2.5: an empty attribute has no Value, InlineBinary, URI
            return obj
        if uri is not None and (threshold is None or len(data) > threshold):
            obj["BulkDataURI"] = uri(elem)  # F.2.6
        else:
            # F.2.7: one base64 string for the whole Value Field; OW etc. are kept
            # little endian in memory, the byte order of PS3.5's default syntax.
            obj["InlineBinary"] = base64.b64encode(data).decode("ascii")
        return obj
    values = value if isinstance(value, list) else [value]
    if values and values != [None] and values != [""]:  # F.2.5: empty -> no "Value"
        obj["Value"] = [_json_value(vr, v) for v in values]
    return obj


def _json_value(vr: str, v: Any) -> Any:
    if v is None or (isinstance(v, str) and v == ""):
        return None  # PS3.18 F.2.5: an empty value among several is null
    if vr == "PN":
        # F.2.2: only the non-empty component groups, named by PS3.5 6.2.1's groups.
        groups = PersonName(str(v)).groups
        return {name: group for name, group in zip(_PN_GROUPS, groups) if group}
    if vr == "AT":
        return f"{Tag(v):08X}"  # F.2.3: eight uppercase hex digits
    if vr in ("DS", "IS"):
        return _number_or_text(vr, _str_for(vr)(v))
    if vr in ("FL", "FD"):
        number = float(v)
        if math.isfinite(number):
            return number
        return "NaN" if number != number else ("Infinity" if number > 0 else "-Infinity")
    if vr in _INTEGER_VRS:
        number = int(v)
        return str(number) if vr in ("SV", "UV") and abs(number) > _SAFE_INTEGER else number
    return _str_for(vr)(v)  # strings; DA/TM/DT may be datetime objects


def _number_or_text(vr: str, text: str) -> Any:
    """Table F.2.3-1 "Number or String": a number only if it reads back as ``text``."""
    try:
        number = int(text) if _INTEGER_TEXT.fullmatch(text) else float(text)
        if _text_of_number(vr, number) == text:
            return number
    except (ValueError, OverflowError):
        pass
    return text


def _text_of_number(vr: str, number: Any) -> str:
    """The DS/IS text a JSON number stands for: the one rule both directions use."""
    if vr == "IS":
        if isinstance(number, float) and not number.is_integer():
            raise ValueError(f"IS value {number!r} is not an integer")
        return str(int(number))
    if isinstance(number, int) and len(str(number)) <= 16:
        return str(number)
    return format_ds(float(number))  # PS3.5 6.2: DS has at most 16 characters


# --- JSON -> dataset -------------------------------------------------------------------

def from_json(text: str | bytes, *,
              bulk_data_loader: Optional[BulkDataLoader] = None) -> Dataset:
    """The dataset of one DICOM JSON Model object (see :func:`from_json_dict`)."""
    try:
        obj = _json.loads(text)
    except _json.JSONDecodeError as exc:
        raise DecodeError(f"not JSON: {exc.msg}", offset=exc.pos) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of > 4300 digits
        raise DecodeError(f"not usable JSON: {exc}") from None
    return from_json_dict(obj, bulk_data_loader=bulk_data_loader)


def from_json_dict(obj: dict, *,
                   bulk_data_loader: Optional[BulkDataLoader] = None) -> Dataset:
    """The dataset a parsed DICOM JSON Model object describes, values in memory form.

    A BulkDataURI is read with ``bulk_data_loader(uri)``, which returns the Value
    Field bytes (little endian); without a loader it is a DecodeError.  A list
    of results (F.2.1) is not a dataset: decode each of its objects.
    """
    try:
        return _dataset(obj, bulk_data_loader, (), "")
    except RecursionError:
        raise DecodeError("sequences nested too deeply") from None


def _dataset(obj: Any, loader: Optional[BulkDataLoader], charsets: tuple,
             where: str) -> Dataset:
    if not isinstance(obj, dict):
        raise DecodeError(f"{where}expected a JSON object (a dataset), got {_kind(obj)}")
    found = []
    for key in obj:
        if not isinstance(key, str) or not _HEX8.fullmatch(key):
            raise DecodeError(f"{where}attribute name {key!r} is not eight hex digits "
                              "(PS3.18 F.2.2)")
        found.append((int(key, 16), key))
    ds = Dataset()
    for tag, key in sorted(found):
        if tag & 0xFFFF == 0:
            continue  # PS3.18 F.2.2: Group Length has no place in the model
        elem = _element(tag, obj[key], loader, charsets, where)
        ds[tag] = elem
        if tag == _SPECIFIC_CHARACTER_SET:  # for text given as bytes (InlineBinary)
            charsets = _charset.normalize(elem.value)
    return ds


def _element(tag: int, attr: Any, loader: Optional[BulkDataLoader], charsets: tuple,
             where: str) -> DataElement:
    def fail(message: str) -> DecodeError:
        return DecodeError(where + message, tag=tag)

    if not isinstance(attr, dict):
        raise fail(f"expected an attribute object, got {_kind(attr)}")
    vr = attr.get("vr")
    if not isinstance(vr, str) or vr not in VRS:
        raise fail(f"missing or unknown vr {vr!r} (PS3.18 F.2.3)")
    present = [key for key in ("Value", "InlineBinary", "BulkDataURI") if key in attr]
    if len(present) > 1:
        raise fail(f"has both {present[0]} and {present[1]} (PS3.18 F.2.2: at most one)")
    if not present:
        return DataElement(tag, vr, empty_value(vr))  # PS3.18 F.2.5
    key, raw = present[0], attr[present[0]]
    if key == "Value":
        if VRS[vr].kind in _BINARY_KINDS:
            raise fail(f"{vr} values are InlineBinary or BulkDataURI, not Value (F.2.2)")
        if not isinstance(raw, list):
            raise fail(f"Value is {_kind(raw)}, not an array (PS3.18 F.2.4)")
        if vr == "SQ":
            items = [_dataset(item, loader, charsets, f"{where}{Tag(tag)} item {n}: ")
                     for n, item in enumerate(raw, 1)]
            return DataElement(tag, vr, items)
        try:
            values = [_memory_value(vr, v) for v in raw]
        except (ValueError, TypeError, OverflowError) as exc:
            raise fail(str(exc)) from None
        if len(values) != 1:
            return DataElement(tag, vr, values or empty_value(vr))
        single = values[0]
        return DataElement(tag, vr, empty_value(vr) if single == "" else single)
    if vr == "SQ":
        raise fail(f"a sequence cannot be given as {key}")
    if not isinstance(raw, str):
        raise fail(f"{key} is {_kind(raw)}, not a string")
    if key == "InlineBinary":
        try:  # F.2.7; line breaks some encoders insert are no base64 fault
            data = base64.b64decode("".join(raw.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise fail(f"InlineBinary is not base64: {exc}") from None
    else:
        if loader is None:
            raise fail(f"BulkDataURI {raw!r} needs a bulk_data_loader to be read (F.2.6)")
        data = loader(raw)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise fail(f"bulk_data_loader returned {_kind(data)} for {raw!r}, not bytes")
        data = bytes(data)
    return _from_value_field(tag, vr, data, charsets)


def _from_value_field(tag: int, vr: str, data: bytes, charsets: tuple) -> DataElement:
    """A value given as its Value Field bytes (F.2.7: PS3.5 rules, little endian)."""
    if VRS[vr].kind in _BINARY_KINDS:
        encapsulated = tag == PIXEL_DATA and _is_item_chain(data)
        return DataElement(tag, vr, data, undefined_length=encapsulated)
    value = VRS[vr].decode(data, True, charsets) if data else empty_value(vr)
    return DataElement(tag, vr, value)


def _is_item_chain(data: bytes) -> bool:
    """True if ``data`` is exactly a run of Items: encapsulated fragments (PS3.5 A.4)."""
    pos = 0
    while pos + 8 <= len(data):
        group, element, length = struct.unpack_from("<HHI", data, pos)
        if group << 16 | element != ITEM:
            return False
        pos += 8 + length
    return 0 < pos == len(data)


def _memory_value(vr: str, v: Any) -> Any:
    """One JSON array member as the in-memory value (raises ValueError/TypeError)."""
    if isinstance(v, bool):
        raise TypeError(f"{v!r} is no {vr} value")
    if v is None:  # PS3.18 F.2.5: an empty value among several
        if vr in _INTEGER_VRS or vr in ("FL", "FD"):
            raise ValueError(f"null is no {vr} value (binary numbers cannot be empty)")
        return ""
    if vr == "PN":
        if isinstance(v, str):
            return PersonName(v)  # tolerated: the PS3.5 form "Family^Given=..."
        if (not isinstance(v, dict) or not set(v) <= set(_PN_GROUPS)
                or not all(isinstance(group, str) for group in v.values())):
            raise ValueError(f"PN value {v!r} is not an object of Alphabetic, Ideographic "
                             "and Phonetic strings (PS3.18 F.2.2)")
        groups = [v.get(name, "") for name in _PN_GROUPS]
        while groups and not groups[-1]:
            groups.pop()  # PS3.5 6.2.1: trailing empty groups are omitted
        return PersonName("=".join(groups))
    if vr == "AT":
        if not isinstance(v, str) or not _HEX8.fullmatch(v):
            raise ValueError(f"AT value {v!r} is not eight hex digits (PS3.18 F.2.3)")
        return Tag(int(v, 16))
    if vr in ("DS", "IS"):
        kind = DS if vr == "DS" else IS
        if isinstance(v, (int, float)):
            return kind(_text_of_number(vr, v))
        if not isinstance(v, str):
            raise TypeError(f"{vr} value {v!r} is neither a number nor a string")
        text = v.strip()
        try:
            return kind(text) if text else ""
        except (ValueError, OverflowError):
            return text  # kept as text, as the binary decoder keeps it
    if vr in ("FL", "FD"):
        if isinstance(v, str) and v in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[v]
        if not isinstance(v, (int, float)):
            raise TypeError(f"{vr} value {v!r} is not a number")
        return float(v)
    if vr in _INTEGER_VRS:
        if isinstance(v, str) and vr in ("SV", "UV") and _INTEGER_TEXT.fullmatch(v):
            return int(v)  # Table F.2.3-1: SV and UV are "Number or String"
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if not isinstance(v, int):
            raise TypeError(f"{vr} value {v!r} is not an integer")
        return v
    if not isinstance(v, str):
        raise TypeError(f"{vr} value {v!r} is not a string (PS3.18 Table F.2.3-1)")
    return UID(v) if vr == "UI" and v else v


_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
          int: "a number", float: "a number", type(None): "null"}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), type(value).__name__)  # JSON's names, for messages
