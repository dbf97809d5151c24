"""What each DIMSE message carries: PS3.7 9.3, 10.3 and Annex E as data.

Rules of this module:
1. ``ELEMENTS`` is PS3.7 Table E.1-1 (the command dictionary, group 0000);
   ``RETIRED`` is Table E.2-1.  Each element has a snake_case ``attr``: the
   field name it has on message objects.
2. ``SPECS`` maps every Command Field value to a ``MessageSpec``: which
   elements the message may carry and how (``M`` mandatory, ``U`` optional,
   ``C`` conditional), and whether a data set is none/required/optional.
   Usage comes from the service definitions (Tables 9.1-1..9.1-5,
   10.1-1..10.1-6); elements present in the 9.3/10.3 message tables but not
   in the service definition are "required by the DIMSE protocol" (9.3.1.1).
3. Command Group Length, Command Field and Command Data Set Type are in every
   message and handled by the codec, so they are not listed per message.
4. Responses may carry the Annex C status fields (Offending Element, Error
   Comment, Error ID ...; C.4, C.5) as ``U``.  Decoding enforces ``M`` only;
   ``C`` conditions depend on the status and are the service layer's job.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

__all__ = ["CommandElement", "MessageSpec", "ELEMENTS", "RETIRED", "BY_ATTR", "BY_KEYWORD",
           "SPECS", "BY_NAME", "COMMAND_GROUP_LENGTH", "COMMAND_FIELD", "COMMAND_DATA_SET_TYPE",
           "NO_DATA_SET", "DATA_SET_PRESENT", "LOW", "MEDIUM", "HIGH", "CANCEL_FIELD",
           "response_field", "is_response"]

# PS3.7 E.1 (0000,0800): 0101H means no data set; any other value means one follows.
NO_DATA_SET = 0x0101
DATA_SET_PRESENT = 0x0001  # what we send; 0x0102 is the pre-1993 "Identifier" value
# PS3.7 Table 9.3-1 Priority values.
MEDIUM, HIGH, LOW = 0x0000, 0x0001, 0x0002
CANCEL_FIELD = 0x0FFF  # C-CANCEL-RQ, for C-FIND, C-GET and C-MOVE alike (9.3.2.3)


@dataclass(frozen=True)
class CommandElement:
    """One row of PS3.7 Table E.1-1."""

    tag: int
    name: str
    keyword: str
    vr: str
    vm: str
    attr: str


def _e(tag: int, name: str, keyword: str, vr: str, vm: str, attr: str) -> CommandElement:
    return CommandElement(tag, name, keyword, vr, vm, attr)


# PS3.7 Table E.1-1: Command Fields.
ELEMENTS: dict[int, CommandElement] = {e.tag: e for e in [
    _e(0x00000000, "Command Group Length", "CommandGroupLength", "UL", "1", "command_group_length"),
    _e(0x00000002, "Affected SOP Class UID", "AffectedSOPClassUID", "UI", "1",
       "affected_sop_class_uid"),
    _e(0x00000003, "Requested SOP Class UID", "RequestedSOPClassUID", "UI", "1",
       "requested_sop_class_uid"),
    _e(0x00000100, "Command Field", "CommandField", "US", "1", "command_field"),
    _e(0x00000110, "Message ID", "MessageID", "US", "1", "message_id"),
    _e(0x00000120, "Message ID Being Responded To", "MessageIDBeingRespondedTo", "US", "1",
       "message_id_being_responded_to"),
    _e(0x00000600, "Move Destination", "MoveDestination", "AE", "1", "move_destination"),
    _e(0x00000700, "Priority", "Priority", "US", "1", "priority"),
    _e(0x00000800, "Command Data Set Type", "CommandDataSetType", "US", "1", "data_set_type"),
    _e(0x00000900, "Status", "Status", "US", "1", "status"),
    _e(0x00000901, "Offending Element", "OffendingElement", "AT", "1-n", "offending_element"),
    _e(0x00000902, "Error Comment", "ErrorComment", "LO", "1", "error_comment"),
    _e(0x00000903, "Error ID", "ErrorID", "US", "1", "error_id"),
    _e(0x00001000, "Affected SOP Instance UID", "AffectedSOPInstanceUID", "UI", "1",
       "affected_sop_instance_uid"),
    _e(0x00001001, "Requested SOP Instance UID", "RequestedSOPInstanceUID", "UI", "1",
       "requested_sop_instance_uid"),
    _e(0x00001002, "Event Type ID", "EventTypeID", "US", "1", "event_type_id"),
    _e(0x00001005, "Attribute Identifier List", "AttributeIdentifierList", "AT", "1-n",
       "attribute_identifier_list"),
    _e(0x00001008, "Action Type ID", "ActionTypeID", "US", "1", "action_type_id"),
    _e(0x00001020, "Number of Remaining Sub-operations", "NumberOfRemainingSuboperations", "US",
       "1", "number_of_remaining_suboperations"),
    _e(0x00001021, "Number of Completed Sub-operations", "NumberOfCompletedSuboperations", "US",
       "1", "number_of_completed_suboperations"),
    _e(0x00001022, "Number of Failed Sub-operations", "NumberOfFailedSuboperations", "US", "1",
       "number_of_failed_suboperations"),
    _e(0x00001023, "Number of Warning Sub-operations", "NumberOfWarningSuboperations", "US", "1",
       "number_of_warning_suboperations"),
    _e(0x00001030, "Move Originator Application Entity Title",
       "MoveOriginatorApplicationEntityTitle", "AE", "1", "move_originator_ae_title"),
    _e(0x00001031, "Move Originator Message ID", "MoveOriginatorMessageID", "US", "1",
       "move_originator_message_id"),
]}

# PS3.7 Table E.2-1: retired command fields, tag -> (keyword, VR); kept when received.
RETIRED: dict[int, tuple[str, str]] = {
    0x00000001: ("CommandLengthToEnd", "UL"), 0x00000010: ("CommandRecognitionCode", "SH"),
    0x00000200: ("Initiator", "AE"), 0x00000300: ("Receiver", "AE"),
    0x00000400: ("FindLocation", "AE"), 0x00000850: ("NumberOfMatches", "US"),
    0x00000860: ("ResponseSequenceNumber", "US"), 0x00004000: ("DialogReceiver", "LT"),
    0x00004010: ("TerminalType", "LT"), 0x00005010: ("MessageSetID", "SH"),
    0x00005020: ("EndMessageID", "SH"), 0x00005110: ("DisplayFormat", "LT"),
    0x00005120: ("PagePositionID", "LT"), 0x00005130: ("TextFormatID", "CS"),
    0x00005140: ("NormalReverse", "CS"), 0x00005150: ("AddGrayScale", "CS"),
    0x00005160: ("Borders", "CS"), 0x00005170: ("Copies", "IS"),
    0x00005180: ("CommandMagnificationType", "CS"), 0x00005190: ("Erase", "CS"),
    0x000051A0: ("Print", "CS"), 0x000051B0: ("Overlays", "US"),
}

BY_ATTR: dict[str, CommandElement] = {e.attr: e for e in ELEMENTS.values()}
BY_KEYWORD: dict[str, CommandElement] = {e.keyword: e for e in ELEMENTS.values()}
COMMAND_GROUP_LENGTH, COMMAND_FIELD, COMMAND_DATA_SET_TYPE = 0x00000000, 0x00000100, 0x00000800


@dataclass(frozen=True)
class MessageSpec:
    """One DIMSE message: its Command Field, elements by usage, data set rule."""

    name: str                 # "C-STORE-RQ"
    command_field: int        # PS3.7 E.1 Command Field value
    table: str                # where PS3.7 lists its fields
    fields: tuple[tuple[str, str], ...]  # (keyword, usage M/U/C), in tag order
    data_set: str             # "none", "required" or "optional"
    service: Optional[str] = None  # whose PS3.4 status meanings apply

    @property
    def is_request(self) -> bool:
        return not self.command_field & 0x8000

    @property
    def mandatory(self) -> tuple[str, ...]:
        return tuple(k for k, usage in self.fields if usage == "M")

    @property
    def attrs(self) -> tuple[str, ...]:
        return tuple(BY_KEYWORD[k].attr for k, _ in self.fields)

    def usage(self, keyword: str) -> Optional[str]:
        return dict(self.fields).get(keyword)


def response_field(command_field: int) -> int:
    """The RSP Command Field for a request's (PS3.7 E.1: bit 15 set); C-CANCEL has none."""
    return command_field | 0x8000


def is_response(command_field: int) -> bool:
    return bool(command_field & 0x8000)


# Status fields a response may carry (PS3.7 C.4.1, C.5.1-C.5.3, C.5.21).
_STATUS = (("Status", "M"), ("OffendingElement", "U"), ("ErrorComment", "U"), ("ErrorID", "U"))


def _spec(name: str, field: int, table: str, data_set: str, *fields: tuple[str, str],
          service: Optional[str] = None) -> MessageSpec:
    ordered = tuple(sorted(fields, key=lambda f: BY_KEYWORD[f[0]].tag))
    return MessageSpec(name, field, table, ordered, data_set, service)


def _c_rsp(name: str, field: int, table: str, data_set: str, service: str,
           *more: tuple[str, str]) -> MessageSpec:
    # Message ID in a response: "may be included ... no semantic significance" (9.1.1.1.1 Note 1)
    return _spec(name, field, table, data_set, ("AffectedSOPClassUID", "U"), ("MessageID", "U"),
                 ("MessageIDBeingRespondedTo", "M"), *_STATUS, *more, service=service)


def _n_rsp(name: str, field: int, table: str, data_set: str, *more: tuple[str, str],
           instance: str = "U") -> MessageSpec:
    return _spec(name, field, table, data_set, ("AffectedSOPClassUID", "U"),
                 ("MessageIDBeingRespondedTo", "M"), *_STATUS, ("AffectedSOPInstanceUID", instance),
                 *more)


_SUBOPS = (("NumberOfRemainingSuboperations", "C"), ("NumberOfCompletedSuboperations", "C"),
           ("NumberOfFailedSuboperations", "C"), ("NumberOfWarningSuboperations", "C"))
_QUERY_RQ = (("AffectedSOPClassUID", "M"), ("MessageID", "M"), ("Priority", "M"))
_N_RQ = (("RequestedSOPClassUID", "M"), ("MessageID", "M"), ("RequestedSOPInstanceUID", "M"))

SPECS: dict[int, MessageSpec] = {s.command_field: s for s in [
    # PS3.7 9.3.1 (usage: Table 9.1-1)
    _spec("C-STORE-RQ", 0x0001, "9.3-1", "required", ("AffectedSOPClassUID", "M"),
          ("MessageID", "M"), ("Priority", "M"), ("AffectedSOPInstanceUID", "M"),
          ("MoveOriginatorApplicationEntityTitle", "U"), ("MoveOriginatorMessageID", "U"),
          service="storage"),
    _c_rsp("C-STORE-RSP", 0x8001, "9.3-2", "none", "storage", ("AffectedSOPInstanceUID", "U")),
    # PS3.7 9.3.2 (Table 9.1-2): the response's Identifier is conditional (C)
    _spec("C-FIND-RQ", 0x0020, "9.3-3", "required", *_QUERY_RQ, service="find"),
    _c_rsp("C-FIND-RSP", 0x8020, "9.3-4", "optional", "find"),
    # PS3.7 9.3.3 (Table 9.1-3)
    _spec("C-GET-RQ", 0x0010, "9.3-6", "required", *_QUERY_RQ, service="get"),
    _c_rsp("C-GET-RSP", 0x8010, "9.3-7", "optional", "get", *_SUBOPS),
    # PS3.7 9.3.4 (Table 9.1-4)
    _spec("C-MOVE-RQ", 0x0021, "9.3-9", "required", *_QUERY_RQ, ("MoveDestination", "M"),
          service="move"),
    _c_rsp("C-MOVE-RSP", 0x8021, "9.3-10", "optional", "move", *_SUBOPS),
    # PS3.7 9.3.5 (Table 9.1-5)
    _spec("C-ECHO-RQ", 0x0030, "9.3-12", "none", ("AffectedSOPClassUID", "M"), ("MessageID", "M"),
          service="verification"),
    _c_rsp("C-ECHO-RSP", 0x8030, "9.3-13", "none", "verification"),
    # PS3.7 9.3.2.3, 9.3.3.3, 9.3.4.3: one C-CANCEL-RQ for all three
    _spec("C-CANCEL-RQ", CANCEL_FIELD, "9.3-5", "none", ("MessageIDBeingRespondedTo", "M")),
    # PS3.7 10.3.1 (Table 10.1-1)
    _spec("N-EVENT-REPORT-RQ", 0x0100, "10.3-1", "optional", ("AffectedSOPClassUID", "M"),
          ("MessageID", "M"), ("AffectedSOPInstanceUID", "M"), ("EventTypeID", "M")),
    _n_rsp("N-EVENT-REPORT-RSP", 0x8100, "10.3-2", "optional", ("EventTypeID", "C")),
    # PS3.7 10.3.2 (Table 10.1-2)
    _spec("N-GET-RQ", 0x0110, "10.3-3", "none", *_N_RQ, ("AttributeIdentifierList", "U")),
    _n_rsp("N-GET-RSP", 0x8110, "10.3-4", "optional", ("AttributeIdentifierList", "U")),
    # PS3.7 10.3.3 (Table 10.1-3): the Modification List is mandatory
    _spec("N-SET-RQ", 0x0120, "10.3-5", "required", *_N_RQ),
    _n_rsp("N-SET-RSP", 0x8120, "10.3-6", "optional", ("AttributeIdentifierList", "U")),
    # PS3.7 10.3.4 (Table 10.1-4)
    _spec("N-ACTION-RQ", 0x0130, "10.3-7", "optional", *_N_RQ, ("ActionTypeID", "M")),
    _n_rsp("N-ACTION-RSP", 0x8130, "10.3-8", "optional", ("ActionTypeID", "C")),
    # PS3.7 10.3.5 (Table 10.1-5): the instance UID may be assigned by the SCP
    _spec("N-CREATE-RQ", 0x0140, "10.3-9", "optional", ("AffectedSOPClassUID", "M"),
          ("MessageID", "M"), ("AffectedSOPInstanceUID", "U")),
    _n_rsp("N-CREATE-RSP", 0x8140, "10.3-10", "optional", ("AttributeIdentifierList", "U"),
           instance="C"),
    # PS3.7 10.3.6 (Table 10.1-6)
    _spec("N-DELETE-RQ", 0x0150, "10.3-11", "none", *_N_RQ),
    _n_rsp("N-DELETE-RSP", 0x8150, "10.3-12", "none"),
]}

BY_NAME: dict[str, MessageSpec] = {s.name: s for s in SPECS.values()}
