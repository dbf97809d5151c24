"""Bytes to datasets, in any of the four native encodings.

Rules of this module:
1. Every length read from the data is checked against the bytes actually
   there before anything is sliced or allocated (a lying length is an error
   naming its offset and tag, never a huge allocation or a short read).
2. Values stay raw (``RawElement``) until touched; sequences are walked now,
   since their end is only known by walking them.
3. Only ``DicomError`` subclasses escape; common faults of real files (odd
   lengths, explicit VR in an implicit stream, stray delimiters) are
   tolerated with a ``DecodeWarning``.
4. Data that ends early is a ``TruncatedError``; with ``Options.partial`` the
   same error becomes one ``DecodeWarning`` and the elements complete before
   the cut are returned (an element cut short is left out; a sequence or item
   cut short keeps its complete items and elements).
"""
from __future__ import annotations

import struct
import warnings
from typing import Any, Optional

from ..errors import DecodeError, DecodeWarning, NestingError, TruncatedError
from . import charset as _charset
from . import dictionary
from .dataset import Dataset
from .element import DataElement, RawElement
from .tag import ITEM, ITEM_DELIMITATION, PIXEL_DATA, SEQUENCE_DELIMITATION
from .vr import EXPLICIT_VR_CODES, LONG_LENGTH_VRS

DEFAULT_MAX_DEPTH = 64
UNDEFINED = 0xFFFFFFFF
_SPECIFIC_CHARACTER_SET = 0x00080005

_LE_TAG_LEN = struct.Struct("<HHI")
_BE_TAG_LEN = struct.Struct(">HHI")
_LE_SHORT = struct.Struct("<HH2sH")
_BE_SHORT = struct.Struct(">HH2sH")
_LE_U32 = struct.Struct("<I")
_BE_U32 = struct.Struct(">I")

_implicit_vr_cache: dict[int, str] = {}


def implicit_vr(tag: int) -> str:
    """The VR an implicit-VR element has: the dictionary's, else UN (PS3.5 A.1)."""
    vr = _implicit_vr_cache.get(tag)
    if vr is None:
        vr = dictionary.vr_of(tag) or "UN"
        if vr == "NONE" or not vr:
            vr = "UN"
        if len(_implicit_vr_cache) < 65536:
            _implicit_vr_cache[tag] = vr
    return vr


class Options:
    """What the caller asked for; passed down the recursion unchanged."""

    __slots__ = ("max_depth", "defer_size", "source", "stop_before", "base", "partial", "cut")

    def __init__(self, max_depth: int = DEFAULT_MAX_DEPTH, defer_size: Optional[int] = None,
                 source: Any = None, stop_before: Optional[int] = None, base: int = 0,
                 partial: bool = False):
        self.max_depth = max_depth
        self.defer_size = defer_size  # values longer than this are read on access
        self.source = source  # reads deferred values again (a file path), or None
        self.stop_before = stop_before  # top level: stop at the first tag >= this
        self.base = base  # offset of buf[0] in the stream, for messages and offsets
        self.partial = partial  # data that ends early: keep what was read, warn
        self.cut: Optional[TruncatedError] = None  # where it ended, with partial

    def cut_short(self, error: TruncatedError) -> None:
        """The data ended early: raise ``error``, or with ``partial`` note it (the first
        place found, the outermost element cut) and let the caller stop there."""
        if not self.partial:
            raise error
        if self.cut is None:
            self.cut = error


def decode_dataset(buf: Any, little: bool = True, explicit: bool = True, *,
                   start: int = 0, end: Optional[int] = None, options: Optional[Options] = None,
                   charsets: tuple = ()) -> tuple[Dataset, int]:
    """Decode the elements in ``buf[start:end]``; return the dataset and where it stopped.

    ``buf`` is ``bytes`` or a ``memoryview`` (of an mmap, say).  For a stream
    whose declared encoding is wrong (explicit VR written in an implicit file
    and vice versa) the encoding is sniffed from the first element.
    """
    opts = options or Options()
    end = len(buf) if end is None else end
    if start < end:
        explicit = _sniff_explicit(buf, start, end, little, explicit, opts)
    try:
        found = _decode(buf, start, end, little, explicit, 0, opts, charsets, False, True)
    except RecursionError:  # max_depth set above what the interpreter's stack allows
        raise NestingError(f"sequences nested too deeply for Python's recursion limit "
                           f"(max_depth={opts.max_depth})", offset=opts.base + start) from None
    if opts.cut is not None:
        warnings.warn(f"{opts.cut}; partial read: returning the elements read before it",
                      DecodeWarning, stacklevel=2)
    return found


def _sniff_explicit(buf: Any, pos: int, end: int, little: bool, explicit: bool,
                    opts: Options) -> bool:
    if end - pos < 8:
        return explicit
    code = bytes(buf[pos + 4:pos + 6])
    looks_explicit = code in EXPLICIT_VR_CODES
    if explicit and not looks_explicit:
        warnings.warn(f"offset {opts.base + pos}: expected explicit VR, found implicit VR; "
                      "reading as implicit", DecodeWarning, stacklevel=4)
        return False
    if not explicit and looks_explicit:
        # An implicit length whose low bytes spell a VR is only plausible if it fits.
        length = (_LE_U32 if little else _BE_U32).unpack_from(buf, pos + 4)[0]
        if length != UNDEFINED and pos + 8 + length > end:
            warnings.warn(f"offset {opts.base + pos}: expected implicit VR, found explicit "
                          "VR; reading as explicit", DecodeWarning, stacklevel=4)
            return True
    return explicit


def _decode(buf: Any, pos: int, end: int, little: bool, explicit: bool, depth: int,
            opts: Options, charsets: tuple, in_item: bool, top: bool) -> tuple[Dataset, int]:
    """The element loop.  ``in_item``: an undefined-length item, ended by (FFFE,E00D)."""
    ds = Dataset()
    object.__setattr__(ds, "_little", little)
    elems = ds._elems
    tag_len = (_LE_TAG_LEN if little else _BE_TAG_LEN).unpack_from
    short = (_LE_SHORT if little else _BE_SHORT).unpack_from
    u32 = (_LE_U32 if little else _BE_U32).unpack_from
    codes = EXPLICIT_VR_CODES
    base = opts.base
    defer = opts.defer_size
    stop_before = opts.stop_before if top else None
    copy_values = not isinstance(buf, bytes)
    last_tag = -1

    while pos < end:
        if end - pos < 8:
            opts.cut_short(TruncatedError(f"{end - pos} byte(s) left where an element header "
                                          "(8 bytes at least) was expected", offset=base + pos))
            pos = end
            break
        if explicit:
            group, elem, code, length = short(buf, pos)
            tag = group << 16 | elem
            if stop_before is not None and tag >= stop_before:
                break
            if group == 0xFFFE:
                length = u32(buf, pos + 4)[0]
                vr, header = "NONE", 8
            else:
                vr = codes.get(code)
                if vr is None:
                    vr = _unknown_vr(code, tag, pos, base)
                if vr in LONG_LENGTH_VRS:
                    if end - pos < 12:
                        opts.cut_short(TruncatedError("element header cut short",
                                                      offset=base + pos, tag=tag))
                        pos = end
                        break
                    length = u32(buf, pos + 8)[0]
                    header = 12
                else:
                    header = 8
        else:
            group, elem, length = tag_len(buf, pos)
            tag = group << 16 | elem
            vr = "NONE" if group == 0xFFFE else (_implicit_vr_cache.get(tag)
                                                 or implicit_vr(tag))
            header = 8

        if group == 0xFFFE:
            if tag == ITEM_DELIMITATION and in_item:
                object.__setattr__(ds, "_charsets", charsets)
                return ds, pos + 8
            if tag == ITEM_DELIMITATION or tag == SEQUENCE_DELIMITATION:
                # Tolerated: a stray delimiter where an element belongs (seen in the wild).
                warnings.warn(f"offset {base + pos}: stray delimiter ({group:04X},{elem:04X}) "
                              "skipped", DecodeWarning, stacklevel=2)
                pos += 8
                continue
            raise DecodeError("an Item tag where a data element was expected",
                              offset=base + pos, tag=tag)
        if stop_before is not None and tag >= stop_before:
            break
        if tag <= last_tag:
            warnings.warn(f"offset {base + pos}: element ({group:04X},{elem:04X}) is out of "
                          "ascending order or repeated; the later one is kept",
                          DecodeWarning, stacklevel=2)
        last_tag = tag
        value_start = pos + header

        if length == UNDEFINED:
            if vr == "SQ" or vr == "UN" or (not explicit and vr not in ("OB", "OW")
                                            and tag != PIXEL_DATA):
                # PS3.5 6.2.2: UN of undefined length holds implicit VR LE items.
                as_un = vr == "UN" and explicit
                items, pos = _decode_sequence(
                    buf, value_start, end, True if as_un else little,
                    False if as_un else explicit, depth + 1, opts, charsets, tag)
                elems[tag] = _sequence(ds, tag, items, True, pos, base)
                continue
            if tag == PIXEL_DATA or vr in ("OB", "OW"):
                try:
                    stop = _encapsulated_end(buf, value_start, end, base, tag)
                except TruncatedError as exc:
                    opts.cut_short(exc)
                    pos = end
                    break
                data = buf[value_start:stop]
                elems[tag] = RawElement(tag, "OB" if explicit else vr,
                                        bytes(data) if copy_values else data,
                                        base + pos, stop - value_start, True)
                pos = stop + 8
                continue
            raise DecodeError(f"undefined length is not allowed for VR {vr}",
                              offset=base + pos, tag=tag)

        stop = value_start + length
        if stop > end:
            opts.cut_short(TruncatedError(f"value length {length} runs past the end of the "
                                          f"data ({end - value_start} byte(s) left)",
                                          offset=base + pos, tag=tag))
            if vr != "SQ":
                pos = end  # partial: a value cut short is left out
                break
            stop = end  # partial: the items that are there
        if vr == "SQ":
            items, _ = _decode_sequence(buf, value_start, stop, little, explicit, depth + 1,
                                        opts, charsets, tag, stop == value_start + length)
            elems[tag] = _sequence(ds, tag, items, False, pos, base)
            pos = stop
            continue
        if length & 1:
            warnings.warn(f"offset {base + pos}: ({group:04X},{elem:04X}) has odd value "
                          f"length {length}", DecodeWarning, stacklevel=2)
        # Specific Character Set is never deferred: the text after it is decoded with it.
        if defer is not None and length > defer and opts.source is not None \
                and tag != _SPECIFIC_CHARACTER_SET:
            elems[tag] = RawElement(tag, vr, None, base + pos, length, False, opts.source,
                                    base + value_start)
        else:
            data = buf[value_start:stop]
            if copy_values:
                data = bytes(data)
            elems[tag] = RawElement(tag, vr, data, base + pos, length)
            if tag == _SPECIFIC_CHARACTER_SET:
                charsets = _charset.normalize(
                    [v.strip() for v in bytes(data).decode("latin-1").split("\\")])
        pos = stop

    if in_item and pos >= end:
        opts.cut_short(TruncatedError("data ended inside an item of undefined length (no "
                                      "Item Delimitation Item)", offset=base + pos))
    object.__setattr__(ds, "_charsets", charsets)
    return ds, pos


def _unknown_vr(code: bytes, tag: int, pos: int, base: int) -> str:
    # PS3.5 6.2: VRs defined in the future use the long form of 7.1.2, so an
    # unknown but well-formed code is read as UN with a 32-bit length.
    if len(code) == 2 and code.isalpha() and code.isupper():
        warnings.warn(f"offset {base + pos}: unknown VR {code!r}; read as UN",
                      DecodeWarning, stacklevel=3)
        return "UN"
    raise DecodeError(f"invalid VR bytes {code!r}", offset=base + pos, tag=tag)


def _sequence(ds: Dataset, tag: int, items: list, undefined: bool, pos: int,
              base: int) -> DataElement:
    for item in items:
        object.__setattr__(item, "_parent", ds)
    return DataElement(tag, "SQ", items, undefined_length=undefined, offset=base + pos)


def _decode_sequence(buf: Any, pos: int, end: int, little: bool, explicit: bool, depth: int,
                     opts: Options, charsets: tuple, seq_tag: int,
                     defined_end: bool = False) -> tuple[list, int]:
    """Items of a sequence in ``buf[pos:end]``; an undefined-length one ends at (FFFE,E0DD).

    ``defined_end``: ``end`` is where the sequence's own length says it ends (not
    merely where the data does), so an item running past it may have a stale length.
    Returns the items and the offset after the sequence (after its delimiter).
    """
    if depth > opts.max_depth:
        raise NestingError(f"sequences nested deeper than {opts.max_depth} levels",
                           offset=opts.base + pos, tag=seq_tag)
    tag_len = (_LE_TAG_LEN if little else _BE_TAG_LEN).unpack_from
    base = opts.base
    items: list[Dataset] = []
    while pos < end:
        if end - pos < 8:
            opts.cut_short(TruncatedError(f"{end - pos} byte(s) left where an item header "
                                          "was expected", offset=base + pos, tag=seq_tag))
            return items, end
        group, elem, length = tag_len(buf, pos)
        tag = group << 16 | elem
        if tag == SEQUENCE_DELIMITATION:
            return items, pos + 8
        if tag != ITEM:
            if tag == ITEM_DELIMITATION:
                warnings.warn(f"offset {base + pos}: stray Item Delimitation Item in a "
                              "sequence skipped", DecodeWarning, stacklevel=3)
                pos += 8
                continue
            raise DecodeError(f"expected an Item (FFFE,E000), found ({group:04X},{elem:04X})",
                              offset=base + pos, tag=seq_tag)
        start = pos + 8
        if length == UNDEFINED:
            item, pos = _decode(buf, start, end, little, explicit, depth, opts, charsets,
                                True, False)
            object.__setattr__(item, "undefined_length", True)
        else:
            stop = start + length
            item = None
            if stop > end:
                error = TruncatedError(f"item length {length} runs past the end of its "
                                       f"sequence ({end - start} byte(s) left)",
                                       offset=base + pos, tag=seq_tag)
                if defined_end:
                    item = _stale_item(buf, start, end, little, explicit, depth, opts,
                                       charsets)
                if item is None:
                    opts.cut_short(error)
                else:
                    warnings.warn(f"{error}; its elements end where the sequence does: read "
                                  f"as an item of {end - start} bytes", DecodeWarning,
                                  stacklevel=3)
                stop = end  # partial: the elements of the item that are there
            if item is None:
                item, _ = _decode(buf, start, stop, little, explicit, depth, opts, charsets,
                                  False, False)
            object.__setattr__(item, "undefined_length", False)
            pos = stop
        object.__setattr__(item, "offset", base + start - 8)
        items.append(item)
    return items, pos


def _stale_item(buf: Any, start: int, end: int, little: bool, explicit: bool, depth: int,
                opts: Options, charsets: tuple) -> Optional[Dataset]:
    """The last item of a sequence whose length overruns it, if its elements end exactly
    where the sequence does (a writer removed elements and kept the old item length, as
    in pydicom's DICOMDIR-nooffset; DCMTK and pydicom read those): else None."""
    partial, cut = opts.partial, opts.cut
    opts.partial = False
    try:
        with warnings.catch_warnings(record=True) as seen:  # a trial: warn only if kept
            warnings.simplefilter("always")
            item = _decode(buf, start, end, little, explicit, depth, opts, charsets, False,
                           False)[0]
    except DecodeError:  # not merely a stale length: the item is broken
        return None
    finally:
        opts.partial, opts.cut = partial, cut
    for found in seen:
        warnings.warn(found.message, found.category, stacklevel=4)
    return item


def _encapsulated_end(buf: Any, pos: int, end: int, base: int, tag: int) -> int:
    """Offset of the Sequence Delimitation Item ending encapsulated pixel data (PS3.5 A.4)."""
    unpack = _LE_TAG_LEN.unpack_from
    while True:
        if end - pos < 8:
            raise TruncatedError("encapsulated pixel data ended without a Sequence "
                                 "Delimitation Item", offset=base + pos, tag=tag)
        group, elem, length = unpack(buf, pos)
        item = group << 16 | elem
        if item == SEQUENCE_DELIMITATION:
            return pos
        if item != ITEM:
            raise DecodeError(f"expected a fragment Item (FFFE,E000), found "
                              f"({group:04X},{elem:04X})", offset=base + pos, tag=tag)
        if length == UNDEFINED or pos + 8 + length > end:
            raise TruncatedError(f"fragment length {length} runs past the end of the data",
                                 offset=base + pos, tag=tag)
        pos += 8 + length
