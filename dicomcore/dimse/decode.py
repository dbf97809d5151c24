"""Command set bytes to message objects, strictly (PS3.7 6.3.1, 9.3, 10.3, Annex E).

Rules of this module:
1. Structure first: group 0000 only, ascending tags, lengths inside the data,
   and a Command Group Length equal to the bytes after it (E.1).  Faults that
   keep the framing are noted and the walk goes on, so the error can still
   name the Command Field and Message ID of what it rejects.
2. Then the message's table (``commands.SPECS``): a known Command Field, every
   ``M`` field present, values that fit their VR, and a Command Data Set Type
   that agrees with the message (a data set required, optional or forbidden).
   Elements PS3.7 does not define for the message are kept in ``extra``.
3. Text is read as latin-1 (never a decode error); encoding is the strict side.
4. Every fault is a ``DimseError`` made by ``status.dimse_error``: ``status``
   is the failure to answer with (None when no response fits: a response, a
   C-CANCEL), plus ``command_field``, ``message_id``, ``keyword``, ``offset``
   and ``fields`` (whatever did decode).  ``error_response`` builds the answer.
"""
from __future__ import annotations

import copy
import struct
from typing import Any, Optional, Union

from dicomcore.dataset import DataElement
from dicomcore.dataset.vr import decode_value
from dicomcore.errors import DicomError

from .commands import (BY_KEYWORD, CANCEL_FIELD, COMMAND_DATA_SET_TYPE, COMMAND_FIELD,
                       COMMAND_GROUP_LENGTH, ELEMENTS, NO_DATA_SET, RETIRED, SPECS,
                       response_field)
from .messages import MESSAGE_CLASSES, Message
from .status import SERVICE_OF_COMMAND, dimse_error, error_comment

__all__ = ["decode_command", "error_response"]

_HEADER = struct.Struct("<HHI")  # implicit VR: group, element, value length (PS3.5 7.1.3)


def _failure_status(command_field: Optional[int]) -> Optional[int]:
    """The status that answers a request we could not understand (None: no answer fits)."""
    if command_field is None or command_field not in SPECS:
        return 0x0211  # PS3.7 C.5.23 Unrecognized Operation
    if command_field & 0x8000 or command_field == CANCEL_FIELD:
        return None  # responses and C-CANCEL have no response
    if SERVICE_OF_COMMAND.get(command_field) in ("storage", "find", "get", "move"):
        return 0xC000  # PS3.4 B.2.3 "Cannot understand", C.4 "Unable to process"
    return 0x0110  # PS3.7 C.5.21 Processing Failure


def _walk(data: memoryview) -> tuple[list[tuple[int, int, memoryview]], Optional[str], int]:
    """Elements (tag, offset, value) and the first fault with its offset.

    Faults that keep the framing (order, repeats, other groups) are noted and
    the walk goes on, so the error can still name the Command Field and
    Message ID; a length that overruns the data ends it.
    """
    found: list[tuple[int, int, memoryview]] = []
    fault: Optional[tuple[str, int]] = None
    pos, end, last = 0, len(data), -1
    seen: set[int] = set()
    while pos < end:
        if end - pos < 8:
            fault = fault or (f"{end - pos} bytes left, an element header has 8", pos)
            break
        group, element, length = _HEADER.unpack_from(data, pos)
        tag = group << 16 | element
        if length > end - pos - 8:
            fault = fault or (f"({group:04X},{element:04X}) value length {length} overruns "
                              "the command set", pos)
            break
        if group != 0x0000:  # PS3.7 6.3: a command set is group 0000 only
            fault = fault or (f"element ({group:04X},{element:04X}) is not in group 0000", pos)
        else:
            if tag <= last:  # PS3.7 6.3.1: increasing tag order, each at most once
                fault = fault or (f"element (0000,{element:04X}) out of order or repeated", pos)
            if tag not in seen:  # the first of repeats counts, for the error's context
                found.append((tag, pos, data[pos + 8:pos + 8 + length]))
                seen.add(tag)
            last = max(last, tag)
        pos += 8 + length
    return found, *(fault or (None, pos))  # type: ignore[return-value]


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: Exception):
        self.error = error


_US = struct.Struct("<H")
_UL = struct.Struct("<I")


def _value(tag: int, vr: str, raw: memoryview) -> Any:
    """One command element's value; raises ValueError when it does not fit its VR."""
    if vr == "US" and len(raw) == 2:  # most command fields: no need for the general decoder
        return _US.unpack(raw)[0]
    if vr == "UL" and len(raw) == 4:
        return _UL.unpack(raw)[0]
    if vr == "US" and len(raw) not in (0, 2) or vr == "UL" and len(raw) not in (0, 4):
        raise ValueError(f"{len(raw)} bytes for one {vr} value")
    if vr == "AT":
        if len(raw) % 4:
            raise ValueError(f"{len(raw)} bytes is not a whole number of tags")
        value = decode_value(vr, bytes(raw))
        return [] if value is None else [int(t) for t in (value if isinstance(value, list) else [value])]
    value = decode_value(vr, bytes(raw))
    if isinstance(value, list):  # a backslash inside a VM 1 string: keep it verbatim
        value = "\\".join(value)
    return value


# Command sets seen lately and their messages: every pending C-FIND-RSP of one query
# is the same command set, so it is decoded once.  Copies go out, never the cached one.
_SEEN: dict[bytes, Message] = {}
_SEEN_MAX = 64
_SEEN_LENGTH = 1024  # longer command sets (rare) are not kept


def decode_command(data: Union[bytes, bytearray, memoryview]) -> Message:
    """A complete command set to its message; any fault is a ``DimseError``.

    The returned message has ``dataset`` None; ``has_dataset`` tells whether a
    data set follows (the reassembler fills ``dataset`` in).  It is the
    caller's to change: a command set decoded before gives a fresh copy.
    """
    key = bytes(data) if len(data) <= _SEEN_LENGTH else None
    if key is not None:
        seen = _SEEN.get(key)
        if seen is not None:
            return _fresh(seen)
    message = _decode_command(data)
    if key is not None:
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        _SEEN[key] = _fresh(message)
    return message


def _fresh(message: Message) -> Message:
    fresh = copy.copy(message)
    fresh.extra = list(message.extra)
    return fresh


def _decode_command(data: Union[bytes, bytearray, memoryview]) -> Message:
    view = memoryview(data).cast("B") if not isinstance(data, memoryview) else data
    found, fault, fault_at = _walk(view)
    raw = {tag: (offset, value) for tag, offset, value in found}
    known: dict[str, Any] = {}  # whatever decodes, for the error's context
    decoded: dict[int, Any] = {}  # each value decoded once: the value, or why it failed
    for tag, (offset, value) in raw.items():
        element = ELEMENTS.get(tag)
        vr = element.vr if element else RETIRED.get(tag, ("", "UN"))[1]
        try:
            decoded[tag] = _value(tag, vr, value)
        except (ValueError, DicomError) as exc:
            decoded[tag] = _Failed(exc)
            continue
        if element is not None:
            known[element.attr] = decoded[tag]
    command_field = known.get("command_field")
    context = dict(command_field=command_field, message_id=known.get("message_id"), fields=known)
    status = _failure_status(command_field)

    def fail(text: str, offset: Optional[int] = None, keyword: Optional[str] = None) -> Exception:
        spec = SPECS.get(command_field) if command_field is not None else None
        title = spec.name if spec else "command set"
        return dimse_error(f"{title}: {text}", status, offset=offset, keyword=keyword, **context)

    if fault is not None:
        raise fail(fault, fault_at)
    if COMMAND_GROUP_LENGTH not in raw:
        raise fail("Command Group Length (0000,0000) is missing (PS3.7 E.1)", 0,
                   "CommandGroupLength")
    if known.get("command_group_length") != len(view) - 12:
        raise fail(f"Command Group Length is {known.get('command_group_length')}, but "
                   f"{len(view) - 12} bytes follow it (PS3.7 E.1)", 0, "CommandGroupLength")
    if command_field is None:
        raise fail("Command Field (0000,0100) is missing or unreadable", None, "CommandField")
    spec = SPECS.get(command_field)
    if spec is None:
        raise fail(f"unknown Command Field {command_field:04X}H (PS3.7 E.1)",
                   raw[COMMAND_FIELD][0], "CommandField")
    values: dict[str, Any] = {}
    extra: list[DataElement] = []
    allowed = {BY_KEYWORD[k].tag for k, _ in spec.fields}
    for tag, (offset, value) in raw.items():
        element = ELEMENTS.get(tag)
        if tag in (COMMAND_GROUP_LENGTH, COMMAND_FIELD):
            continue
        vr = element.vr if element else RETIRED.get(tag, ("", "UN"))[1]
        result = decoded[tag]
        if type(result) is _Failed:
            name = element.name if element else f"(0000,{tag & 0xFFFF:04X})"
            raise fail(f"{name}: {result.error}", offset,
                       element.keyword if element else None) from None
        if tag in allowed or tag == COMMAND_DATA_SET_TYPE:
            if result is not None:
                values[element.attr] = result  # type: ignore[union-attr]
        else:
            extra.append(DataElement(tag, vr, result))
    for keyword in spec.mandatory:
        if BY_KEYWORD[keyword].attr not in values:
            raise fail(f"{BY_KEYWORD[keyword].name} {keyword} is missing or empty "
                       f"(PS3.7 Table {spec.table})", None, keyword)
    data_set_type = values.pop("data_set_type", None)
    if data_set_type is None:
        raise fail("Command Data Set Type (0000,0800) is missing (PS3.7 E.1)", None,
                   "CommandDataSetType")
    present = data_set_type != NO_DATA_SET
    if spec.data_set == "required" and not present or spec.data_set == "none" and present:
        raise fail(f"Command Data Set Type {data_set_type:04X}H: a data set is "
                   f"{'required' if spec.data_set == 'required' else 'not allowed'} "
                   f"(PS3.7 Table {spec.table})", raw[COMMAND_DATA_SET_TYPE][0],
                   "CommandDataSetType")
    return MESSAGE_CLASSES[command_field](**values, extra=extra, data_set_type=data_set_type)


def error_response(error: DicomError) -> Optional[Message]:
    """The failure response answering a request ``decode_command`` rejected, if any fits.

    None when no response can be built: the Command Field is unknown, the
    message was a response or a C-CANCEL, or the Message ID is unknown.  The
    caller then ignores the message or aborts the association.
    """
    status = getattr(error, "status", None)
    command_field = getattr(error, "command_field", None)
    message_id = getattr(error, "message_id", None)
    if status is None or message_id is None or command_field not in SPECS \
            or response_field(command_field) not in MESSAGE_CLASSES:
        return None
    known = getattr(error, "fields", {}) or {}
    cls = MESSAGE_CLASSES[response_field(command_field)]
    allowed = set(cls.spec.attrs)
    kwargs: dict[str, Any] = {"message_id_being_responded_to": message_id, "status": status,
                              "error_comment": error_comment(str(error))}
    for ours, theirs in (("affected_sop_class_uid", "affected_sop_class_uid"),
                         ("affected_sop_class_uid", "requested_sop_class_uid"),
                         ("affected_sop_instance_uid", "affected_sop_instance_uid"),
                         ("affected_sop_instance_uid", "requested_sop_instance_uid")):
        if ours in allowed and isinstance(known.get(theirs), str) and ours not in kwargs:
            kwargs[ours] = known[theirs]
    keyword = getattr(error, "keyword", None)
    if keyword in BY_KEYWORD and "offending_element" in allowed:
        kwargs["offending_element"] = [BY_KEYWORD[keyword].tag]  # PS3.7 C.5.1
    return cls(**kwargs)
