"""The DICOM Upper Layer, sans-IO (PS3.8 7 and 9, PS3.7 Annex D).

``buffer`` frames bytes into PDUs, ``items`` and ``pdus`` turn them into
objects and back, ``primitives`` are the service primitives the user sees,
``statemachine`` is PS3.8 Table 9-10 as data, and ``upperlayer.UpperLayer``
runs one association.  Nothing here touches a socket, a thread, a clock or a
file; only ``dicomcore.errors`` is imported from the rest of dicomcore.
"""
from .pdus import (AAbort, AAssociateAC, AAssociateRJ, AAssociateRQ, AReleaseRP, AReleaseRQ,
                   PDataTF, PDV, decode_pdu)
from .statemachine import TRANSITIONS, StateError
from .upperlayer import UpperLayer

__all__ = ["AAbort", "AAssociateAC", "AAssociateRJ", "AAssociateRQ", "AReleaseRP", "AReleaseRQ",
           "PDataTF", "PDV", "decode_pdu", "TRANSITIONS", "StateError", "UpperLayer"]
