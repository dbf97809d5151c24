"""DIMSE messages as objects, and their command sets as bytes (PS3.7 6.3, 9.3, 10.3).

Rules of this module:
1. A command set is group 0000 only, ascending tags, Implicit VR Little Endian
   (PS3.7 6.3.1), starting with Command Group Length, whose value is the
   number of bytes after it (E.1).  ``encode_command`` computes it;
   ``decode_command`` checks it.
2. A message object holds the command fields (snake_case, see
   ``commands.ELEMENTS``) and ``dataset``: a ``Dataset``, already encoded bytes
   or chunks (C-STORE passthrough of a file's bytes), or None.  The data set is
   never part of the command bytes; it travels in its own PDVs (``fragment.fragment_message``).
3. Command Data Set Type is derived: 0101H when ``dataset`` is None, 0001H
   otherwise (E.1: "any other value" means present).  ``decode_command`` stores
   the received value in ``data_set_type``; ``has_dataset`` reads it.  Message
   equality ignores ``data_set_type`` (only *how* presence was spelled).
4. Encoding is strict: mandatory fields (M in ``commands.SPECS``), values
   their VR can hold, the data set rule of the message; else ``EncodeError``.
   Decoding lives in ``decode.py``; ``extra`` elements it keeps (retired ones,
   say) are sent back unchanged.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Iterable, Optional, Union

from dicomcore.dataset import Dataset
from dicomcore.dataset.dictionary import name_of
from dicomcore.dataset.encode import encode_dataset
from dicomcore.dataset.vr import coerce, encode_value
from dicomcore.errors import EncodeError
from dicomcore.pdu.items import Line

from .commands import (BY_KEYWORD, CANCEL_FIELD, COMMAND_DATA_SET_TYPE, COMMAND_FIELD,
                       COMMAND_GROUP_LENGTH, DATA_SET_PRESENT, ELEMENTS, MEDIUM, NO_DATA_SET,
                       SPECS, MessageSpec)
from .status import SERVICE_OF_COMMAND, SUCCESS, Status

__all__ = [
    "Message", "CEchoRQ", "CEchoRSP", "CStoreRQ", "CStoreRSP", "CFindRQ", "CFindRSP", "CGetRQ",
    "CGetRSP", "CMoveRQ", "CMoveRSP", "CCancelRQ", "NEventReportRQ", "NEventReportRSP", "NGetRQ",
    "NGetRSP", "NSetRQ", "NSetRSP", "NActionRQ", "NActionRSP", "NCreateRQ", "NCreateRSP",
    "NDeleteRQ", "NDeleteRSP", "MESSAGE_CLASSES", "encode_command", "dataset_chunks",
    "VERIFICATION_SOP_CLASS",
]

VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1"  # PS3.4 A.4
_HEADER = struct.Struct("<HHI")  # implicit VR: group, element, value length (PS3.5 7.1.3)
_GROUP_LENGTH = struct.Struct("<HHII")  # (0000,0000) UL, length 4, value

DatasetLike = Union[Dataset, bytes, bytearray, memoryview, Iterable, None]


@dataclass(kw_only=True, repr=False)
class Message:
    """Base of the DIMSE messages; ``spec`` is the class's row of ``commands.SPECS``."""

    spec: ClassVar[MessageSpec]
    dataset: Any = None
    extra: list = field(default_factory=list)  # DataElements not defined for this message
    data_set_type: Optional[int] = field(default=None, compare=False)

    def __post_init__(self) -> None:
        status = getattr(self, "status", None)
        if status is not None:
            self.status = Status(status, SERVICE_OF_COMMAND.get(self.spec.command_field))
        for attr in ("offending_element", "attribute_identifier_list"):
            value = getattr(self, attr, None)
            if isinstance(value, int):
                setattr(self, attr, [value])
            elif value is not None:
                setattr(self, attr, [int(v) for v in value])

    @property
    def title(self) -> str:
        return self.spec.name

    @property
    def command_field(self) -> int:
        return self.spec.command_field

    @property
    def is_request(self) -> bool:
        return self.spec.is_request

    @property
    def has_dataset(self) -> bool:
        """Whether a data set follows the command (PS3.7 E.1 (0000,0800))."""
        if self.data_set_type is not None:
            return self.data_set_type != NO_DATA_SET
        return self.dataset is not None

    def describe(self) -> list[Line]:
        """The command set field by field: offset, length, PS3.7 field name, value."""
        elements = _encoded_elements(self, strict=False)
        length = sum(8 + len(data) for *_, data in elements)
        lines = [Line(0, 12, "Command Group Length (0000,0000) UL", length)]
        offset = 12
        for tag, vr, value, data in elements:
            element = ELEMENTS.get(tag)
            name = element.name if element else (name_of(tag) or "Unknown element")
            where = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
            lines.append(Line(offset, 8 + len(data), f"{name} {where} {vr}", _show(tag, value)))
            offset += 8 + len(data)
        if self.has_dataset:
            lines.append(Line(offset, 0, "Data Set", _show_dataset(self.dataset)))
        return lines

    def __repr__(self) -> str:
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                 if f.name not in ("dataset", "extra", "data_set_type")
                 and getattr(self, f.name) is not None]
        if self.extra:
            shown.append(f"extra={self.extra!r}")
        if self.has_dataset:
            shown.append(f"dataset={_show_dataset(self.dataset)}")
        return f"{type(self).__name__}({', '.join(shown)})"


_message = dataclass(kw_only=True, repr=False)


# ---------------------------------------------------------------- DIMSE-C (PS3.7 9.3)
@_message
class CEchoRQ(Message):
    """C-ECHO-RQ (Table 9.3-12): the Verification SOP Class by default."""

    spec = SPECS[0x0030]
    message_id: Optional[int] = None
    affected_sop_class_uid: Optional[str] = VERIFICATION_SOP_CLASS


@_message
class _CResponse(Message):
    """Fields every DIMSE-C response has (Tables 9.3-2, -4, -7, -10, -13, Annex C)."""

    message_id_being_responded_to: Optional[int] = None
    status: Optional[int] = SUCCESS
    affected_sop_class_uid: Optional[str] = None
    message_id: Optional[int] = None  # retired use, allowed (9.1.1.1.1 Note 1)
    offending_element: Optional[list[int]] = None
    error_comment: Optional[str] = None
    error_id: Optional[int] = None


@_message
class CEchoRSP(_CResponse):
    """C-ECHO-RSP (Table 9.3-13)."""

    spec = SPECS[0x8030]


@_message
class CStoreRQ(Message):
    """C-STORE-RQ (Table 9.3-1); ``dataset`` is the SOP Instance (required)."""

    spec = SPECS[0x0001]
    message_id: Optional[int] = None
    affected_sop_class_uid: Optional[str] = None
    affected_sop_instance_uid: Optional[str] = None
    priority: Optional[int] = MEDIUM
    move_originator_ae_title: Optional[str] = None
    move_originator_message_id: Optional[int] = None


@_message
class CStoreRSP(_CResponse):
    """C-STORE-RSP (Table 9.3-2)."""

    spec = SPECS[0x8001]
    affected_sop_instance_uid: Optional[str] = None


@_message
class _QueryRQ(Message):
    message_id: Optional[int] = None
    affected_sop_class_uid: Optional[str] = None
    priority: Optional[int] = MEDIUM


@_message
class CFindRQ(_QueryRQ):
    """C-FIND-RQ (Table 9.3-3); ``dataset`` is the Identifier (required)."""

    spec = SPECS[0x0020]


@_message
class CFindRSP(_CResponse):
    """C-FIND-RSP (Table 9.3-4); a Pending response carries the matched Identifier."""

    spec = SPECS[0x8020]


@_message
class CGetRQ(_QueryRQ):
    """C-GET-RQ (Table 9.3-6); ``dataset`` is the Identifier (required)."""

    spec = SPECS[0x0010]


@_message
class _RetrieveRSP(_CResponse):
    number_of_remaining_suboperations: Optional[int] = None
    number_of_completed_suboperations: Optional[int] = None
    number_of_failed_suboperations: Optional[int] = None
    number_of_warning_suboperations: Optional[int] = None


@_message
class CGetRSP(_RetrieveRSP):
    """C-GET-RSP (Table 9.3-7); sub-operation counts per PS3.4 C.4.3.1.5-8."""

    spec = SPECS[0x8010]


@_message
class CMoveRQ(_QueryRQ):
    """C-MOVE-RQ (Table 9.3-9); ``move_destination`` is an AE title."""

    spec = SPECS[0x0021]
    move_destination: Optional[str] = None


@_message
class CMoveRSP(_RetrieveRSP):
    """C-MOVE-RSP (Table 9.3-10); sub-operation counts per PS3.4 C.4.2.1.6-9."""

    spec = SPECS[0x8021]


@_message
class CCancelRQ(Message):
    """C-CANCEL-RQ (Tables 9.3-5, -8, -11): cancels a C-FIND, C-GET or C-MOVE."""

    spec = SPECS[CANCEL_FIELD]
    message_id_being_responded_to: Optional[int] = None


# ---------------------------------------------------------------- DIMSE-N (PS3.7 10.3)
@_message
class _NResponse(Message):
    """Fields every DIMSE-N response has (Tables 10.3-2 ... 10.3-12, Annex C)."""

    message_id_being_responded_to: Optional[int] = None
    status: Optional[int] = SUCCESS
    affected_sop_class_uid: Optional[str] = None
    affected_sop_instance_uid: Optional[str] = None
    offending_element: Optional[list[int]] = None
    error_comment: Optional[str] = None
    error_id: Optional[int] = None


@_message
class _NRequest(Message):
    """Requested SOP Class and Instance (N-GET, N-SET, N-ACTION, N-DELETE)."""

    message_id: Optional[int] = None
    requested_sop_class_uid: Optional[str] = None
    requested_sop_instance_uid: Optional[str] = None


@_message
class NEventReportRQ(Message):
    """N-EVENT-REPORT-RQ (Table 10.3-1); ``dataset``: Event Information."""

    spec = SPECS[0x0100]
    message_id: Optional[int] = None
    affected_sop_class_uid: Optional[str] = None
    affected_sop_instance_uid: Optional[str] = None
    event_type_id: Optional[int] = None


@_message
class NEventReportRSP(_NResponse):
    """N-EVENT-REPORT-RSP (Table 10.3-2); ``dataset``: Event Reply."""

    spec = SPECS[0x8100]
    event_type_id: Optional[int] = None


@_message
class NGetRQ(_NRequest):
    """N-GET-RQ (Table 10.3-3); no data set."""

    spec = SPECS[0x0110]
    attribute_identifier_list: Optional[list[int]] = None


@_message
class NGetRSP(_NResponse):
    """N-GET-RSP (Table 10.3-4); ``dataset``: Attribute List."""

    spec = SPECS[0x8110]
    attribute_identifier_list: Optional[list[int]] = None


@_message
class NSetRQ(_NRequest):
    """N-SET-RQ (Table 10.3-5); ``dataset``: Modification List (required)."""

    spec = SPECS[0x0120]


@_message
class NSetRSP(_NResponse):
    """N-SET-RSP (Table 10.3-6); ``dataset``: Attribute List."""

    spec = SPECS[0x8120]
    attribute_identifier_list: Optional[list[int]] = None


@_message
class NActionRQ(_NRequest):
    """N-ACTION-RQ (Table 10.3-7); ``dataset``: Action Information."""

    spec = SPECS[0x0130]
    action_type_id: Optional[int] = None


@_message
class NActionRSP(_NResponse):
    """N-ACTION-RSP (Table 10.3-8); ``dataset``: Action Reply."""

    spec = SPECS[0x8130]
    action_type_id: Optional[int] = None


@_message
class NCreateRQ(Message):
    """N-CREATE-RQ (Table 10.3-9); the SCP may assign the instance UID."""

    spec = SPECS[0x0140]
    message_id: Optional[int] = None
    affected_sop_class_uid: Optional[str] = None
    affected_sop_instance_uid: Optional[str] = None


@_message
class NCreateRSP(_NResponse):
    """N-CREATE-RSP (Table 10.3-10); ``dataset``: Attribute List."""

    spec = SPECS[0x8140]
    attribute_identifier_list: Optional[list[int]] = None


@_message
class NDeleteRQ(_NRequest):
    """N-DELETE-RQ (Table 10.3-11); no data set."""

    spec = SPECS[0x0150]


@_message
class NDeleteRSP(_NResponse):
    """N-DELETE-RSP (Table 10.3-12); no data set."""

    spec = SPECS[0x8150]


MESSAGE_CLASSES: dict[int, type[Message]] = {cls.spec.command_field: cls for cls in (
    CEchoRQ, CEchoRSP, CStoreRQ, CStoreRSP, CFindRQ, CFindRSP, CGetRQ, CGetRSP, CMoveRQ,
    CMoveRSP, CCancelRQ, NEventReportRQ, NEventReportRSP, NGetRQ, NGetRSP, NSetRQ, NSetRSP,
    NActionRQ, NActionRSP, NCreateRQ, NCreateRSP, NDeleteRQ, NDeleteRSP)}


# ---------------------------------------------------------------- encoding
def _data_set_type(msg: Message) -> int:
    if msg.data_set_type is None:
        return NO_DATA_SET if msg.dataset is None else DATA_SET_PRESENT
    if msg.dataset is not None and msg.data_set_type == NO_DATA_SET:
        raise EncodeError(f"{msg.title}: data_set_type 0101H (none) but a dataset is given")
    return msg.data_set_type


def _encoded_elements(msg: Message, strict: bool) -> list[tuple[int, str, Any, bytes]]:
    """(tag, VR, value, value bytes) for the whole command set, in tag order."""
    spec = msg.spec
    values: dict[int, tuple[str, Any]] = {}
    for keyword, usage in spec.fields:
        element = BY_KEYWORD[keyword]
        value = getattr(msg, element.attr)
        if value is None:
            if strict and usage == "M":
                raise EncodeError(f"{spec.name}: {element.name} {keyword} is mandatory "
                                  f"(PS3.7 Table {spec.table})")
            continue
        values[element.tag] = (element.vr, value)
    if strict:
        rule, present = spec.data_set, msg.has_dataset
        if (rule == "required" and not present) or (rule == "none" and present):
            need = "required" if rule == "required" else "not allowed"
            raise EncodeError(f"{spec.name}: a data set is {need} (PS3.7 Table {spec.table})")
    values[COMMAND_FIELD] = ("US", spec.command_field)
    try:
        values[COMMAND_DATA_SET_TYPE] = ("US", _data_set_type(msg))
    except EncodeError:
        if strict:
            raise
        values[COMMAND_DATA_SET_TYPE] = ("US", msg.data_set_type)
    for elem in msg.extra:
        tag = int(elem.tag)
        if strict and (tag >> 16 or tag in values or tag == COMMAND_GROUP_LENGTH):
            raise EncodeError(f"{spec.name}: extra element {elem!r} is not a free group 0000 tag")
        values[tag] = (elem.vr, elem.value)
    # Each value is encoded straight from the VR table (PS3.7 6.3.1: Implicit VR LE);
    # a command set is flat, so no Dataset needs building on this per-message path.
    encoded = []
    for tag in sorted(values):
        vr, value = values[tag]
        if vr == "SQ":
            raise EncodeError(f"{spec.name}: a command element is not a plain value")
        try:
            data = encode_value(vr, coerce(vr, value), True, ())
        except (EncodeError, ValueError, TypeError) as exc:
            raise EncodeError(f"{spec.name}: (0000,{tag & 0xFFFF:04X}) {vr}: {exc}") from None
        encoded.append((tag, vr, value, data))
    return encoded


def encode_command(msg: Message) -> bytes:
    """The command set of ``msg``: Implicit VR Little Endian, group length first.

    Raises ``EncodeError`` for a missing mandatory field, a value its VR
    cannot hold, or a data set where the message allows none (or none where
    one is required).
    """
    elements = _encoded_elements(msg, strict=True)
    body = b"".join(_HEADER.pack(0, tag & 0xFFFF, len(data)) + data
                    for tag, _, _, data in elements)
    return _GROUP_LENGTH.pack(0, 0, 4, len(body)) + body  # PS3.7 E.1 (0000,0000)


def dataset_chunks(dataset: DatasetLike, little: bool = True,
                   explicit: bool = False) -> Optional[Iterable]:
    """A message's data set as byte chunks for ``fragment_message`` (None if there is none).

    A ``Dataset`` is encoded in the presentation context's transfer syntax
    (``little``, ``explicit``; deflate is the caller's); bytes pass through as
    one memoryview and chunks (a list, or a generator reading a file block by
    block) as they are: nothing large is copied or read ahead.
    """
    if dataset is None:
        return None
    if isinstance(dataset, Dataset):
        return encode_dataset(dataset, little, explicit)
    if isinstance(dataset, (bytes, bytearray, memoryview)):
        return [memoryview(dataset)]
    return dataset  # chunks, or an iterator of blocks read lazily (never materialised)


# ---------------------------------------------------------------- describe() helpers
def _show(tag: int, value: Any) -> str:
    if tag == COMMAND_FIELD:
        spec = SPECS.get(value)
        return f"{value:04X}H ({spec.name if spec else 'unknown'})"
    if tag == COMMAND_DATA_SET_TYPE:
        return f"{value:04X}H ({'no data set' if value == NO_DATA_SET else 'data set present'})"
    if tag == 0x00000900:
        return str(value if isinstance(value, Status) else Status(value))
    if tag in (0x00000901, 0x00001005):
        return ", ".join(f"({t >> 16:04X},{t & 0xFFFF:04X})" for t in value)
    if tag == 0x00000700:
        return f"{value:04X}H ({ {0: 'MEDIUM', 1: 'HIGH', 2: 'LOW'}.get(value, 'invalid') })"
    return repr(value) if isinstance(value, str) else str(value)


def _show_dataset(dataset: Any) -> str:
    if dataset is None:
        return "follows (not yet received)"
    if isinstance(dataset, Dataset):
        return f"Dataset with {len(dataset)} elements"
    if isinstance(dataset, (bytes, bytearray, memoryview)):
        return f"{len(dataset)} encoded bytes"
    return "encoded chunks"

