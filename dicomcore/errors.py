"""The one exception hierarchy of dicomcore.

Every error carries enough context to find the fault by hand: decoding errors
name the byte offset and the tag, PDU errors the PDU type and field.  Callers
catch ``DicomError``; nothing else is meant to escape a decoder fed hostile
input.
"""
from __future__ import annotations


class DicomError(Exception):
    """Base of every dicomcore error."""


class DicomWarning(UserWarning):
    """Base of every dicomcore warning (tolerated faults in what was read)."""


class DecodeError(DicomError):
    """Encoded data could not be decoded.

    ``offset`` is the byte offset in the stream (file offset for Part 10 files)
    where the fault was found; ``tag`` the element being read, when known.
    """

    def __init__(self, message: str, *, offset: int | None = None, tag: int | None = None):
        self.offset = offset
        self.tag = tag
        where = []
        if tag is not None:
            where.append(f"({tag >> 16:04X},{tag & 0xFFFF:04X})")
        if offset is not None:
            where.append(f"offset {offset}")
        super().__init__(f"{' at '.join(where)}: {message}" if where else message)
        self.reason = message


class TruncatedError(DecodeError):
    """The data ended before a field or value that its header announced."""


class NestingError(DecodeError):
    """Sequences nested deeper than the configured limit."""


class EncodeError(DicomError):
    """A value cannot be encoded with its VR or in the requested transfer syntax."""


class InvalidFileError(DecodeError):
    """Not a DICOM file, or its File Meta Information is unusable."""


class CharsetError(DicomError):
    """Text cannot be encoded in the dataset's Specific Character Set."""


class CodecError(DicomError):
    """Pixel data could not be decoded or encoded (bad codec stream, size limits)."""


class LimitError(DicomError):
    """A configured safety limit (size, depth, inflate budget) would be exceeded."""


class PDUError(DicomError):
    """A PDU or item was malformed.

    ``abort_reason`` is the A-ABORT reason a state machine sends for it
    (PS3.8 Table 9-26: 6 = invalid-PDU-parameter value).
    """

    abort_reason = 6

    def __init__(self, pdu_type: int | None, field: str, offset: int | None, message: str):
        self.pdu_type = pdu_type
        self.field = field
        self.offset = offset
        kind = f"PDU 0x{pdu_type:02X}" if pdu_type is not None else "PDU"
        at = f" at offset {offset}" if offset is not None else ""
        super().__init__(f"{kind} {field}{at}: {message}")
        self.reason = message


class StateError(DicomError):
    """A local primitive was issued in a state where PS3.8 Table 9-10 has no cell for it."""


class NetworkError(DicomError):
    """Association or transport failure (refused, aborted, timed out)."""


class DimseError(DicomError):
    """A DIMSE message was malformed or arrived out of place."""


class CharsetWarning(DicomWarning):
    """A Specific Character Set term was unknown or a byte undecodable."""


class DecodeWarning(DicomWarning):
    """A common encoding fault was tolerated while reading (odd length, bad padding...)."""


class EncodeWarning(DicomWarning):
    """Something was written that the standard would have otherwise (a Part 10 file
    without SOP Class or Instance UID, as DCMTK and pydicom write one)."""
