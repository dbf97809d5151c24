"""What a sender needs to know of a file from its first bytes, without decoding it.

A C-STORE names the instance by the data set's SOP Class and Instance UIDs (PS3.7
9.1.1.1.3-4), not by the File Meta Information's, which go stale; both sit near the
start of the file.  ``store_summary`` walks the element headers of the meta and of the
data set up to (0008,0018), a few hundred bytes, and hands anything unusual to the
general decoder, so the walk is never trusted further than it can see (a hypothesis
test holds it equal to ``read``).  ``meta_summary`` is the same for the meta alone.
"""
from __future__ import annotations

import struct
import zlib
from typing import Any, NamedTuple, Optional

from ..errors import DecodeError, LimitError, TruncatedError
from . import transfer_syntax as _ts
from .decode import DEFAULT_MAX_DEPTH, Options, _sniff_explicit, decode_dataset
from .deflate import DEFAULT_INFLATE_LIMIT
from .part10 import _read_header, _uid_text
from .transfer_syntax import TransferSyntax
from .vr import EXPLICIT_VR_CODES, LONG_LENGTH_VRS

_EXPLICIT_CODES = frozenset(EXPLICIT_VR_CODES)
_LONG_CODES = frozenset(c for c, vr in EXPLICIT_VR_CODES.items() if vr in LONG_LENGTH_VRS)


def meta_summary(buf: bytes) -> Optional[tuple[str, str, str, int]]:
    """(Media Storage SOP Class UID, SOP Instance UID, Transfer Syntax UID, where the
    data set starts) of a well-formed Part 10 file's first bytes, read from the
    element headers alone; None for anything less usual (no preamble, implicit VR
    meta, a group that does not end within ``buf``): ``_read_header`` then decides.

    A C-STORE of a file needs only these; the full meta decode costs ten times more.
    """
    from .vr import EXPLICIT_VR_CODES, LONG_LENGTH_VRS

    if len(buf) < 140 or buf[128:132] != b"DICM":
        return None
    found: dict[int, str] = {}
    pos, size = 132, len(buf)
    while size - pos >= 8 and buf[pos:pos + 2] == b"\x02\x00":
        element = buf[pos + 2] | buf[pos + 3] << 8
        vr = EXPLICIT_VR_CODES.get(buf[pos + 4:pos + 6])
        if vr is None:
            return None
        if vr in LONG_LENGTH_VRS:
            if size - pos < 12:
                return None
            start = pos + 12
            length = int.from_bytes(buf[pos + 8:pos + 12], "little")
        else:
            start = pos + 8
            length = buf[pos + 6] | buf[pos + 7] << 8
        if start + length > size:
            return None
        if element in (0x0002, 0x0003, 0x0010):
            found[element] = buf[start:start + length].decode("ascii", "replace") \
                .rstrip("\0 ")
        pos = start + length
    if size - pos < 8 or len(found) != 3 or not all(found.values()):
        return None
    return found[0x0002], found[0x0003], found[0x0010], pos


_SOP_CLASS_UID, _SOP_INSTANCE_UID = 0x00080016, 0x00080018


class StoreSummary(NamedTuple):
    """What a C-STORE of a file needs, read from its first bytes (``store_summary``).

    The UIDs to send are the data set's (0008,0016)/(0008,0018) ("" where absent);
    the File Meta's (0002,0002)/(0002,0003) are kept beside them ("" where absent)
    only so a caller can tell when the two disagree (a stale meta header)."""

    sop_class: str
    sop_instance: str
    transfer_syntax: TransferSyntax
    start: int  # where the data set starts (after the File Meta Information)
    meta_class: str
    meta_instance: str
    # False when the data set is not in the declared syntax (explicit VR written where
    # the meta says implicit, or the reverse: seen in the wild): it cannot go on the
    # wire as stored, only decoded and encoded again.
    as_declared: bool = True


def store_summary(head: Any, *, complete: bool,
                  inflate_limit: Optional[int] = None) -> Optional[StoreSummary]:
    """The SOP Class and Instance UIDs of the data set, its transfer syntax and where
    it starts, from a file's first bytes ``head`` (``complete``: the whole file).

    Files with no File Meta Information, or one without (0002,0002) or (0002,0010),
    are summarised too: the syntax is then sniffed from the data set, as storescu
    and ``read`` do.  None when ``head`` ends before the answer is known and is not
    the whole file: the caller reads on and asks again.
    """
    summary = meta_summary(head)
    if summary is not None:  # the usual file: the meta from its element headers alone
        meta_class, meta_instance, uid, pos = summary
        ts = _ts.get(uid)
    else:
        try:
            _preamble, meta, pos, ts = _read_header(head, DEFAULT_MAX_DEPTH)
        except TruncatedError:
            if complete:
                raise
            return None  # a File Meta Information longer than ``head``
        meta_class = _uid_text(meta.get(0x00020002))
        meta_instance = _uid_text(meta.get(0x00020003))
    found = _sop_uids(head, pos, ts, complete, inflate_limit)
    if found is None:
        return None
    return StoreSummary(found[0], found[1], ts, pos, meta_class, meta_instance, found[2])


def sop_uids(buf: Any, start: int, ts: TransferSyntax, *, complete: bool = True,
             inflate_limit: Optional[int] = None) -> Optional[tuple[str, str]]:
    """(SOP Class UID, SOP Instance UID) of the data set at ``buf[start:]`` in ``ts``
    ("" for one that is absent), without decoding the data set.

    The two sit near the start (group 0008 sorts early), so the element headers are
    walked from ``start`` and the walk stops at the first tag past (0008,0018): a few
    hundred bytes.  A deflated data set (PS3.5 A.5) has only its start inflated.
    Anything the walk cannot step over (an undefined length, an unknown VR) is left
    to the general decoder, which stops at the same tag.  None: ``buf`` ends before
    the answer and is not ``complete``.
    """
    found = _sop_uids(buf, start, ts, complete, inflate_limit)
    return None if found is None else (found[0], found[1])


def _sop_uids(buf: Any, start: int, ts: TransferSyntax, complete: bool,
              inflate_limit: Optional[int]) -> Optional[tuple[str, str, bool]]:
    """``sop_uids``, and whether the data set is encoded as ``ts`` declares (explicit
    or implicit VR, sniffed from its first element as the decoder does)."""
    if not ts.deflated:
        explicit = ts.explicit_vr
        if len(buf) - start >= 8 and (bytes(buf[start + 4:start + 6]) in _EXPLICIT_CODES
                                      ) != explicit:  # maybe not as declared: as decode does
            explicit = _sniff_explicit(buf, start, len(buf), ts.little_endian, explicit,
                                       Options())
        found = _sop_uids_in(buf, start, len(buf), ts.little_endian, explicit, complete)
        return None if found is None else (found[0], found[1], explicit == ts.explicit_vr)
    limit = DEFAULT_INFLATE_LIMIT if inflate_limit is None else inflate_limit
    engine = zlib.decompressobj(-zlib.MAX_WBITS)
    pending = bytes(buf[start:])
    inflated = bytearray()
    want = 2048
    while True:
        asked = max(want - len(inflated), 1)
        try:
            piece = engine.decompress(pending, asked)
        except zlib.error as exc:
            raise DecodeError(f"deflated dataset is corrupt: {exc}", offset=start) from None
        inflated += piece
        if len(inflated) > limit:
            raise LimitError(f"deflated dataset inflates past the limit of {limit} bytes "
                             "(raise inflate_limit to read it)")
        pending = engine.unconsumed_tail
        # All the input in hand inflated (zlib may still hold output when it filled
        # exactly what was asked: one more round with no input drains it).
        ended = engine.eof or (not pending and len(piece) < asked)
        found = _sop_uids_in(bytes(inflated), 0, len(inflated), True, True,
                             engine.eof or (ended and complete))
        if found is not None or ended:
            return None if found is None else (found[0], found[1], True)
        want *= 2


_HEADERS = {True: (struct.Struct("<HH2sH"), struct.Struct("<I"), struct.Struct("<HHI")),
            False: (struct.Struct(">HH2sH"), struct.Struct(">I"), struct.Struct(">HHI"))}


def _sop_uids_in(buf: Any, pos: int, end: int, little: bool, explicit: bool,
                 complete: bool) -> Optional[tuple[str, str]]:
    """The header walk of ``sop_uids`` over one stream of native bytes."""
    short, long_length, implicit = _HEADERS[little]
    sop_class = sop_instance = ""
    start = pos
    while True:
        if end - pos < 8:
            return (sop_class, sop_instance) if complete else None
        if explicit:
            group, element, vr, length = short.unpack_from(buf, pos)
            header = 8
            if vr in _LONG_CODES:
                if end - pos < 12:
                    break  # (the decoder says what is cut short, or None)
                header, length = 12, long_length.unpack_from(buf, pos + 8)[0]
            elif vr not in _EXPLICIT_CODES:
                if (group << 16 | element) > _SOP_INSTANCE_UID:
                    return sop_class, sop_instance
                break
        else:
            group, element, length = implicit.unpack_from(buf, pos)
            header = 8
        tag = group << 16 | element
        if tag > _SOP_INSTANCE_UID:  # PS3.5 7.1: ascending tag order, so both are behind
            return sop_class, sop_instance
        if length == 0xFFFFFFFF:  # a sequence to walk: the decoder's job
            break
        value_end = pos + header + length
        if value_end > end:
            if not complete:
                return None
            break  # a lying length: the decoder says where and what
        if tag == _SOP_CLASS_UID:
            sop_class = bytes(buf[pos + header:value_end]).decode("latin-1").rstrip("\0 ")
        elif tag == _SOP_INSTANCE_UID:
            sop_instance = bytes(buf[pos + header:value_end]).decode("latin-1").rstrip("\0 ")
        pos = value_end
    return _decoded_uids(buf, start, end, little, explicit, complete)


def _decoded_uids(buf: Any, start: int, end: int, little: bool, explicit: bool,
                  complete: bool) -> Optional[tuple[str, str]]:
    options = Options(stop_before=_SOP_INSTANCE_UID + 1)
    try:
        ds, at = decode_dataset(buf, little, explicit, start=start, end=end, options=options)
    except TruncatedError:
        if complete:
            raise
        return None
    if not complete and at + 8 > end:  # ran out of bytes rather than past (0008,0018):
        return None  # the decoder forgives a sequence cut short, so it proves nothing
    return _uid_text(ds.get(_SOP_CLASS_UID)), _uid_text(ds.get(_SOP_INSTANCE_UID))
