"""DIMSE: command sets, messages, status codes, PDV fragmentation (PS3.7, PS3.8 Annex E).

``commands`` is PS3.7's message tables as data, ``messages`` the message
objects and their encoding, ``decode`` the strict way back, ``status`` the
status codes, and ``fragment`` turns a message into P-DATA requests and P-DATA
indications back into messages.  Like ``pdu``, nothing here touches a socket, a thread, a clock
or a file; it imports only ``dicomcore.dataset``, ``dicomcore.pdu`` and
``dicomcore.errors``.
"""
from .commands import DATA_SET_PRESENT, HIGH, LOW, MEDIUM, NO_DATA_SET, SPECS, MessageSpec
from .decode import decode_command, error_response
from .fragment import (CommandReceived, DataFragment, InvalidMessage, MessageReceived,
                       Reassembler, fragment_message)
from .messages import (MESSAGE_CLASSES, CCancelRQ, CEchoRQ, CEchoRSP, CFindRQ, CFindRSP,
                       CGetRQ, CGetRSP, CMoveRQ, CMoveRSP, CStoreRQ, CStoreRSP, Message,
                       NActionRQ, NActionRSP, NCreateRQ, NCreateRSP, NDeleteRQ, NDeleteRSP,
                       NEventReportRQ, NEventReportRSP, NGetRQ, NGetRSP, NSetRQ, NSetRSP,
                       dataset_chunks, encode_command)
from .status import (CANCEL, PENDING, PENDING_WARNING, SUCCESS, WARNING, Status, category_of,
                     meaning_of)

__all__ = [
    "DATA_SET_PRESENT", "HIGH", "LOW", "MEDIUM", "NO_DATA_SET", "SPECS", "MessageSpec",
    "CommandReceived", "DataFragment", "InvalidMessage", "MessageReceived", "Reassembler",
    "fragment_message", "MESSAGE_CLASSES", "Message", "CCancelRQ", "CEchoRQ", "CEchoRSP", "CFindRQ",
    "CFindRSP", "CGetRQ", "CGetRSP", "CMoveRQ", "CMoveRSP", "CStoreRQ", "CStoreRSP", "NActionRQ",
    "NActionRSP", "NCreateRQ", "NCreateRSP", "NDeleteRQ", "NDeleteRSP", "NEventReportRQ",
    "NEventReportRSP", "NGetRQ", "NGetRSP", "NSetRQ", "NSetRSP", "dataset_chunks",
    "decode_command", "encode_command", "error_response", "CANCEL", "PENDING",
    "PENDING_WARNING", "SUCCESS", "WARNING", "Status", "category_of", "meaning_of",
]
