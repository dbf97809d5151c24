"""Transfer syntaxes: how a dataset is encoded (PS3.5 10, Annex A).

Every "Transfer Syntax" row of the UID registry becomes a ``TransferSyntax``. The
registry only gives names, so the encoding flags are decided here, from PS3.5:

* Native syntaxes (pixel data as plain values) are the four of PS3.5 A.1-A.3 and A.5,
  plus the retired Papyrus 3 Implicit VR Little Endian.
* Every other syntax is Explicit VR Little Endian with encapsulated pixel data
  (PS3.5 A.4) or with no pixel data in the dataset at all (JPIP A.6/A.7, SMPTE ST 2110
  for real-time video); both are flagged ``encapsulated``. So are the retired
  RFC 2557 MIME and XML encodings, which are not binary DICOM at all: they are kept for
  their names and should be refused by anything that reads or negotiates.
* ``get()`` of a UID the registry does not know assumes exactly that, so files in a
  syntax newer than the bundled registry (JPEG XL, Deflated Image Frame Compression)
  still decode; only their pixel data needs a codec.
"""
from __future__ import annotations

from typing import NamedTuple

from ..errors import DicomError
from .uid import REGISTRY, UID, is_valid_uid


class TransferSyntax(NamedTuple):
    """The encoding rules a transfer syntax UID stands for; immutable.

    A NamedTuple rather than a frozen dataclass: importing ``dataclasses`` (it pulls in
    ``inspect``) and building the class cost ~15 ms, a third of the budget for
    ``import dicomcore``, which reaches this module.

    ``deflated``: the whole dataset after the File Meta Information is one raw deflate
    stream (PS3.5 A.5, A.7). ``lossless``: decoding gives back the pixel values that were
    encoded, bit for bit (syntaxes that allow lossy coding, such as JPEG 2000 (.91), are
    not lossless, even if a particular file happens to be).
    """

    uid: UID
    name: str
    keyword: str
    little_endian: bool
    explicit_vr: bool
    deflated: bool
    encapsulated: bool
    lossless: bool
    retired: bool

    @property
    def is_native(self) -> bool:
        """Pixel data as plain values, not fragments (PS3.5 A.4 vs A.1-A.3, A.5)."""
        return not self.encapsulated

    def __str__(self) -> str:
        return f"{self.name or 'Unknown Transfer Syntax'} ({self.uid})"


_IMPLICIT_VR_LE = "1.2.840.10008.1.2"
_EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
_DEFLATED_EXPLICIT_VR_LE = "1.2.840.10008.1.2.1.99"
_EXPLICIT_VR_BE = "1.2.840.10008.1.2.2"
_RLE_LOSSLESS = "1.2.840.10008.1.2.5"
_PAPYRUS_3 = "1.2.840.10008.1.20"  # retired; Implicit VR Little Endian in a Papyrus file

_NATIVE = {_IMPLICIT_VR_LE, _EXPLICIT_VR_LE, _DEFLATED_EXPLICIT_VR_LE, _EXPLICIT_VR_BE, _PAPYRUS_3}
_IMPLICIT_VR = {_IMPLICIT_VR_LE, _PAPYRUS_3}
_BIG_ENDIAN = {_EXPLICIT_VR_BE}
# PS3.5 A.5, A.7: the dataset itself is deflated (JPIP Referenced Deflate and its HTJ2K twin).
_DEFLATED = {_DEFLATED_EXPLICIT_VR_LE, "1.2.840.10008.1.2.4.95", "1.2.840.10008.1.2.4.205"}
# Bit-exact pixel data. Read from the names in PS3.6 Table A-1: "Lossless" or "Lossless
# Only" coding, JPEG processes 14/15/28/29 (lossless JPEG), and uncompressed
# encapsulations. Not: JPEG-LS near-lossless, JPEG 2000/HTJ2K that allow lossy, MPEG,
# HEVC, JPIP (pixels live elsewhere), MIME and XML encodings (retired, not pixel codings).
_LOSSLESS = {
    _IMPLICIT_VR_LE, _EXPLICIT_VR_LE, _DEFLATED_EXPLICIT_VR_LE, _EXPLICIT_VR_BE, _PAPYRUS_3,
    "1.2.840.10008.1.2.1.98",  # Encapsulated Uncompressed Explicit VR Little Endian
    "1.2.840.10008.1.2.4.57",  # JPEG Lossless, Non-Hierarchical (Process 14)
    "1.2.840.10008.1.2.4.58",  # JPEG Lossless, Non-Hierarchical (Process 15), retired
    "1.2.840.10008.1.2.4.65",  # JPEG Lossless, Hierarchical (Process 28), retired
    "1.2.840.10008.1.2.4.66",  # JPEG Lossless, Hierarchical (Process 29), retired
    "1.2.840.10008.1.2.4.70",  # JPEG Lossless, Process 14, Selection Value 1
    "1.2.840.10008.1.2.4.80",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 (Lossless Only)
    "1.2.840.10008.1.2.4.92",  # JPEG 2000 Part 2 Multi-component (Lossless Only)
    "1.2.840.10008.1.2.4.201",  # HTJ2K (Lossless Only)
    "1.2.840.10008.1.2.4.202",  # HTJ2K with RPCL Options (Lossless Only)
    _RLE_LOSSLESS,
    "1.2.840.10008.1.2.7.1",  # SMPTE ST 2110-20 Uncompressed Progressive Active Video
    "1.2.840.10008.1.2.7.2",  # SMPTE ST 2110-20 Uncompressed Interlaced Active Video
    "1.2.840.10008.1.2.7.3",  # SMPTE ST 2110-30 PCM Digital Audio
    # Newer than the bundled registry; here so get() flags them right once they appear.
    "1.2.840.10008.1.2.4.110",  # JPEG XL Lossless
    "1.2.840.10008.1.2.8.1",  # Deflated Image Frame Compression
}


def _make(uid: str, name: str, keyword: str, retired: bool) -> TransferSyntax:
    return TransferSyntax(
        uid=UID(uid), name=name, keyword=keyword,
        little_endian=uid not in _BIG_ENDIAN,
        explicit_vr=uid not in _IMPLICIT_VR,
        deflated=uid in _DEFLATED,
        encapsulated=uid not in _NATIVE,
        lossless=uid in _LOSSLESS,
        retired=retired,
    )


TRANSFER_SYNTAXES: dict[str, TransferSyntax] = {
    uid: _make(uid, info.name, info.keyword, info.retired)
    for uid, info in REGISTRY.items() if info.type == "Transfer Syntax"
}

IMPLICIT_VR_LE = TRANSFER_SYNTAXES[_IMPLICIT_VR_LE]
EXPLICIT_VR_LE = TRANSFER_SYNTAXES[_EXPLICIT_VR_LE]
EXPLICIT_VR_BE = TRANSFER_SYNTAXES[_EXPLICIT_VR_BE]
DEFLATED_EXPLICIT_VR_LE = TRANSFER_SYNTAXES[_DEFLATED_EXPLICIT_VR_LE]
RLE_LOSSLESS = TRANSFER_SYNTAXES[_RLE_LOSSLESS]

# The short names ``dicomcore convert --ts`` and ``write(..., transfer_syntax=)`` take, so the
# command line and the API accept the same words (dcmconv's +ti/+te/+tb/+td, dcmcrle).
NAMES: dict[str, TransferSyntax] = {
    "implicit": IMPLICIT_VR_LE,
    "explicit": EXPLICIT_VR_LE,
    "big": EXPLICIT_VR_BE,
    "deflated": DEFLATED_EXPLICIT_VR_LE,
    "rle": RLE_LOSSLESS,
}


def by_name(text: str) -> TransferSyntax:
    """The transfer syntax a user named: one of ``NAMES`` (any case) or a UID, as ``get()``.

    Names are for people (the CLI, ``write()``); a UID read from a file goes to ``get()``,
    which takes no names, so a file claiming "rle" as its syntax is not believed.
    """
    found = NAMES.get(text.strip().lower())
    if found is not None:
        return found
    try:
        return get(text)
    except DicomError:
        raise DicomError(f"{text!r} is neither a transfer syntax name "
                         f"({', '.join(NAMES)}) nor a UID") from None


def get(uid: str) -> TransferSyntax:
    """The transfer syntax for ``uid``.

    Trailing NUL or space padding (PS3.5 6.2, UI values are padded to even length) is
    ignored. A valid UID the registry does not know gets an unnamed entry flagged
    Explicit VR Little Endian, encapsulated, not deflated (see the module docstring);
    callers that must refuse unknown syntaxes (association negotiation) test
    ``uid in TRANSFER_SYNTAXES`` instead. A string that is not a UID raises DicomError.
    """
    uid = uid.rstrip("\x00 ")
    found = TRANSFER_SYNTAXES.get(uid)
    if found is not None:
        return found
    if not is_valid_uid(uid):
        raise DicomError(f"not a transfer syntax UID: {uid!r}")
    return _make(uid, "", "", False)
