"""Variable items of the association PDUs (PS3.8 9.3.2-9.3.3, PS3.7 Annex D).

Every item starts with the same four bytes (``ITEM_HEADER``): Item-type,
a reserved byte (the Sub-item-version for 0x57), and a 16-bit Item-length.
Each class below knows only its body: ``_read(cur, byte2)`` decodes it from a
cursor limited to exactly Item-length bytes, ``body()`` encodes it, and
``_describe_body()`` lists its fields with offsets for ``--trace``.  Both
directions use the same ``struct.Struct`` layouts.

Rules kept here:

* Unknown item types are skipped but kept as ``UnknownItem`` so describe() shows
  them (PS3.8 9.3.1: "Items of unrecognized types shall be ignored and
  skipped"; PS3.8 D.2 note 2 for user information sub-items).
* An item whose Item-length runs past its parent, or a known fixed-size item
  whose body is not fully used, is a ``PDUError`` naming the field and offset.
* Names (UIDs) are kept exactly as received (latin-1, trailing NUL padding
  included) so what decodes re-encodes byte-identical; the primitives layer
  normalises them.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, Sequence

from dicomcore.errors import EncodeError, PDUError, TruncatedError

from .buffer import Cursor, fields

__all__ = [
    "ITEM_HEADER", "Line", "Item", "UnknownItem", "ApplicationContext", "AbstractSyntax",
    "TransferSyntax", "PresentationContextRQ", "PresentationContextAC", "UserInformation",
    "MaximumLength", "ImplementationClassUID", "AsynchronousOperationsWindow",
    "RoleSelection", "ImplementationVersionName", "SOPClassExtendedNegotiation",
    "SOPClassCommonExtendedNegotiation", "UserIdentityRQ", "UserIdentityAC",
    "USER_INFORMATION_SUB_ITEMS", "ALL_ITEMS", "read_items", "decode_item", "encode_name",
    "check_context_id",
]

ITEM_HEADER = struct.Struct(">BBH")  # Item-type, Reserved (0x57: version), Item-length
_U16 = struct.Struct(">H")
_PC_RQ = struct.Struct(">B3x")   # PS3.8 Table 9-13 bytes 5-8: Presentation-context-ID, 3 reserved
_PC_AC = struct.Struct(">BxBx")  # PS3.8 Table 9-18 bytes 5-8: ID, reserved, Result/Reason, reserved
_MAX_LEN = struct.Struct(">I")   # PS3.8 D.1 Maximum-length-received
_ASYNC = struct.Struct(">HH")    # PS3.7 D.3.3.3 invoked, performed
_ROLES = struct.Struct(">BB")    # PS3.7 D.3.3.4 SCU-role, SCP-role
_UID_RQ = struct.Struct(">BBH")  # PS3.7 D.3.3.7.1 type, positive response, primary length


class Line(NamedTuple):
    """One field of a described PDU: where it is, what PS3.8 calls it, its value."""

    offset: int
    length: int
    name: str
    value: Any
    depth: int = 0


def encode_name(text: str, field_name: str) -> bytes:
    """A UID-like name as sent (PS3.8 Annex F); latin-1 keeps any received byte."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise EncodeError(f"{field_name}: {text!r} is not ISO 646 / latin-1 text") from None


def _decode_name(view: memoryview) -> str:
    return bytes(view).decode("latin-1")


def check_context_id(context_id: int, pdu_type: int | None, offset: int | None,
                     field_name: str = "Presentation-context-ID") -> None:
    """PS3.8 9.3.2.2: Presentation-context-ID values shall be odd integers 1-255."""
    if not (1 <= context_id <= 255 and context_id % 2 == 1):
        raise PDUError(pdu_type, field_name, offset, f"{context_id} is not an odd integer 1-255")


def _u16_prefixed(data: bytes, field_name: str) -> bytes:
    if len(data) > 0xFFFF:
        raise EncodeError(f"{field_name}: {len(data)} bytes do not fit a 16-bit length")
    return _U16.pack(len(data)) + data


def _read_u16_prefixed(cur: Cursor, field_name: str) -> memoryview:
    with fields(cur, field_name):
        (n,) = cur.unpack(_U16)
        return cur.take(n)


def _show(data: bytes | memoryview, limit: int = 16) -> str:
    raw = bytes(data[:limit])
    more = "..." if len(data) > limit else ""
    return f"{len(data)} bytes {raw.hex(' ')}{more}"


class Item:
    """Base of every item: header handling, encode(), describe()."""

    item_type: ClassVar[int]
    title: ClassVar[str]

    def _byte2(self) -> int:
        return 0  # Reserved, sent as 00H (PS3.8 9.3.2.1 ff.)

    def body(self) -> bytes:
        raise NotImplementedError

    def encode(self) -> bytes:
        body = self.body()
        if len(body) > 0xFFFF:
            raise EncodeError(f"{self.title}: Item-length {len(body)} exceeds 65535")
        return ITEM_HEADER.pack(self.item_type, self._byte2(), len(body)) + body

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "Item":
        raise NotImplementedError

    def describe(self, offset: int = 0, depth: int = 0) -> list[Line]:
        n = len(self.body())
        lines = [
            Line(offset, 1, "Item-type", f"{self.item_type:02X}H ({self.title})", depth),
            Line(offset + 1, 1, self._byte2_name(), self._byte2(), depth),
            Line(offset + 2, 2, "Item-length", n, depth),
        ]
        return lines + self._describe_body(offset + 4, depth + 1)

    def _byte2_name(self) -> str:
        return "Reserved"

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        return []


@dataclass
class UnknownItem(Item):
    """An item or sub-item of a type this edition does not define, kept as bytes."""

    type_code: int
    data: bytes = b""
    reserved: int = 0
    title: ClassVar[str] = "unrecognized item, skipped (PS3.8 9.3.1)"

    @property  # type: ignore[override]
    def item_type(self) -> int:  # noqa: D401 - instance-specific type
        return self.type_code

    def _byte2(self) -> int:
        return self.reserved

    def body(self) -> bytes:
        return bytes(self.data)

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        return [Line(offset, len(self.data), "Item-data", _show(self.data), depth)] if self.data else []


@dataclass
class _NameItem(Item):
    """An item whose body is a single name (a UID in the form of PS3.8 Annex F)."""

    name: str
    field_name: ClassVar[str] = "Name"

    def body(self) -> bytes:
        return encode_name(self.name, self.field_name)

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "_NameItem":
        return cls(_decode_name(cur.rest()))

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        return [Line(offset, len(self.body()), self.field_name, self.name, depth)]


@dataclass
class ApplicationContext(_NameItem):
    item_type: ClassVar[int] = 0x10  # PS3.8 Table 9-12
    title: ClassVar[str] = "Application Context Item"
    field_name: ClassVar[str] = "Application-context-name"


@dataclass
class AbstractSyntax(_NameItem):
    item_type: ClassVar[int] = 0x30  # PS3.8 Table 9-14
    title: ClassVar[str] = "Abstract Syntax Sub-Item"
    field_name: ClassVar[str] = "Abstract-syntax-name"


@dataclass
class TransferSyntax(_NameItem):
    item_type: ClassVar[int] = 0x40  # PS3.8 Tables 9-15, 9-19
    title: ClassVar[str] = "Transfer Syntax Sub-Item"
    field_name: ClassVar[str] = "Transfer-syntax-name"


@dataclass
class ImplementationClassUID(_NameItem):
    item_type: ClassVar[int] = 0x52  # PS3.7 Table D.3-1
    title: ClassVar[str] = "Implementation Class UID Sub-Item"
    field_name: ClassVar[str] = "Implementation-class-uid"


@dataclass
class ImplementationVersionName(_NameItem):
    item_type: ClassVar[int] = 0x55  # PS3.7 Table D.3-3
    title: ClassVar[str] = "Implementation Version Name Sub-Item"
    field_name: ClassVar[str] = "Implementation-version-name"

    def body(self) -> bytes:
        # PS3.7 D.3.3.2.3: 1 to 16 ISO 646 characters; we only send what is valid.
        if not 1 <= len(self.name) <= 16 or not self.name.isascii():
            raise EncodeError(f"{self.field_name}: {self.name!r} is not 1-16 ASCII characters")
        return super().body()


def read_items(cur: Cursor, registry: dict[int, type[Item]], parent: str) -> list[Item]:
    """Read items until the cursor ends; unknown types become ``UnknownItem``."""
    out: list[Item] = []
    while cur.remaining:
        start = cur.pos
        stage, cls = 0, None  # which field a short read is in: names are made only then
        try:
            item_type, byte2, length = cur.unpack(ITEM_HEADER)
            cls = registry.get(item_type)
            stage = 1
            body = cur.sub(length)  # raises when the item overflows its parent
            if cls is None:
                out.append(UnknownItem(item_type, bytes(body.rest()), byte2))
                continue
            stage = 2
            item = cls._read(body, byte2)
        except TruncatedError as e:
            name = cls.title if cls else f"item {item_type:02X}H" if stage else ""
            field = (f"{parent}: item header", f"{name} Item-length", name)[stage]
            raise PDUError(cur.pdu_type, field, e.offset, e.reason) from None
        if body.remaining:
            name = cls.title
            raise PDUError(cur.pdu_type, f"{name} Item-length", start + 2,
                           f"{body.remaining} bytes left after the last field")
        out.append(item)
    return out


# ---------------------------------------------------------------- presentation contexts
@dataclass
class PresentationContextRQ(Item):
    """Presentation Context Item of an A-ASSOCIATE-RQ (PS3.8 Table 9-13)."""

    context_id: int
    abstract_syntax: str
    transfer_syntaxes: list[str] = field(default_factory=list)
    unknown: list[UnknownItem] = field(default_factory=list)  # re-encoded last
    item_type: ClassVar[int] = 0x20
    title: ClassVar[str] = "Presentation Context Item (RQ)"

    def _subitems(self) -> list[Item]:
        subs: list[Item] = [AbstractSyntax(self.abstract_syntax)]
        subs += [TransferSyntax(ts) for ts in self.transfer_syntaxes]
        return subs + list(self.unknown)

    def body(self) -> bytes:
        _check_encodable_id(self.context_id)
        return _PC_RQ.pack(self.context_id) + b"".join(s.encode() for s in self._subitems())

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "PresentationContextRQ":
        (cid,) = cur.unpack(_PC_RQ)
        check_context_id(cid, cur.pdu_type, cur.pos - 4)
        subs = read_items(cur, {0x30: AbstractSyntax, 0x40: TransferSyntax}, cls.title)
        abstract = [s.name for s in subs if isinstance(s, AbstractSyntax)]
        if len(abstract) != 1:  # PS3.8 9.3.2.2: one Abstract Syntax Sub-Item
            raise PDUError(cur.pdu_type, "Abstract Syntax Sub-Item", cur.pos,
                           f"{len(abstract)} present in context {cid}, expected 1")
        return cls(cid, abstract[0], [s.name for s in subs if isinstance(s, TransferSyntax)],
                   [s for s in subs if isinstance(s, UnknownItem)])

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        lines = [Line(offset, 1, "Presentation-context-ID", self.context_id, depth),
                 Line(offset + 1, 3, "Reserved", 0, depth)]
        return lines + _describe_list(self._subitems(), offset + 4, depth)


@dataclass
class PresentationContextAC(Item):
    """Presentation Context Item of an A-ASSOCIATE-AC (PS3.8 Table 9-18).

    ``transfer_syntax`` is None when the sub-item is absent (tolerated when the
    result is not acceptance: the field "shall not be tested").
    """

    context_id: int
    result: int = 0  # 0 acceptance, 1 user-rejection, 2 no-reason, 3 abstract, 4 transfer
    transfer_syntax: str | None = None
    unknown: list[UnknownItem] = field(default_factory=list)
    item_type: ClassVar[int] = 0x21
    title: ClassVar[str] = "Presentation Context Item (AC)"

    def _subitems(self) -> list[Item]:
        subs: list[Item] = [] if self.transfer_syntax is None else [TransferSyntax(self.transfer_syntax)]
        return subs + list(self.unknown)

    def body(self) -> bytes:
        _check_encodable_id(self.context_id)
        return _PC_AC.pack(self.context_id, self.result) + b"".join(s.encode() for s in self._subitems())

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "PresentationContextAC":
        cid, result = cur.unpack(_PC_AC)
        check_context_id(cid, cur.pdu_type, cur.pos - 4)
        subs = read_items(cur, {0x40: TransferSyntax}, cls.title)
        names = [s.name for s in subs if isinstance(s, TransferSyntax)]
        if len(names) > 1 or (result == 0 and not names):  # PS3.8 9.3.3.2: one sub-item
            raise PDUError(cur.pdu_type, "Transfer Syntax Sub-Item", cur.pos,
                           f"{len(names)} present in context {cid} (result {result}), expected 1")
        return cls(cid, result, names[0] if names else None,
                   [s for s in subs if isinstance(s, UnknownItem)])

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        lines = [Line(offset, 1, "Presentation-context-ID", self.context_id, depth),
                 Line(offset + 1, 1, "Reserved", 0, depth),
                 Line(offset + 2, 1, "Result/Reason", f"{self.result} ({CONTEXT_RESULTS.get(self.result, 'unknown')})", depth),
                 Line(offset + 3, 1, "Reserved", 0, depth)]
        return lines + _describe_list(self._subitems(), offset + 4, depth)


CONTEXT_RESULTS = {
    0: "acceptance", 1: "user-rejection", 2: "no-reason (provider rejection)",
    3: "abstract-syntax-not-supported (provider rejection)",
    4: "transfer-syntaxes-not-supported (provider rejection)",
}


def _check_encodable_id(context_id: int) -> None:
    try:
        check_context_id(context_id, None, None)
    except PDUError as e:
        raise EncodeError(str(e)) from None


def _describe_list(items: Sequence[Item], offset: int, depth: int) -> list[Line]:
    lines: list[Line] = []
    for item in items:
        lines += item.describe(offset, depth)
        offset += len(item.encode())
    return lines


# ---------------------------------------------------------------- user information
@dataclass
class MaximumLength(Item):
    """PS3.8 D.1: the largest P-DATA-TF PDU-length the sender will receive (0: no limit)."""

    maximum_length: int
    item_type: ClassVar[int] = 0x51
    title: ClassVar[str] = "Maximum Length Sub-Item"

    def body(self) -> bytes:
        return _MAX_LEN.pack(self.maximum_length)

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "MaximumLength":
        return cls(*cur.unpack(_MAX_LEN))

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        return [Line(offset, 4, "Maximum-length-received", self.maximum_length, depth)]


@dataclass
class AsynchronousOperationsWindow(Item):
    """PS3.7 D.3.3.3 (Table D.3-7): outstanding operations invoked / performed (0: unlimited)."""

    max_operations_invoked: int = 1
    max_operations_performed: int = 1
    item_type: ClassVar[int] = 0x53
    title: ClassVar[str] = "Asynchronous Operations Window Sub-Item"

    def body(self) -> bytes:
        return _ASYNC.pack(self.max_operations_invoked, self.max_operations_performed)

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "AsynchronousOperationsWindow":
        return cls(*cur.unpack(_ASYNC))

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        return [Line(offset, 2, "Maximum-number-operations-invoked", self.max_operations_invoked, depth),
                Line(offset + 2, 2, "Maximum-number-operations-performed", self.max_operations_performed, depth)]


@dataclass
class RoleSelection(Item):
    """PS3.7 D.3.3.4 (Tables D.3-9, D.3-10): SCU/SCP roles for one SOP class.

    Roles are kept as the bytes' integer values (0 or 1 when valid).
    """

    sop_class_uid: str
    scu_role: int = 1
    scp_role: int = 0
    item_type: ClassVar[int] = 0x54
    title: ClassVar[str] = "SCP/SCU Role Selection Sub-Item"

    def body(self) -> bytes:
        uid = encode_name(self.sop_class_uid, "SOP-class-uid")
        return _u16_prefixed(uid, "UID-length") + _ROLES.pack(self.scu_role, self.scp_role)

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "RoleSelection":
        uid = _decode_name(_read_u16_prefixed(cur, "UID-length"))
        return cls(uid, *cur.unpack(_ROLES))

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        n = len(encode_name(self.sop_class_uid, "SOP-class-uid"))
        return [Line(offset, 2, "UID-length", n, depth),
                Line(offset + 2, n, "SOP-class-uid", self.sop_class_uid, depth),
                Line(offset + 2 + n, 1, "SCU-role", self.scu_role, depth),
                Line(offset + 3 + n, 1, "SCP-role", self.scp_role, depth)]


@dataclass
class SOPClassExtendedNegotiation(Item):
    """PS3.7 D.3.3.5 (Table D.3-11): service-class specific bytes for one SOP class."""

    sop_class_uid: str
    service_class_application_information: bytes = b""
    item_type: ClassVar[int] = 0x56
    title: ClassVar[str] = "SOP Class Extended Negotiation Sub-Item"

    def body(self) -> bytes:
        uid = encode_name(self.sop_class_uid, "SOP-class-uid")
        return _u16_prefixed(uid, "SOP-class-uid-length") + bytes(self.service_class_application_information)

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "SOPClassExtendedNegotiation":
        uid = _decode_name(_read_u16_prefixed(cur, "SOP-class-uid-length"))
        return cls(uid, bytes(cur.rest()))

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        n = len(encode_name(self.sop_class_uid, "SOP-class-uid"))
        info = self.service_class_application_information
        return [Line(offset, 2, "SOP-class-uid-length", n, depth),
                Line(offset + 2, n, "SOP-class-uid", self.sop_class_uid, depth),
                Line(offset + 2 + n, len(info), "Service-class-application-information", _show(info), depth)]


@dataclass
class SOPClassCommonExtendedNegotiation(Item):
    """PS3.7 D.3.3.6 (Tables D.3-12, D.3-13); byte 2 is the Sub-item-version.

    ``reserved`` keeps fields that later versions of the sub-item may append.
    """

    sop_class_uid: str
    service_class_uid: str
    related_general_sop_class_uids: list[str] = field(default_factory=list)
    version: int = 0
    reserved: bytes = b""
    item_type: ClassVar[int] = 0x57
    title: ClassVar[str] = "SOP Class Common Extended Negotiation Sub-Item"

    def _byte2(self) -> int:
        return self.version

    def _byte2_name(self) -> str:
        return "Sub-item-version"

    def _related(self) -> bytes:
        return b"".join(_u16_prefixed(encode_name(u, "Related-general-sop-class-uid"),
                                      "Related-general-sop-class-uid-length")
                        for u in self.related_general_sop_class_uids)

    def body(self) -> bytes:
        return (_u16_prefixed(encode_name(self.sop_class_uid, "SOP-class-uid"), "SOP-class-uid-length")
                + _u16_prefixed(encode_name(self.service_class_uid, "Service-class-uid"), "Service-class-uid-length")
                + _u16_prefixed(self._related(), "Related-general-sop-class-identification-length")
                + bytes(self.reserved))

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "SOPClassCommonExtendedNegotiation":
        sop = _decode_name(_read_u16_prefixed(cur, "SOP-class-uid-length"))
        service = _decode_name(_read_u16_prefixed(cur, "Service-class-uid-length"))
        with fields(cur, "Related-general-sop-class-identification-length"):
            (n,) = cur.unpack(_U16)
            related_cur = cur.sub(n)
        related = []
        while related_cur.remaining:
            related.append(_decode_name(_read_u16_prefixed(related_cur, "Related-general-sop-class-uid-length")))
        return cls(sop, service, related, byte2, bytes(cur.rest()))

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        lines: list[Line] = []
        for name, text in (("SOP-class-uid", self.sop_class_uid), ("Service-class-uid", self.service_class_uid)):
            n = len(encode_name(text, name))
            lines += [Line(offset, 2, f"{name}-length", n, depth), Line(offset + 2, n, name, text, depth)]
            offset += 2 + n
        related = self._related()
        lines.append(Line(offset, 2, "Related-general-sop-class-identification-length", len(related), depth))
        offset += 2
        for uid in self.related_general_sop_class_uids:
            n = len(encode_name(uid, "Related-general-sop-class-uid"))
            lines += [Line(offset, 2, "Related-general-sop-class-uid-length", n, depth + 1),
                      Line(offset + 2, n, "Related-general-sop-class-uid", uid, depth + 1)]
            offset += 2 + n
        if self.reserved:
            lines.append(Line(offset, len(self.reserved), "Reserved", _show(self.reserved), depth))
        return lines


USER_IDENTITY_TYPES = {
    1: "Username", 2: "Username and passcode", 3: "Kerberos Service ticket",
    4: "SAML Assertion", 5: "JSON Web Token (JWT)",
}


@dataclass
class UserIdentityRQ(Item):
    """PS3.7 D.3.3.7.1 (Table D.3-14); type 5 (JWT) per later editions.

    describe() hides secrets: passcodes always, the primary field unless it is
    a plain username (types 1 and 2), since tickets and tokens are bearer
    credentials that must not end up in logs.
    """

    user_identity_type: int
    primary_field: bytes
    secondary_field: bytes = b""
    positive_response_requested: int = 0
    item_type: ClassVar[int] = 0x58
    title: ClassVar[str] = "User Identity Sub-Item (RQ)"

    def body(self) -> bytes:
        primary = bytes(self.primary_field)
        if len(primary) > 0xFFFF:
            raise EncodeError(f"Primary-field: {len(primary)} bytes do not fit a 16-bit length")
        return (_UID_RQ.pack(self.user_identity_type, self.positive_response_requested, len(primary))
                + primary + _u16_prefixed(bytes(self.secondary_field), "Secondary-field-length"))

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "UserIdentityRQ":
        kind, positive, n = cur.unpack(_UID_RQ)
        with fields(cur, "Primary-field"):
            primary = bytes(cur.take(n))
        secondary = bytes(_read_u16_prefixed(cur, "Secondary-field-length"))
        return cls(kind, primary, secondary, positive)

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        p, s = len(self.primary_field), len(self.secondary_field)
        kind = USER_IDENTITY_TYPES.get(self.user_identity_type, "reserved")
        shown = (bytes(self.primary_field).decode("utf-8", "replace")
                 if self.user_identity_type in (1, 2) else f"<{p} bytes hidden>")
        return [Line(offset, 1, "User-Identity-Type", f"{self.user_identity_type} ({kind})", depth),
                Line(offset + 1, 1, "Positive-response-requested", self.positive_response_requested, depth),
                Line(offset + 2, 2, "Primary-field-length", p, depth),
                Line(offset + 4, p, "Primary-field", shown, depth),
                Line(offset + 4 + p, 2, "Secondary-field-length", s, depth),
                Line(offset + 6 + p, s, "Secondary-field", f"<{s} bytes hidden>", depth)]


@dataclass
class UserIdentityAC(Item):
    """PS3.7 D.3.3.7.2 (Table D.3-15): the server response (ticket, SAML, JWT or empty)."""

    server_response: bytes = b""
    item_type: ClassVar[int] = 0x59
    title: ClassVar[str] = "User Identity Sub-Item (AC)"

    def body(self) -> bytes:
        return _u16_prefixed(bytes(self.server_response), "Server-response-length")

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "UserIdentityAC":
        return cls(bytes(_read_u16_prefixed(cur, "Server-response-length")))

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        n = len(self.server_response)
        return [Line(offset, 2, "Server-response-length", n, depth),
                Line(offset + 2, n, "Server-response", f"<{n} bytes hidden>", depth)]


USER_INFORMATION_SUB_ITEMS: dict[int, type[Item]] = {
    cls.item_type: cls for cls in (
        MaximumLength, ImplementationClassUID, AsynchronousOperationsWindow, RoleSelection,
        ImplementationVersionName, SOPClassExtendedNegotiation, SOPClassCommonExtendedNegotiation,
        UserIdentityRQ, UserIdentityAC)
}


@dataclass
class UserInformation(Item):
    """User Information Item (PS3.8 Table 9-16): sub-items in the order received.

    Duplicates and unknown sub-items are kept; judging them is negotiation's job
    (PS3.8 D.2 note 2: unknown sub-items shall not cause a rejection).
    """

    sub_items: list[Item] = field(default_factory=list)
    item_type: ClassVar[int] = 0x50
    title: ClassVar[str] = "User Information Item"

    def body(self) -> bytes:
        return b"".join(s.encode() for s in self.sub_items)

    @classmethod
    def _read(cls, cur: Cursor, byte2: int) -> "UserInformation":
        return cls(read_items(cur, USER_INFORMATION_SUB_ITEMS, cls.title))

    def first(self, kind: type[Item]) -> Any:
        """The first sub-item of a class, or None."""
        return next((s for s in self.sub_items if isinstance(s, kind)), None)

    def _describe_body(self, offset: int, depth: int) -> list[Line]:
        return _describe_list(self.sub_items, offset, depth)


# Every item type of PS3.8 9.3 and PS3.7 Annex D (the type codes are unique).
ALL_ITEMS: dict[int, type[Item]] = {
    cls.item_type: cls for cls in (
        ApplicationContext, PresentationContextRQ, PresentationContextAC, AbstractSyntax,
        TransferSyntax, UserInformation)
}
ALL_ITEMS.update(USER_INFORMATION_SUB_ITEMS)


def decode_item(data: bytes | memoryview) -> Item:
    """Exactly one item (header included) of any known type; for tests and tools."""
    cur = Cursor(data)
    items = read_items(cur, ALL_ITEMS, "item")
    if len(items) != 1:
        raise PDUError(None, "Item-length", 2, f"{len(items)} items, expected exactly one")
    return items[0]
