"""UIDs: the registry of PS3.6 Annex A, validity (PS3.5 9.1) and new UIDs (PS3.5 B.2).

The registry (``_uids.py``, generated) is small, so it is parsed at import (~1 ms):
``STORAGE_SOP_CLASSES`` and the transfer syntax table are derived from it eagerly.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Iterable, Mapping, NamedTuple

from . import _uids
from .pydicom_names import install as _install_pydicom_spellings


class UIDInfo(NamedTuple):
    """One row of PS3.6 Table A-1: ``type`` is the registry's ("SOP Class",
    "Transfer Syntax", "Well-known frame of reference", ...); ``info`` its remark."""

    name: str
    type: str
    keyword: str
    retired: bool
    info: str


def _parse(text: str) -> dict[str, UIDInfo]:
    fields = iter(text.rstrip("\n").replace("\n", "\t").split("\t"))
    return {uid: UIDInfo(name, kind, keyword, retired == "Y", info)
            for uid, name, kind, info, keyword, retired in zip(*[fields] * 6)}


REGISTRY: Mapping[str, UIDInfo] = MappingProxyType(_parse(_uids.UIDS_TSV))
_BY_KEYWORD = {info.keyword: uid for uid, info in REGISTRY.items() if info.keyword}

# PS3.5 B.2: "2.25." followed by a UUID as an unsigned decimal integer needs no
# registered organization root. dicomcore has none, so this is its root.
UUID_ROOT = "2.25."
DICOMCORE_ROOT = UUID_ROOT
# dicomcore's own UUID, drawn once with uuid4() and fixed forever: the Implementation
# Class UID below is its 2.25 form, and it is the namespace of name-based UIDs.
DICOMCORE_UUID = "cd356336-dd4a-487b-90d9-d3d05c4ff080"
# PS3.7 D.3.3.2: the version name is at most 16 characters; bump it with releases.
IMPLEMENTATION_VERSION_NAME = "DICOMCORE_010"
# PS3.5 9.1: a UID is at most 64 characters.
MAX_LENGTH = 64
# generate_uid() with a custom root keeps at least this many random digits (~66 bits).
_MIN_RANDOM_DIGITS = 20


class UID(str):
    """A UID string that knows its registry entry.

    A ``str`` subclass, so it compares, hashes and encodes exactly like the plain
    string; unknown UIDs are fine (name '' etc.), since most UIDs met are instance UIDs.
    """

    __slots__ = ()

    @property
    def info(self) -> UIDInfo | None:
        """The registry row, or None for UIDs the standard does not list."""
        return REGISTRY.get(self)

    @property
    def name(self) -> str:
        info = REGISTRY.get(self)
        return info.name if info else ""

    @property
    def keyword(self) -> str:
        info = REGISTRY.get(self)
        return info.keyword if info else ""

    @property
    def type(self) -> str:
        info = REGISTRY.get(self)
        return info.type if info else ""

    @property
    def is_retired(self) -> bool:
        info = REGISTRY.get(self)
        return bool(info and info.retired)

    @property
    def is_transfer_syntax(self) -> bool:
        return self.type == "Transfer Syntax"

    @property
    def is_storage(self) -> bool:
        """True for the SOP classes a Storage SCP accepts (see STORAGE_SOP_CLASSES)."""
        return self in _STORAGE

    @property
    def is_valid(self) -> bool:
        """PS3.5 9.1: at most 64 characters; dot-separated components of digits 0-9;
        no empty component; no leading zero in a component of more than one digit.
        Padding is not part of the UID: strip a trailing NUL before asking."""
        return is_valid_uid(self)


_install_pydicom_spellings(UID, "UID")  # uid.is_little_endian -> the dicomcore way


def is_valid_uid(text: str) -> bool:
    """PS3.5 9.1 validity of ``text`` (see UID.is_valid)."""
    if not 0 < len(text) <= MAX_LENGTH:
        return False
    for part in text.split("."):
        # isascii() first: str.isdigit() also accepts e.g. Arabic-Indic digits.
        if not (part.isascii() and part.isdigit()) or (len(part) > 1 and part[0] == "0"):
            return False
    return True


def uid_for(keyword: str) -> UID | None:
    """The registered UID with this keyword ("CTImageStorage"), or None."""
    uid = _BY_KEYWORD.get(keyword)
    return UID(uid) if uid is not None else None


def keyword_for(uid: str) -> str:
    """The registry keyword of ``uid``, '' if it is not registered."""
    info = REGISTRY.get(uid)
    return info.keyword if info else ""


def _is_storage(info: UIDInfo) -> bool:
    # PS3.4 B.5: the Storage Service Class's SOP classes are the non-retired "... Storage"
    # classes (some read "Storage - For Presentation"). Storage Commitment is another
    # service (PS3.4 J); Media Storage Directory (DICOMDIR) exists only on media (PS3.10).
    return (info.type == "SOP Class" and not info.retired and "Storage" in info.name
            and not info.name.startswith(("Storage Commitment", "Media Storage Directory")))


# Every SOP class a Storage SCP accepts, in registry order (stable for negotiation).
STORAGE_SOP_CLASSES: tuple[UID, ...] = tuple(
    UID(uid) for uid, info in REGISTRY.items() if _is_storage(info))
_STORAGE = frozenset(STORAGE_SOP_CLASSES)


def generate_uid(prefix: str = DICOMCORE_ROOT, entropy: Iterable[str] | None = None) -> UID:
    """A new UID under ``prefix``.

    With the default prefix "2.25." the UID is a UUID in decimal (PS3.5 B.2): random
    (UUID version 4), or, given ``entropy``, name-based (version 5) on those strings, so
    the same inputs always give the same UID (e.g. to remap UIDs consistently when
    de-identifying). Any other prefix must be a valid UID root ending in "." with room
    for at least 20 more digits; it is followed by random digits, or digits of a
    SHA-512 hash of ``entropy``, up to 64 characters.
    """
    import hashlib  # deferred: only UID makers pay for them
    import os
    import uuid

    if isinstance(entropy, str):
        entropy = [entropy]
    # Joined with the unit separator, so ["ab", "c"] and ["a", "bc"] differ.
    parts = None if entropy is None else "\x1f".join(entropy)
    if prefix == UUID_ROOT:
        if parts is None:
            value = uuid.uuid4().int
        else:
            value = uuid.uuid5(uuid.UUID(DICOMCORE_UUID), parts).int
        return UID(f"{UUID_ROOT}{value}")
    room = MAX_LENGTH - len(prefix)
    if not prefix.endswith(".") or not is_valid_uid(prefix[:-1]) or room < _MIN_RANDOM_DIGITS:
        raise ValueError(f"UID prefix {prefix!r} must be a valid UID root ending in '.', "
                         f"at most {MAX_LENGTH - _MIN_RANDOM_DIGITS} characters")
    if parts is None:
        digits = str(int.from_bytes(os.urandom(32), "big"))
    else:
        digits = str(int.from_bytes(hashlib.sha512(parts.encode("utf-8")).digest(), "big"))
    # A decimal rendering of a non-zero int has no leading zero, so any prefix of it is
    # a valid component (PS3.5 9.1).
    return UID(prefix + digits[:room])


# PS3.7 D.3.3.2: identifies this implementation in every association; 2.25 form of
# DICOMCORE_UUID (a test checks the derivation).
IMPLEMENTATION_CLASS_UID = UID("2.25.272768943174767627066181401423268278400")
