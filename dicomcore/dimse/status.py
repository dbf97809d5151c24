"""DIMSE status codes: an int that knows its category and what it means.

Rules of this module:
1. The category of a code follows PS3.7 Annex C alone (Table C-1 and C.1-C.5),
   whatever the service: 0000 success; FF00, FF01 pending; FE00 cancel;
   0001, 0107, 0116 and Bxxx warning; everything else failure.
2. The *meaning* may depend on the service: B000 is "Coercion of Data
   Elements" for C-STORE (PS3.4 B.2.3) but "Sub-operations Complete - One or
   more Failures" for C-MOVE (PS3.4 C.4.2.1.5).  A ``Status`` therefore
   carries an optional ``service`` name; without one, the PS3.7 meaning (or
   the class-wide rule for ranges such as Cxxx) is given.
3. Tables are data: ``GENERAL`` (PS3.7 C.1-C.5) and ``SERVICE_STATUSES``
   (PS3.4), with "xx" ranges written as (low, high) pairs.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from dicomcore.errors import DimseError

__all__ = [
    "Status", "category_of", "meaning_of", "GENERAL", "SERVICE_STATUSES", "SERVICE_OF_COMMAND",
    "dimse_error", "error_comment", "ERROR_COMMENT_MAX",
    "SUCCESS", "CANCEL", "PENDING", "PENDING_WARNING", "WARNING", "ATTRIBUTE_LIST_ERROR",
    "ATTRIBUTE_VALUE_OUT_OF_RANGE", "SOP_CLASS_NOT_SUPPORTED", "CLASS_INSTANCE_CONFLICT",
    "DUPLICATE_SOP_INSTANCE", "DUPLICATE_INVOCATION", "INVALID_ARGUMENT_VALUE",
    "INVALID_ATTRIBUTE_VALUE", "INVALID_OBJECT_INSTANCE", "MISSING_ATTRIBUTE",
    "MISSING_ATTRIBUTE_VALUE", "MISTYPED_ARGUMENT", "NO_SUCH_ARGUMENT", "NO_SUCH_ATTRIBUTE",
    "NO_SUCH_EVENT_TYPE", "NO_SUCH_SOP_INSTANCE", "NO_SUCH_SOP_CLASS", "PROCESSING_FAILURE",
    "RESOURCE_LIMITATION", "UNRECOGNIZED_OPERATION", "NO_SUCH_ACTION_TYPE", "NOT_AUTHORIZED",
    "OUT_OF_RESOURCES", "CANNOT_UNDERSTAND", "DATA_SET_DOES_NOT_MATCH", "MOVE_DESTINATION_UNKNOWN",
    "COERCION_OF_DATA_ELEMENTS", "ELEMENTS_DISCARDED", "DATA_SET_MISMATCH_WARNING",
    "SUB_OPERATIONS_WARNING", "UNABLE_TO_CALCULATE_MATCHES", "UNABLE_TO_PERFORM_SUBOPERATIONS",
    "IDENTIFIER_DOES_NOT_MATCH",
]

SUCCESS_CATEGORY, WARNING_CATEGORY, FAILURE_CATEGORY = "Success", "Warning", "Failure"
CANCEL_CATEGORY, PENDING_CATEGORY = "Cancel", "Pending"

# PS3.7 Annex C: the statuses it assigns itself (C.1-C.5), code -> meaning.
GENERAL: dict[int, str] = {
    0x0000: "Success",                             # C.1.1
    0xFF00: "Pending",                             # C.2.1 (values: PS3.4)
    0xFF01: "Pending",                             # C.2.1
    0xFE00: "Cancel",                              # C.3.1
    0x0001: "Warning",                             # C.4.1, Table C-1 "0001 or Bxxx"
    0x0107: "Attribute List Error",                # C.4.2
    0x0116: "Attribute Value Out of Range",        # C.4.3
    0x0122: "Refused: SOP Class Not Supported",    # C.5.6
    0x0119: "Class-Instance Conflict",             # C.5.7
    0x0111: "Duplicate SOP Instance",              # C.5.8
    0x0210: "Duplicate Invocation",                # C.5.9
    0x0115: "Invalid Argument Value",              # C.5.10
    0x0106: "Invalid Attribute Value",             # C.5.11
    0x0117: "Invalid Object Instance",             # C.5.12
    0x0120: "Missing Attribute",                   # C.5.13
    0x0121: "Missing Attribute Value",             # C.5.14
    0x0212: "Mistyped Argument",                   # C.5.15
    0x0114: "No Such Argument",                    # C.5.16
    0x0105: "No Such Attribute",                   # C.5.17
    0x0113: "No Such Event Type",                  # C.5.18
    0x0112: "No Such SOP Instance",                # C.5.19
    0x0118: "No Such SOP Class",                   # C.5.20
    0x0110: "Processing Failure",                  # C.5.21
    0x0213: "Resource Limitation",                 # C.5.22
    0x0211: "Unrecognized Operation",              # C.5.23
    0x0123: "No Such Action Type",                 # C.5.24
    0x0124: "Refused: Not Authorized",             # C.5.25
}

_MOVE_GET_COMMON = [
    (0xA701, 0xA701, "Refused: Out of Resources - Unable to calculate number of matches"),
    (0xA702, 0xA702, "Refused: Out of Resources - Unable to perform sub-operations"),
    (0xA900, 0xA900, "Identifier does not match SOP Class"),
    (0xC000, 0xCFFF, "Unable to process"),
    (0xFE00, 0xFE00, "Sub-operations terminated due to Cancel Indication"),
    (0xFF00, 0xFF00, "Sub-operations are continuing"),
]

# PS3.4: service -> [(low, high, meaning)]; an "xx" code is a range (PS3.4 5.3).
SERVICE_STATUSES: dict[str, list[tuple[int, int, str]]] = {
    "storage": [  # PS3.4 Table B.2-1
        (0xA700, 0xA7FF, "Refused: Out of Resources"),
        (0xA900, 0xA9FF, "Error: Data Set does not match SOP Class"),
        (0xC000, 0xCFFF, "Error: Cannot understand"),
        (0xB000, 0xB000, "Coercion of Data Elements"),
        (0xB007, 0xB007, "Data Set does not match SOP Class"),
        (0xB006, 0xB006, "Elements Discarded"),
    ],
    "find": [  # PS3.4 Table C.4-1 (Modality Worklist, K.4.1.1.4, uses the same codes)
        (0xA700, 0xA700, "Refused: Out of Resources"),
        (0xA900, 0xA900, "Identifier does not match SOP Class"),
        (0xC000, 0xCFFF, "Unable to process"),
        (0xFE00, 0xFE00, "Matching terminated due to Cancel request"),
        (0x0000, 0x0000, "Matching is complete - No final Identifier is supplied"),
        (0xFF00, 0xFF00, "Matches are continuing - Current Match is supplied and any Optional "
                         "Keys were supported in the same manner as Required Keys"),
        (0xFF01, 0xFF01, "Matches are continuing - Warning that one or more Optional Keys were "
                         "not supported for existence and/or matching for this Identifier"),
    ],
    "move": _MOVE_GET_COMMON + [  # PS3.4 Table C.4-2
        (0xA801, 0xA801, "Refused: Move Destination unknown"),
        (0xB000, 0xB000, "Sub-operations Complete - One or more Failures"),
        (0x0000, 0x0000, "Sub-operations Complete - No Failures"),
    ],
    "get": _MOVE_GET_COMMON + [  # PS3.4 Table C.4-3
        (0xB000, 0xB000, "Sub-operations Complete - One or more Failures or Warnings"),
        (0x0000, 0x0000, "Sub-operations Complete - No Failures or Warnings"),
    ],
    "verification": [],  # PS3.4 A: C-ECHO-RSP is Success or a PS3.7 status
}

# Which service a DIMSE-C command field's statuses belong to (PS3.7 E.1 values).
SERVICE_OF_COMMAND: dict[int, str] = {
    0x0001: "storage", 0x8001: "storage", 0x0020: "find", 0x8020: "find",
    0x0010: "get", 0x8010: "get", 0x0021: "move", 0x8021: "move",
    0x0030: "verification", 0x8030: "verification",
}

# Class-wide rules for codes no table names (PS3.7 Table C-1, PS3.4 B.2.3 ranges).
_CLASS_RULES = [
    (0xA700, 0xA7FF, "Refused: Out of Resources"),
    (0xA900, 0xA9FF, "Error: Data Set does not match SOP Class"),
    (0xA000, 0xAFFF, "Refused"),
    (0xB000, 0xBFFF, "Warning"),
    (0xC000, 0xCFFF, "Error: Cannot understand"),
]


def category_of(code: int) -> str:
    """The status class of ``code`` (PS3.7 Annex C, Table C-1)."""
    if code == 0x0000:
        return SUCCESS_CATEGORY
    if code in (0xFF00, 0xFF01):
        return PENDING_CATEGORY
    if code == 0xFE00:
        return CANCEL_CATEGORY
    if code in (0x0001, 0x0107, 0x0116) or 0xB000 <= code <= 0xBFFF:
        return WARNING_CATEGORY
    return FAILURE_CATEGORY


def meaning_of(code: int, service: Optional[str] = None) -> str:
    """What ``code`` means, for ``service`` if given (PS3.4), else per PS3.7."""
    for low, high, meaning in SERVICE_STATUSES.get(service or "", ()):
        if low <= code <= high:
            return meaning
    if code in GENERAL:
        return GENERAL[code]
    for low, high, meaning in _CLASS_RULES:
        if low <= code <= high:
            return meaning
    return f"Unknown {category_of(code).lower()} status"


class Status(int):
    """A DIMSE status code (0000-FFFF) with ``category`` and ``meaning``.

    ``Status(0xA700, "storage").meaning`` is "Refused: Out of Resources";
    equality and hashing are those of the int, so ``status == 0`` works.
    ``str()`` gives ``"A700H Failure: Refused: Out of Resources"``.
    """

    service: Optional[str]

    def __new__(cls, code: int, service: Optional[str] = None) -> "Status":
        code = int(code)
        if not 0 <= code <= 0xFFFF:
            raise ValueError(f"a status is a 16-bit value (US), got {code}")
        self = super().__new__(cls, code)
        self.service = service
        return self

    def __reduce__(self) -> tuple:
        return (Status, (int(self), self.service))

    @property
    def category(self) -> str:
        return category_of(self)

    @property
    def meaning(self) -> str:
        return meaning_of(self, self.service)

    @property
    def is_success(self) -> bool:
        return self == 0

    @property
    def is_pending(self) -> bool:
        return self.category == PENDING_CATEGORY

    @property
    def is_warning(self) -> bool:
        return self.category == WARNING_CATEGORY

    @property
    def is_failure(self) -> bool:
        return self.category == FAILURE_CATEGORY

    @property
    def is_cancel(self) -> bool:
        return self.category == CANCEL_CATEGORY

    @property
    def is_final(self) -> bool:
        """Every status but Pending ends an operation (PS3.7 9.1.2.2, 9.1.3.2, 9.1.4.2)."""
        return not self.is_pending

    def __repr__(self) -> str:
        service = f", {self.service!r}" if self.service else ""
        return f"Status(0x{int(self):04X}{service})"

    def __str__(self) -> str:
        category, meaning = self.category, self.meaning
        if meaning == category:
            return f"{int(self):04X}H {category}"
        return f"{int(self):04X}H {category}: {meaning}"


# PS3.5 Table 6.2-1: LO holds at most 64 characters, no backslash (the value
# delimiter) and no control characters; a command set has no Specific Character Set,
# so the default repertoire (ASCII) alone.
ERROR_COMMENT_MAX = 64
_NOT_LO = re.compile(r"[^\x21-\x5b\x5d-\x7e]+")  # anything but printable ASCII less "\\"


def error_comment(text: str, limit: int = ERROR_COMMENT_MAX) -> str:
    """``text`` as an Error Comment (0000,0902), LO: at most ``limit`` characters,
    cut after a whole word, never in one (unless a single word is longer than
    ``limit``: then that word's first characters).  Runs of spaces, control
    characters and backslashes become one space; other non-ASCII characters "?"."""
    words = [w for w in _NOT_LO.split(_ascii(text)) if w]
    kept: list[str] = []
    size = 0
    for word in words:
        extra = len(word) + (1 if kept else 0)
        if size + extra > limit:
            break
        kept.append(word)
        size += extra
    if not kept and words:  # one word longer than the whole value
        return words[0][:limit]
    return " ".join(kept)


def _ascii(text: str) -> str:
    # A non-ASCII letter stands for itself as "?" (not a word break); spaces,
    # controls and backslashes are breaks (the split above).
    return "".join(c if c < "\x80" else ("?" if c.isprintable() and not c.isspace() else " ")
                   for c in str(text))


def dimse_error(message: str, status: Optional[int] = None, **context: Any) -> DimseError:
    """A ``DimseError`` with the status to answer it with and what was known.

    ``status`` is a suggested failure ``Status`` for the response (None: no
    response fits; the message could not be framed and the association should
    be aborted).  ``context`` may name ``command_field``, ``message_id``,
    ``context_id``, ``offset``, ``keyword`` and ``fields`` (what decoded); each
    becomes an attribute (None when not given).
    """
    err = DimseError(message)
    err.status = None if status is None else Status(status)  # type: ignore[attr-defined]
    for name in ("command_field", "message_id", "context_id", "offset", "keyword"):
        setattr(err, name, context.get(name))
    err.fields = dict(context.get("fields") or {})  # type: ignore[attr-defined]
    return err


# Constants: PS3.7 Annex C.
SUCCESS = Status(0x0000)
CANCEL = Status(0xFE00)
PENDING = Status(0xFF00)
PENDING_WARNING = Status(0xFF01)  # PS3.4 C.4.1.1.4: optional keys not supported
WARNING = Status(0x0001)
ATTRIBUTE_LIST_ERROR = Status(0x0107)
ATTRIBUTE_VALUE_OUT_OF_RANGE = Status(0x0116)
SOP_CLASS_NOT_SUPPORTED = Status(0x0122)
CLASS_INSTANCE_CONFLICT = Status(0x0119)
DUPLICATE_SOP_INSTANCE = Status(0x0111)
DUPLICATE_INVOCATION = Status(0x0210)
INVALID_ARGUMENT_VALUE = Status(0x0115)
INVALID_ATTRIBUTE_VALUE = Status(0x0106)
INVALID_OBJECT_INSTANCE = Status(0x0117)
MISSING_ATTRIBUTE = Status(0x0120)
MISSING_ATTRIBUTE_VALUE = Status(0x0121)
MISTYPED_ARGUMENT = Status(0x0212)
NO_SUCH_ARGUMENT = Status(0x0114)
NO_SUCH_ATTRIBUTE = Status(0x0105)
NO_SUCH_EVENT_TYPE = Status(0x0113)
NO_SUCH_SOP_INSTANCE = Status(0x0112)
NO_SUCH_SOP_CLASS = Status(0x0118)
PROCESSING_FAILURE = Status(0x0110)
RESOURCE_LIMITATION = Status(0x0213)
UNRECOGNIZED_OPERATION = Status(0x0211)
NO_SUCH_ACTION_TYPE = Status(0x0123)
NOT_AUTHORIZED = Status(0x0124)
# PS3.4 service-specific: storage (B.2.3), query/retrieve (C.4).
OUT_OF_RESOURCES = Status(0xA700)
DATA_SET_DOES_NOT_MATCH = Status(0xA900, "storage")
CANNOT_UNDERSTAND = Status(0xC000, "storage")
COERCION_OF_DATA_ELEMENTS = Status(0xB000, "storage")
ELEMENTS_DISCARDED = Status(0xB006, "storage")
DATA_SET_MISMATCH_WARNING = Status(0xB007, "storage")
IDENTIFIER_DOES_NOT_MATCH = Status(0xA900, "find")
UNABLE_TO_CALCULATE_MATCHES = Status(0xA701, "move")
UNABLE_TO_PERFORM_SUBOPERATIONS = Status(0xA702, "move")
MOVE_DESTINATION_UNKNOWN = Status(0xA801, "move")
SUB_OPERATIONS_WARNING = Status(0xB000, "move")
