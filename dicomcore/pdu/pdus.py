"""The seven PDUs of the DICOM Upper Layer protocol (PS3.8 9.3).

Each PDU class has ``encode() -> bytes``, ``encode_chunks() -> list`` (large
P-DATA values pass through uncopied, for ``socket.sendmsg``), ``describe()``
(field by field, with offsets and the standard's field names) and is decoded
by ``decode_pdu(data)``.  The fixed part of every PDU is one ``struct.Struct``
used by both the encoder and the decoder.

Decoding is strict about structure and lenient about values PS3.8 says are
"not tested" (reserved bytes, the AE titles echoed in an A-ASSOCIATE-AC).
Every fault is a ``PDUError`` with PDU type, field and offset; nothing else
escapes ``decode_pdu`` whatever the input.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import ClassVar, Union

from dicomcore.errors import EncodeError, PDUError, TruncatedError

from .buffer import PDU_HEADER, Cursor, fields, unrecognized_pdu
from .items import (ApplicationContext, Item, Line, PresentationContextAC, PresentationContextRQ,
                    UnknownItem, UserInformation, check_context_id, read_items)

__all__ = [
    "DICOM_APPLICATION_CONTEXT", "PDU", "AAssociateRQ", "AAssociateAC", "AAssociateRJ", "PDV",
    "PDataTF", "AReleaseRQ", "AReleaseRP", "AAbort", "PDU_CLASSES", "decode_pdu",
    "encode_ae_title", "format_lines",
]

# PS3.7 Annex A.2.1: the one DICOM Application Context Name.
DICOM_APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"

_ASSOC = struct.Struct(">H2x16s16s32x")  # PS3.8 Tables 9-11/9-17 bytes 7-74: version, called, calling
_RJ = struct.Struct(">xBBB")             # PS3.8 Table 9-21 bytes 7-10: reserved, Result, Source, Reason/Diag.
_RELEASE = struct.Struct(">4x")          # PS3.8 Tables 9-24/9-25 bytes 7-10: reserved
_ABORT = struct.Struct(">2xBB")          # PS3.8 Table 9-26 bytes 7-10: 2 reserved, Source, Reason/Diag.
_PDV = struct.Struct(">IBB")             # PS3.8 Table 9-23: Item-length, Presentation-context-ID, + E.2 header


def encode_ae_title(title: str, field_name: str) -> bytes:
    """16 bytes, space padded (PS3.8 Table 9-11); the AE VR's repertoire (PS3.5 6.2).

    Rejected: more than 16 characters, non-ASCII, backslash, control characters,
    and a blank title ("16 spaces ... shall not be used").
    """
    if not isinstance(title, str):
        raise EncodeError(f"{field_name}: expected str, got {type(title).__name__}")
    bad = [c for c in title if not (" " <= c <= "~") or c == "\\"]
    if bad:
        raise EncodeError(f"{field_name}: {title!r} contains {bad[0]!r} (not allowed in an AE title)")
    if len(title) > 16:
        raise EncodeError(f"{field_name}: {title!r} is longer than 16 characters")
    if not title.strip(" "):
        raise EncodeError(f"{field_name}: an AE title may not be blank")
    return title.encode("ascii").ljust(16, b" ")


def _decode_ae_title(raw: bytes) -> str:
    # Leading and trailing spaces are not significant (PS3.8 Table 9-11).
    return raw.decode("latin-1").strip(" ")


def format_lines(lines: list[Line]) -> str:
    """describe() lines as text, one field a line: offset, length, name, value."""
    return "\n".join(f"{ln.offset:6d} {ln.length:5d}  {'  ' * ln.depth}{ln.name}: {ln.value}"
                     for ln in lines)


class PDU:
    """Base of the seven PDUs: the six-byte header and the output forms."""

    pdu_type: ClassVar[int]
    title: ClassVar[str]

    def body_chunks(self) -> list[bytes | memoryview]:
        raise NotImplementedError

    def encode_chunks(self) -> list[bytes | memoryview]:
        body = self.body_chunks()
        length = sum(len(c) for c in body)
        if length > 0xFFFFFFFF:
            raise EncodeError(f"{self.title}: PDU-length {length} does not fit 32 bits")
        return [PDU_HEADER.pack(self.pdu_type, length), *body]

    def encode(self) -> bytes:
        return b"".join(self.encode_chunks())

    @classmethod
    def _read(cls, cur: Cursor) -> "PDU":
        raise NotImplementedError

    def describe(self) -> list[Line]:
        length = sum(len(c) for c in self.body_chunks())
        return [Line(0, 1, "PDU-type", f"{self.pdu_type:02X}H ({self.title})"),
                Line(1, 1, "Reserved", 0),
                Line(2, 4, "PDU-length", length)] + self._describe_body()

    def _describe_body(self) -> list[Line]:
        return []


@dataclass
class _Associate(PDU):
    """Shared shape of A-ASSOCIATE-RQ and -AC (PS3.8 Tables 9-11, 9-17)."""

    called_ae_title: str
    calling_ae_title: str
    presentation_contexts: list = field(default_factory=list)
    user_information: UserInformation | None = None
    application_context: str = DICOM_APPLICATION_CONTEXT
    protocol_version: int = 1  # bit 0: version 1 (PS3.8 9.3.2)
    unknown: list[UnknownItem] = field(default_factory=list)  # re-encoded last
    context_class: ClassVar[type]

    def _items(self) -> list[Item]:
        items: list[Item] = [ApplicationContext(self.application_context), *self.presentation_contexts]
        if self.user_information is not None:
            items.append(self.user_information)
        return items + list(self.unknown)

    def body_chunks(self) -> list[bytes | memoryview]:
        fixed = _ASSOC.pack(self.protocol_version,
                            encode_ae_title(self.called_ae_title, "Called-AE-title"),
                            encode_ae_title(self.calling_ae_title, "Calling-AE-title"))
        return [fixed + b"".join(item.encode() for item in self._items())]

    @classmethod
    def _read(cls, cur: Cursor) -> "_Associate":
        version, called, calling = cur.unpack(_ASSOC)
        registry = {0x10: ApplicationContext, cls.context_class.item_type: cls.context_class,
                    0x50: UserInformation}
        items = read_items(cur, registry, cls.title)
        app = [i for i in items if isinstance(i, ApplicationContext)]
        user = [i for i in items if isinstance(i, UserInformation)]
        if len(app) != 1 or len(user) > 1:  # PS3.8 9.3.2: one of each
            raise PDUError(cls.pdu_type, "Variable items", 74,
                           f"{len(app)} Application Context and {len(user)} User Information items")
        contexts = [i for i in items if isinstance(i, cls.context_class)]
        return cls(_decode_ae_title(called), _decode_ae_title(calling), contexts,
                   user[0] if user else None, app[0].name, version,
                   [i for i in items if isinstance(i, UnknownItem)])

    def _describe_body(self) -> list[Line]:
        called_name, calling_name = self._title_names()
        lines = [Line(6, 2, "Protocol-version", self.protocol_version),
                 Line(8, 2, "Reserved", 0),
                 Line(10, 16, called_name, self.called_ae_title),
                 Line(26, 16, calling_name, self.calling_ae_title),
                 Line(42, 32, "Reserved", 0)]
        offset = 74
        for item in self._items():
            lines += item.describe(offset, 1)
            offset += len(item.encode())
        return lines

    def _title_names(self) -> tuple[str, str]:
        return "Called-AE-title", "Calling-AE-title"


@dataclass
class AAssociateRQ(_Associate):
    """A-ASSOCIATE-RQ (PS3.8 9.3.2); presentation_contexts: ``PresentationContextRQ``."""

    pdu_type: ClassVar[int] = 0x01
    title: ClassVar[str] = "A-ASSOCIATE-RQ"
    context_class: ClassVar[type] = PresentationContextRQ


@dataclass
class AAssociateAC(_Associate):
    """A-ASSOCIATE-AC (PS3.8 9.3.3); the AE titles echo the RQ's (reserved, not tested)."""

    pdu_type: ClassVar[int] = 0x02
    title: ClassVar[str] = "A-ASSOCIATE-AC"
    context_class: ClassVar[type] = PresentationContextAC

    def _title_names(self) -> tuple[str, str]:
        return "Reserved (Called-AE-title echoed)", "Reserved (Calling-AE-title echoed)"


RJ_RESULTS = {1: "rejected-permanent", 2: "rejected-transient"}
RJ_SOURCES = {1: "DICOM UL service-user", 2: "DICOM UL service-provider (ACSE related function)",
              3: "DICOM UL service-provider (Presentation related function)"}
ABORT_SOURCES = {0: "DICOM UL service-user", 1: "reserved", 2: "DICOM UL service-provider"}
ABORT_REASONS = {0: "reason-not-specified", 1: "unrecognized-PDU", 2: "unexpected-PDU", 3: "reserved",
                 4: "unrecognized-PDU parameter", 5: "unexpected-PDU parameter",
                 6: "invalid-PDU-parameter value"}


class _Fixed(PDU):
    """PDUs whose PDU-length is always 4 (PS3.8 Tables 9-21, 9-24..9-26)."""

    layout: ClassVar[struct.Struct]

    def _values(self) -> tuple:
        return ()

    def body_chunks(self) -> list[bytes | memoryview]:
        return [self.layout.pack(*self._values())]

    @classmethod
    def _read(cls, cur: Cursor) -> "PDU":
        if cur.remaining != cls.layout.size:
            raise PDUError(cls.pdu_type, "PDU-length", 2, f"{cur.remaining}, shall be 4")
        return cls(*cur.unpack(cls.layout))


@dataclass
class AAssociateRJ(_Fixed):
    """A-ASSOCIATE-RJ (PS3.8 Table 9-21)."""

    result: int = 1
    source: int = 1
    reason: int = 1
    pdu_type: ClassVar[int] = 0x03
    title: ClassVar[str] = "A-ASSOCIATE-RJ"
    layout: ClassVar[struct.Struct] = _RJ

    def _values(self) -> tuple:
        return self.result, self.source, self.reason

    def _describe_body(self) -> list[Line]:
        return [Line(6, 1, "Reserved", 0),
                Line(7, 1, "Result", f"{self.result} ({RJ_RESULTS.get(self.result, 'unknown')})"),
                Line(8, 1, "Source", f"{self.source} ({RJ_SOURCES.get(self.source, 'unknown')})"),
                Line(9, 1, "Reason/Diag.", self.reason)]


@dataclass
class AReleaseRQ(_Fixed):
    """A-RELEASE-RQ (PS3.8 Table 9-24)."""

    pdu_type: ClassVar[int] = 0x05
    title: ClassVar[str] = "A-RELEASE-RQ"
    layout: ClassVar[struct.Struct] = _RELEASE

    def _describe_body(self) -> list[Line]:
        return [Line(6, 4, "Reserved", 0)]


@dataclass
class AReleaseRP(_Fixed):
    """A-RELEASE-RP (PS3.8 Table 9-25)."""

    pdu_type: ClassVar[int] = 0x06
    title: ClassVar[str] = "A-RELEASE-RP"
    layout: ClassVar[struct.Struct] = _RELEASE

    def _describe_body(self) -> list[Line]:
        return [Line(6, 4, "Reserved", 0)]


@dataclass
class AAbort(_Fixed):
    """A-ABORT (PS3.8 Table 9-26): source 0 service-user, 2 service-provider."""

    source: int = 0
    reason: int = 0
    pdu_type: ClassVar[int] = 0x07
    title: ClassVar[str] = "A-ABORT"
    layout: ClassVar[struct.Struct] = _ABORT

    def _values(self) -> tuple:
        return self.source, self.reason

    def _describe_body(self) -> list[Line]:
        return [Line(6, 2, "Reserved", 0),
                Line(8, 1, "Source", f"{self.source} ({ABORT_SOURCES.get(self.source, 'unknown')})"),
                Line(9, 1, "Reason/Diag.", f"{self.reason} ({ABORT_REASONS.get(self.reason, 'unknown')})")]


@dataclass(eq=False)
class PDV:
    """One Presentation Data Value (PS3.8 9.3.5.1) with its Message Control Header.

    ``control`` is the header byte (PS3.8 E.2): bit 0 set = command fragment,
    bit 1 set = last fragment; bits 2-7 are kept as received, never checked.
    ``data`` may be a memoryview into the received PDU: no copy is made, or a
    ``DeliveredValue`` when the value went to the receiver's sink as it arrived.
    """

    context_id: int
    control: int
    data: bytes | memoryview

    @classmethod
    def fragment(cls, context_id: int, data: bytes | memoryview, *, command: bool, last: bool) -> "PDV":
        return cls(context_id, (1 if command else 0) | (2 if last else 0), data)

    @property
    def is_command(self) -> bool:
        return bool(self.control & 1)

    @property
    def is_last(self) -> bool:
        return bool(self.control & 2)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PDV):
            return NotImplemented
        return (self.context_id, self.control) == (other.context_id, other.control) and \
            bytes(self.data) == bytes(other.data)

    def __repr__(self) -> str:
        kind = "command" if self.is_command else "data"
        last = ", last" if self.is_last else ""
        return f"PDV(context {self.context_id}, {kind}{last}, {len(self.data)} bytes)"


@dataclass
class PDataTF(PDU):
    """P-DATA-TF (PS3.8 9.3.5): one or more PDVs."""

    pdvs: list[PDV] = field(default_factory=list)
    pdu_type: ClassVar[int] = 0x04
    title: ClassVar[str] = "P-DATA-TF"

    def body_chunks(self) -> list[bytes | memoryview]:
        chunks: list[bytes | memoryview] = []
        for pdv in self.pdvs:
            try:
                check_context_id(pdv.context_id, 0x04, None)
            except PDUError as e:
                raise EncodeError(str(e)) from None
            chunks += [_PDV.pack(len(pdv.data) + 2, pdv.context_id, pdv.control), pdv.data]
        return chunks

    @classmethod
    def _read(cls, cur: Cursor) -> "PDataTF":
        if not cur.remaining:  # PS3.8 9.3.5: one or more PDV items
            raise PDUError(0x04, "Presentation-data-value Item(s)", 6, "no PDV item")
        pdvs = []
        # Fast path for well-formed items (one to a few per PDU, thousands of PDUs per
        # large data set); the first doubtful item is left to the careful loop below.
        data, pos, end, unpack = cur.data, cur.pos, cur.end, _PDV.unpack_from
        while end - pos >= _PDV.size:
            length, context_id, control = unpack(data, pos)
            stop = pos + 4 + length
            if length < 2 or stop > end or not context_id & 1:  # 1-255 by the byte's range
                break
            pdvs.append(PDV(context_id, control, data[pos + _PDV.size:stop]))
            pos = stop
        cur.pos = pos
        while cur.remaining:
            start = cur.pos
            with fields(cur, "Presentation-data-value Item"):
                length, context_id, control = cur.unpack(_PDV)
            if length < 2:  # room for the context ID and the Message Control Header
                raise PDUError(0x04, "Item-length", start, f"{length}, shall be at least 2")
            check_context_id(context_id, 0x04, start + 4)
            with fields(cur, "Presentation-data-value Item-length"):
                data = cur.take(length - 2)  # overflowing the PDU raises here
            pdvs.append(PDV(context_id, control, data))
        return cls(pdvs)

    def _describe_body(self) -> list[Line]:
        lines, offset = [], 6
        for pdv in self.pdvs:
            n = len(pdv.data)
            kind = ("command" if pdv.is_command else "data") + (", last" if pdv.is_last else "")
            lines += [Line(offset, 4, "Item-length", n + 2, 1),
                      Line(offset + 4, 1, "Presentation-context-ID", pdv.context_id, 1),
                      Line(offset + 5, 1, "Message Control Header", f"{pdv.control:02X}H ({kind})", 1),
                      Line(offset + 6, n, "Presentation-data-value", f"{n} bytes", 1)]
            offset += 6 + n
        return lines


AnyPDU = Union[AAssociateRQ, AAssociateAC, AAssociateRJ, PDataTF, AReleaseRQ, AReleaseRP, AAbort]

PDU_CLASSES: dict[int, type[PDU]] = {
    cls.pdu_type: cls for cls in (AAssociateRQ, AAssociateAC, AAssociateRJ, PDataTF,
                                  AReleaseRQ, AReleaseRP, AAbort)
}


def decode_pdu(data: bytes | memoryview) -> PDU:
    """One whole PDU (header included) to an object; any fault is a ``PDUError``.

    P-DATA values are memoryviews into ``data``: pass ``bytes`` you will not
    change (``ReceiveBuffer.next_pdu()`` returns such a copy).
    """
    view = memoryview(data)
    if len(view) < PDU_HEADER.size:
        raise PDUError(view[0] if len(view) else None, "PDU-length", 0,
                       f"{len(view)} bytes, a PDU header has 6")
    pdu_type, length = PDU_HEADER.unpack_from(view)
    cls = PDU_CLASSES.get(pdu_type)
    if cls is None:
        raise unrecognized_pdu(pdu_type)
    if length != len(view) - PDU_HEADER.size:
        raise PDUError(pdu_type, "PDU-length", 2, f"{length}, but {len(view) - 6} bytes follow")
    cur = Cursor(view, PDU_HEADER.size, pdu_type=pdu_type)
    try:  # what fields(cur, cls.title) does, without a context manager per PDU
        pdu = cls._read(cur)
    except TruncatedError as e:
        raise PDUError(pdu_type, cls.title, e.offset, e.reason) from None
    if cur.remaining:
        raise PDUError(pdu_type, "PDU-length", 2, f"{cur.remaining} bytes left after the last field")
    return pdu
