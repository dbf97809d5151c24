"""Storage SCP (PS3.4 B): received instances streamed to disk, renamed when whole.

Each C-STORE's data set is written, fragment by fragment as it arrives, after
a generated File Meta Information into a temporary file in the output
folder: memory stays bounded by the PDU size whatever the instance size.
Only when the last fragment is in and the data set parses is the file
renamed to its final name, so a peer that vanishes mid-transfer leaves no
file that looks complete.  Names come from received values only through
``safe_component``, and the final path is checked to lie inside the folder.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ...dataset import Dataset
from ...dataset import transfer_syntax as _ts
from ...dataset.decode import decode_dataset
from ...dataset.part10 import file_header, read
from ...dataset.partfile import part_file
from ...dimse import CStoreRQ, Status
from ...errors import DicomError
from ...pdu.buffer import DeliveredValue
from .preallocate import preallocate

log = logging.getLogger("dicomcore.storage")

# PS3.4 B.2.3 statuses.
SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700
DATA_SET_DOES_NOT_MATCH = 0xA900
CANNOT_UNDERSTAND = 0xC000
SOP_CLASS_NOT_SUPPORTED = 0x0122

LAYOUTS = ("flat", "study", "patient")
# Native syntaxes a Storage SCP keeps as received, in the order it prefers them.
NATIVE_SYNTAXES = (_ts.EXPLICIT_VR_LE.uid, _ts.IMPLICIT_VR_LE.uid,
                   _ts.DEFLATED_EXPLICIT_VR_LE.uid, _ts.EXPLICIT_VR_BE.uid)
_KEEP_IN_MEMORY = 1 << 16
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def storable_transfer_syntaxes() -> list[str]:
    """Every transfer syntax a Storage SCP here can keep, preferred first: the native
    ones, then every registered encapsulated one not retired.  The data set is written
    as it arrives after its File Meta Information, so no decoder is needed: the Storage
    SCP accepts these, and a C-GET SCU proposes them (it is the Storage SCP there)."""
    return list(NATIVE_SYNTAXES) + [uid for uid, ts in _ts.TRANSFER_SYNTAXES.items()
                                    if ts.encapsulated and not ts.retired]


def safe_component(value: Any, fallback: str = "unknown") -> str:
    """A file or folder name from a received value: letters, digits, ``. _ -`` only,
    never empty, ``.`` or ``..``, at most 64 characters (CVE class: path traversal)."""
    text = _UNSAFE.sub("_", str(value or "")).strip("._")[:64]
    return text or fallback


@dataclass
class StoredInstance:
    """What a C-STORE handler is given: the complete file, and who sent it."""

    path: str
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax: str
    calling_ae_title: str
    _header: Optional[Dataset] = field(default=None, repr=False)

    @property
    def header(self) -> Dataset:
        """The instance up to Pixel Data, read from the file on first use."""
        if self._header is None:
            self._header = read(self.path, stop_before_pixels=True)
        return self._header

    def dataset(self) -> Dataset:
        """The whole instance, read from the file."""
        return read(self.path)


StoreHandler = Callable[[StoredInstance], Optional[int]]


class StorageSCP:
    """Writes received instances into ``folder`` with the chosen ``layout``.

    ``handler`` (optional) is called with each complete ``StoredInstance``; its
    return value (a status, None for success) becomes the C-STORE-RSP status.
    Without a folder, instances go to a temporary folder and the file is
    removed once the handler returns.
    """

    def __init__(self, folder: Optional[str] = None, *, layout: str = "flat",
                 handler: Optional[StoreHandler] = None, ae_title: str = "DICOMCORE",
                 max_instance_size: Optional[int] = None):
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}")
        self.keep = folder is not None
        self.folder = os.path.realpath(folder or tempfile.mkdtemp(prefix="dicomcore-store-"))
        self._inside = os.path.join(self.folder, "")  # the folder with its trailing separator
        os.makedirs(self.folder, exist_ok=True)
        self.layout = layout
        self.handler = handler
        self.ae_title = ae_title
        # A peer may announce nothing about size: the data set is counted as it arrives
        # and refused (A700, out of resources) past this many bytes; None: no limit.
        self.max_instance_size = max_instance_size

    def begin(self, request: CStoreRQ, transfer_syntax: str, calling_ae_title: str,
              context_id: Optional[int] = None) -> "Receiving":
        return Receiving(self, request, transfer_syntax, calling_ae_title, context_id)

    def final_path(self, header: Dataset, sop_instance_uid: str) -> str:
        name = safe_component(sop_instance_uid) + ".dcm"
        parts = []
        if self.layout == "study":
            parts = [safe_component(header.get(0x00100020), "no-patient-id"),
                     safe_component(header.get(0x0020000D), "no-study-uid")]
        elif self.layout == "patient":
            parts = [safe_component(header.get(0x00100020), "no-patient-id")]
        # The folder is already a real path and every component is sanitised (no
        # separators, never "." or ".."), so a lexical check suffices.
        path = os.path.normpath(os.path.join(self.folder, *parts, name))
        if not path.startswith(self._inside):  # belt and braces
            raise DicomError(f"refusing to write outside {self.folder}: {path}")
        return path


class Receiving:
    """One C-STORE in progress: a temporary file growing fragment by fragment."""

    def __init__(self, scp: StorageSCP, request: CStoreRQ, transfer_syntax: str,
                 calling_ae_title: str, context_id: Optional[int] = None):
        self.scp = scp
        self.context_id = context_id
        self.request = request
        self.transfer_syntax = transfer_syntax
        self.calling_ae_title = calling_ae_title
        self.status: Optional[int] = None
        self.received = 0
        # Small data sets are also kept in memory, so the check in finish() parses
        # them there instead of opening the file again (most instances are small).
        self.kept: Optional[bytearray] = bytearray()
        fd, self.temp = part_file(scp.folder)  # 0666 less the umask, as storescp's
        # Unbuffered: the transport may append to the descriptor itself (os.splice).
        self.file = os.fdopen(fd, "wb", buffering=0)
        try:
            for chunk in self._header():
                _write_all(self.file, chunk)
        except DicomError as exc:
            log.warning("C-STORE %s: %s", request.affected_sop_instance_uid, exc)
            self.status = CANNOT_UNDERSTAND

    def _header(self) -> list:
        return [file_header(self.request.affected_sop_class_uid or "",
                            self.request.affected_sop_instance_uid or "", self.transfer_syntax,
                            self.calling_ae_title or None)]

    def value_sink(self, context_id: int, control: int, length: int) -> Optional[Any]:
        """``UpperLayer.value_sink``: a large fragment of this data set goes from the
        socket to the file as it arrives, never assembled in memory.  Declined
        (the usual path then decides) for anything but a data fragment of this
        C-STORE, past a failure, or past the size limit."""
        if control & 1 or context_id != self.context_id or self.status is not None:
            return None
        limit = self.scp.max_instance_size
        if limit is not None and self.received + length > limit:
            return None
        if self.received + length <= _KEEP_IN_MEMORY:
            return None  # small: kept in memory for the check, as usual
        self.kept = None
        # Everything before this value is in the file already (the machine offers a
        # value only once earlier fragments are taken), so it goes at the position.
        preallocate(self.file.fileno(), self.file.tell(), length)
        return _Append(self)

    def _write_through(self, piece: memoryview) -> None:
        if self.status is None:
            try:
                _write_all(self.file, piece)
            except OSError as exc:  # disk full, say: answered when the data set is in
                log.error("C-STORE: cannot write %s: %s", self.temp, exc)
                self.status = OUT_OF_RESOURCES

    def write(self, data: Any) -> None:
        """The next fragment of the data set (a ``DeliveredValue`` is already written)."""
        self.received += len(data)
        if type(data) is DeliveredValue:
            return
        limit = self.scp.max_instance_size
        if self.status is None and limit is not None and self.received > limit:
            log.warning("C-STORE %s: data set larger than %d bytes refused",
                        self.request.affected_sop_instance_uid, limit)
            self.status = OUT_OF_RESOURCES
            self.file.truncate(0)  # what was written so far is not kept either
        if self.kept is not None:
            if self.received <= _KEEP_IN_MEMORY:
                self.kept += data
            else:
                self.kept = None
        if self.status is None:
            try:
                _write_all(self.file, data)
            except OSError as exc:  # disk full, say
                log.error("C-STORE: cannot write %s: %s", self.temp, exc)
                self.status = OUT_OF_RESOURCES

    def abandon(self) -> None:
        """The association ended mid-transfer: nothing is kept."""
        self.file.close()
        _remove(self.temp)

    def finish(self) -> int:
        """All fragments are in: check, rename, hand over; returns the response status."""
        self.file.close()
        if self.status is not None:
            _remove(self.temp)
            return self.status
        try:
            # One pass: all of it must parse, not only what precedes Pixel Data; values
            # past 4 KiB stay in the (memory-mapped) file, so memory stays bounded.  Only
            # small values (UIDs, Patient ID) are used from it below.
            ts = _ts.get(self.transfer_syntax)
            if self.kept is not None and not ts.deflated:
                header, _ = decode_dataset(bytes(self.kept), ts.little_endian, ts.explicit_vr)
            else:
                header = read(self.temp, defer_size=4096)
        except DicomError as exc:
            log.warning("C-STORE %s: data set does not parse: %s",
                        self.request.affected_sop_instance_uid, exc)
            _remove(self.temp)
            return CANNOT_UNDERSTAND
        sop_instance = self.request.affected_sop_instance_uid or ""
        if header.get(0x00080018) not in (None, sop_instance) or \
                header.get(0x00080016) not in (None, self.request.affected_sop_class_uid):
            log.warning("C-STORE %s: data set UIDs differ from the command's", sop_instance)
            _remove(self.temp)
            return DATA_SET_DOES_NOT_MATCH
        try:
            final = self.scp.final_path(header, sop_instance)
            if self.scp.layout != "flat":  # the flat folder exists already
                os.makedirs(os.path.dirname(final), exist_ok=True)
            os.replace(self.temp, final)
        except (OSError, DicomError) as exc:
            log.error("C-STORE %s: cannot store: %s", sop_instance, exc)
            _remove(self.temp)
            return OUT_OF_RESOURCES
        status = SUCCESS
        if self.scp.handler is not None:
            instance = StoredInstance(final, self.request.affected_sop_class_uid or "",
                                      sop_instance, self.transfer_syntax,
                                      self.calling_ae_title)
            try:
                returned = self.scp.handler(instance)
                status = SUCCESS if returned is None else int(returned)
            except Exception:  # a failing user handler is the user's failure status
                log.exception("C-STORE handler failed for %s", sop_instance)
                status = 0xC001
            if not self.scp.keep:
                _remove(final)
        if log.isEnabledFor(logging.DEBUG):  # (the CLI prints each path by on_store)
            log.debug("stored %s (%s)", final, Status(status, "storage"))
        return status


def _write_all(file: Any, data: Any) -> None:
    """An unbuffered file may take part of a write (a signal, a full disk)."""
    view = memoryview(data)
    while len(view):
        view = view[file.write(view):]


class _Append:
    """The value writer ``Receiving.value_sink`` hands out: appends to the file;
    its ``fileno`` lets the transport splice from the socket to the file."""

    __slots__ = ("receiving",)

    def __init__(self, receiving: Receiving):
        self.receiving = receiving

    def __call__(self, piece: memoryview) -> None:
        self.receiving._write_through(piece)

    def fileno(self) -> int:
        return self.receiving.file.fileno()


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
