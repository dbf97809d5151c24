"""Part 10 files (PS3.10 7): preamble, "DICM", File Meta Information, dataset.

Reading sniffs what is there: a file with or without the 128-byte preamble,
with or without group 0002, in any native encoding; a stream that cannot be a
data set at all (empty, text, gzip...) is an ``InvalidFileError`` saying what it
is, and ``partial=True`` keeps what a file cut short holds.  Writing is strict:
a fresh File Meta Information with a correct group length and dicomcore's own
implementation identity (missing SOP UIDs written empty, with a warning), or
with ``file_meta=False`` none at all, written to a temporary name and renamed
only once complete, so no half-written file is ever presented as whole.
"""
from __future__ import annotations


import io
import itertools
import os
import struct
import warnings
import zlib
from typing import Any, BinaryIO, Callable, Iterable, Optional, Union

from ..errors import (CodecError, DecodeError, DecodeWarning, DicomError, EncodeError,
                      EncodeWarning, InvalidFileError,
                      LimitError, TruncatedError)
from . import transfer_syntax as _ts
from .dataset import Dataset
from .decode import DEFAULT_MAX_DEPTH, Options, decode_dataset
from .deflate import _STEP, DEFAULT_INFLATE_LIMIT, _chunks, deflate_chunks, inflate
from .element import RawElement
from .encode import encode_dataset
from .tag import PIXEL_DATA
from .sniff import not_dicom, sniff_transfer_syntax  # noqa: F401  (sniff_ re-exported)
from .transfer_syntax import TransferSyntax
from .uid import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

PathOrFile = Union[str, os.PathLike, BinaryIO, bytes, bytearray]
_META_END = 0x00030000
_TS_UID = 0x00020010


class FileSource:
    """Reads deferred values back from the file they were found in."""

    def __init__(self, path: str):
        self.path = path
        stat = os.stat(path)
        self.signature = (stat.st_size, stat.st_mtime_ns)

    def read(self, offset: int, length: int, tag: int) -> bytes:
        stat = os.stat(self.path)
        if (stat.st_size, stat.st_mtime_ns) != self.signature:
            raise InvalidFileError(f"{self.path} changed since it was read; deferred value "
                                   "cannot be loaded", offset=offset, tag=tag)
        with open(self.path, "rb") as f:
            f.seek(offset)
            data = f.read(length)
        if len(data) != length:
            raise TruncatedError(f"deferred value: {len(data)} of {length} bytes left",
                                 offset=offset, tag=tag)
        return data


def read(source: PathOrFile, *, stop_before_pixels: bool = False,
         defer_size: Optional[int] = None, max_depth: int = DEFAULT_MAX_DEPTH,
         inflate_limit: Optional[int] = None, partial: bool = False) -> Dataset:
    """Read a Part 10 file, or a bare dataset (its encoding sniffed).

    ``defer_size``: values longer than this many bytes are not read now but
    from the file when first accessed (paths only), so very large files open
    in bounded memory.  ``max_depth`` bounds sequence nesting.

    A file that is empty or not DICOM at all (text, gzip, an ICC profile...)
    is an ``InvalidFileError`` naming what was found.  A file cut short is a
    ``TruncatedError`` naming the offset and the element; with ``partial`` it
    is a ``DecodeWarning`` with the same words instead, and the elements read
    before the cut are returned (as pydicom reads truncated files; the element
    cut short is left out, not kept half).
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _read_buffer(bytes(source), None, stop_before_pixels, defer_size, max_depth,
                            inflate_limit, partial)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        with open(path, "rb") as f:
            ds = _read_file(f, path, stop_before_pixels, defer_size, max_depth, inflate_limit,
                            partial)
        object.__setattr__(ds, "filename", path)
        return ds
    return _read_file(source, None, stop_before_pixels, defer_size, max_depth, inflate_limit,
                      partial)


_HEAD = 1 << 16  # enough for any sane preamble and File Meta Information


def _read_file(f: BinaryIO, path: Optional[str], stop_before_pixels: bool,
               defer_size: Optional[int], max_depth: int,
               inflate_limit: Optional[int], partial: bool = False) -> Dataset:
    """Read from a binary file: the header first, then the body the way it needs.

    A deflated body is inflated straight from the file in steps (the deflated
    whole is never held); with ``defer_size`` a path is memory-mapped so only
    the element headers are touched.
    """
    start = f.tell() if f.seekable() else 0
    head = f.read(_HEAD)
    if not isinstance(head, bytes):
        raise TypeError("read() needs a binary file")
    if len(head) < _HEAD:
        return _read_buffer(head, path, stop_before_pixels, defer_size, max_depth,
                            inflate_limit, partial)
    try:
        preamble, meta, pos, ts = _read_header(head, max_depth, probe=True)
    except TruncatedError:  # a File Meta Information longer than the head: read it all
        return _read_buffer(head + f.read(), path, stop_before_pixels, defer_size,
                            max_depth, inflate_limit, partial)
    if ts.deflated and partial:  # inflated whole, so a cut stream keeps what inflated
        return _read_buffer(head + f.read(), path, stop_before_pixels, defer_size,
                            max_depth, inflate_limit, partial)
    if ts.deflated:
        _check_group_length(meta, pos)  # the header is not read again
        if f.seekable():
            f.seek(start + pos)
            stream: Any = f
        else:
            stream = head[pos:] + f.read()
        options = _options(None, stop_before_pixels, None, max_depth)
        ds = _read_deflated(_Inflater(stream, inflate_limit, pos), options)
        return _finish(ds, meta, preamble, ts)
    if (defer_size is not None or stop_before_pixels) and path is not None:
        # Only element headers are touched: map the file instead of reading it all.
        import mmap

        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(mapped)
        try:
            return _read_buffer(view, path, stop_before_pixels, defer_size, max_depth,
                                inflate_limit, partial)
        finally:
            view.release()
            mapped.close()
    if f.seekable():
        f.seek(start)
        buf = f.read()
    else:
        buf = head + f.read()
    return _read_buffer(buf, path, stop_before_pixels, defer_size, max_depth, inflate_limit,
                        partial)


class _Inflater:
    """Inflated bytes of a raw deflate stream on demand, ``n`` at a time, within a limit
    (the checks and messages of ``deflate.inflate``)."""

    def __init__(self, source: Any, limit: Optional[int], offset: int):
        self.limit = DEFAULT_INFLATE_LIMIT if limit is None else limit
        self.offset = offset
        self.engine = zlib.decompressobj(-zlib.MAX_WBITS)
        self.chunks = _chunks(source)
        self.pending = b""
        self.total = 0
        self.eof = False

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end of the stream)."""
        out = []
        want = n
        while want > 0 and not self.eof:
            if not self.pending:
                self.pending = next(self.chunks, b"")
                if not self.pending:
                    self._finish(out)
                    break
            try:
                piece = self.engine.decompress(self.pending, min(want, self.limit + 1 -
                                                                 self.total))
            except zlib.error as exc:
                raise DecodeError(f"deflated dataset is corrupt: {exc}",
                                  offset=self.offset) from None
            self.pending = self.engine.unconsumed_tail
            self._count(len(piece))
            out.append(piece)
            want -= len(piece)
            if self.engine.eof:
                self.eof = True
        return out[0] if len(out) == 1 else b"".join(out)

    def _count(self, n: int) -> None:
        self.total += n
        if self.total > self.limit:
            raise LimitError(f"deflated dataset inflates past the limit of {self.limit} bytes "
                             "(raise inflate_limit to read it)")

    def _finish(self, out: list) -> None:
        try:
            tail = self.engine.flush()
        except zlib.error as exc:
            raise DecodeError(f"deflated dataset is corrupt: {exc}", offset=self.offset) from None
        self._count(len(tail))
        out.append(tail)
        if not self.engine.eof:  # no final block: the file was cut short
            raise TruncatedError("deflated dataset ends before its deflate stream does",
                                 offset=self.offset)
        self.eof = True

    def read_all(self, into: bytearray) -> None:
        while not self.eof:
            into += self.read(_STEP)


def _read_deflated(inflater: _Inflater, options: Options) -> Dataset:
    """Decode a deflated dataset (PS3.5 A.5) as it is inflated, holding Pixel Data once.

    Inflated bytes are decoded up to Pixel Data; a defined-length Pixel Data value is
    then inflated into a BytesIO whose buffer becomes the value without a copy (the
    decoder would copy it out of one big inflated buffer: twice the pixels at once);
    anything after it is decoded on its own.  Other files are inflated whole.
    """
    user_stop = options.stop_before
    prefix = bytearray()
    while True:
        prefix += inflater.read(max(len(prefix), _STEP))
        options.stop_before = PIXEL_DATA if user_stop is None else min(user_stop, PIXEL_DATA)
        try:
            ds, at = decode_dataset(bytes(prefix), True, True, options=options)
        except TruncatedError:
            if inflater.eof:
                raise
            continue
        if at + 12 <= len(prefix) or inflater.eof:
            break
    options.stop_before = user_stop
    if at == len(prefix) or (user_stop is not None and user_stop <= PIXEL_DATA):
        return ds  # no Pixel Data, or the caller stops before it
    group, element, vr, length = struct.unpack_from("<HH2s2xI", prefix, at)
    if (group << 16 | element) != PIXEL_DATA or vr not in (b"OB", b"OW") \
            or length == 0xFFFFFFFF or at + 12 + length <= len(prefix):
        inflater.read_all(prefix)  # nothing big to spare a copy of: decode it all
        view = memoryview(prefix)
        try:
            return decode_dataset(view, True, True, options=options)[0]
        finally:
            view.release()
    value_start = at + 12
    if value_start + length > inflater.limit:  # before allocating what the header claims
        raise LimitError(f"deflated dataset inflates past the limit of {inflater.limit} "
                         "bytes (raise inflate_limit to read it)")
    value = io.BytesIO()
    value.seek(length - 1)  # one allocation of exactly the value's size, filled in place
    value.write(b"\0")
    value.seek(0)
    done = value.write(memoryview(prefix)[value_start:])
    del prefix
    while done < length:
        piece = inflater.read(min(_STEP, length - done))
        if not piece:
            raise TruncatedError(f"value length {length} runs past the end of the data "
                                 f"({done} byte(s) left)", offset=at, tag=PIXEL_DATA)
        done += value.write(piece)
    ds._elems[PIXEL_DATA] = RawElement(PIXEL_DATA, vr.decode(), value.getvalue(), at, length,
                                       False, None, value_start)
    del value
    rest = bytearray()
    inflater.read_all(rest)
    if rest:
        options.base = value_start + length
        after, _ = decode_dataset(bytes(rest), True, True, options=options,
                                  charsets=ds._charsets)
        ds._elems.update(after._elems)
    return ds


def _read_header(buf: Any, max_depth: int, partial: bool = False, probe: bool = False) -> tuple:
    """Preamble, File Meta Information, where the dataset starts, and its syntax.

    ``probe``: a look at the head of a file that is then read whole (and its header
    again): warnings are left to that second read."""
    size = len(buf)
    preamble = None
    pos = 0
    if size >= 132 and bytes(buf[128:132]) == b"DICM":
        preamble, pos = bytes(buf[:128]), 132
    elif size >= 4 and bytes(buf[:4]) == b"DICM":
        pos = 4  # no preamble, prefix only (seen in the wild)
    meta = Dataset()
    if size - pos >= 8 and bytes(buf[pos:pos + 2]) == b"\x02\x00":
        # PS3.10 7.1: group 0002 is Explicit VR LE.  Elements are read one by one
        # up to the first tag past the group, so a lying group length can't mislead.
        meta, pos = decode_dataset(buf, True, True, start=pos, end=_group_2_end(buf, pos),
                                   options=Options(max_depth=max_depth, stop_before=_META_END,
                                                   partial=partial))
        if not probe:
            _check_group_length(meta, pos)
    elif preamble is not None or pos == 4:
        raise InvalidFileError("no File Meta Information after the DICM prefix", offset=pos)
    else:
        found = not_dicom(buf)
        if found is not None:
            raise InvalidFileError("not a DICOM file (no DICM prefix, no File Meta "
                                   f"Information): found {found}", offset=0)
    return preamble, meta, pos, _transfer_syntax_of(meta, buf, pos)


def _check_group_length(meta: Dataset, end: int) -> None:
    """Warn when (0002,0000) disagrees with the group read element by element."""
    raw = meta._elems.get(0x00020000)
    if raw is None:
        return
    stated = meta.get(0x00020000)
    counted = end - (raw.offset + 12)  # PS3.10 7.1: from the end of its value (UL, 12 bytes)
    if isinstance(stated, int) and stated != counted:
        warnings.warn(f"offset {raw.offset}: File Meta Information Group Length (0002,0000) "
                      f"says {stated} bytes, but group 0002 is {counted} bytes (read element "
                      "by element)", DecodeWarning, stacklevel=4)


def _group_2_end(buf: Any, pos: int) -> int:
    """Where group 0002 ends, by walking its element headers: a dataset whose first tag
    sorts below (0003,0000), such as (0001,0001), must not be read as meta."""
    from .vr import EXPLICIT_VR_CODES, LONG_LENGTH_VRS

    size = len(buf)
    while size - pos >= 8 and bytes(buf[pos:pos + 2]) == b"\x02\x00":
        vr = EXPLICIT_VR_CODES.get(bytes(buf[pos + 4:pos + 6]))
        if vr is None or vr in LONG_LENGTH_VRS:  # implicit VR (seen in the wild), long form
            at = pos + 4 if vr is None else pos + 8
            if size - at < 4:
                return size
            pos = at + 4 + int.from_bytes(buf[at:at + 4], "little")
        else:
            pos += 8 + int.from_bytes(buf[pos + 6:pos + 8], "little")
    return min(pos, size)


def _options(path: Optional[str], stop_before_pixels: bool, defer_size: Optional[int],
             max_depth: int, partial: bool = False) -> Options:
    return Options(max_depth=max_depth, defer_size=defer_size,
                   source=FileSource(path) if path and defer_size is not None else None,
                   stop_before=PIXEL_DATA if stop_before_pixels else None, partial=partial)


def _read_buffer(buf: Any, path: Optional[str], stop_before_pixels: bool,
                 defer_size: Optional[int], max_depth: int,
                 inflate_limit: Optional[int], partial: bool = False) -> Dataset:
    preamble, meta, pos, ts = _read_header(buf, max_depth, partial)
    options = _options(path, stop_before_pixels, defer_size, max_depth, partial)
    if ts.deflated:
        body = inflate(buf[pos:], inflate_limit, offset=pos, partial=partial)
        options.source = None  # offsets are in the inflated stream: nothing to seek back to
        ds, _ = decode_dataset(body, True, True, options=options)
    else:
        ds, _ = decode_dataset(buf, ts.little_endian, ts.explicit_vr, start=pos,
                               options=options)
    return _finish(ds, meta, preamble, ts)


def _finish(ds: Dataset, meta: Dataset, preamble: Optional[bytes],
            ts: TransferSyntax) -> Dataset:
    object.__setattr__(ds, "file_meta", meta)
    object.__setattr__(ds, "preamble", preamble)
    object.__setattr__(ds, "transfer_syntax", ts)
    return ds


def _transfer_syntax_of(meta: Dataset, buf: Any, pos: int) -> TransferSyntax:
    uid = meta.get(_TS_UID)
    if uid:
        return _ts.get(str(uid))
    return sniff_transfer_syntax(bytes(buf[pos:pos + 12]), len(buf) - pos)


# --- writing ---------------------------------------------------------------------------

_META_SHORT = struct.Struct("<HH2sH")
_META_LONG = struct.Struct("<HH2s2xI")


def file_header(sop_class: str, sop_instance: str, transfer_syntax: str,
                source_ae_title: Optional[str] = None) -> bytes:
    """Preamble, "DICM" and a File Meta Information for a data set that follows as bytes.

    The same meta ``make_file_meta`` describes, packed directly: a Storage SCP
    writes one per received instance, so it costs microseconds, not a dataset.
    """
    def short(element: int, vr: bytes, text: str, pad: bytes) -> bytes:
        try:
            value = text.encode("ascii")
        except UnicodeEncodeError:
            raise EncodeError(f"(0002,{element:04X}) {text!r} is not ASCII") from None
        if len(value) & 1:
            value += pad
        return _META_SHORT.pack(0x0002, element, vr, len(value)) + value

    body = [_META_LONG.pack(0x0002, 0x0001, b"OB", 2), b"\x00\x01",
            short(0x0002, b"UI", sop_class, b"\0"), short(0x0003, b"UI", sop_instance, b"\0"),
            short(0x0010, b"UI", transfer_syntax, b"\0"),
            short(0x0012, b"UI", str(IMPLEMENTATION_CLASS_UID), b"\0"),
            short(0x0013, b"SH", IMPLEMENTATION_VERSION_NAME, b" ")]
    if source_ae_title:
        body.append(short(0x0016, b"AE", source_ae_title, b" "))
    meta = b"".join(body)
    return b"".join([bytes(128), b"DICM", _META_SHORT.pack(0x0002, 0x0000, b"UL", 4),
                     len(meta).to_bytes(4, "little"), meta])


def make_file_meta(ds: Dataset, ts: TransferSyntax) -> Dataset:
    """A fresh File Meta Information for ``ds`` (PS3.10 Table 7.1-1).

    Media Storage SOP Class/Instance UID come from SOP Class/Instance UID, else
    from the meta the dataset was read with.  Where neither has one, the file is
    still written, the UID empty, with an ``EncodeWarning`` naming what is
    missing: what was read can always be written back (pydicom writes such
    files as they are; DCMTK's dcmconv fills in a private SOP class and a new
    instance UID, an identity the data set itself would not carry).
    """
    old = ds.file_meta or Dataset()
    meta = Dataset()
    meta.add(0x00020001, "OB", b"\x00\x01")
    sop_class = _uid_text(ds.get(0x00080016)) or _uid_text(old.get(0x00020002))
    sop_instance = _uid_text(ds.get(0x00080018)) or _uid_text(old.get(0x00020003))
    missing = [name for name, uid in (("SOP Class UID (0008,0016)", sop_class),
                                      ("SOP Instance UID (0008,0018)", sop_instance)) if not uid]
    if missing:
        # PS3.10 Table 7.1-1: (0002,0002) and (0002,0003) are Type 1.
        warnings.warn(f"the data set has no {' nor '.join(missing)}: writing a Part 10 file "
                      f"with empty Media Storage {' and '.join(m.split(' (')[0] for m in missing)}"
                      " (write(..., file_meta=False) writes the bare data set)",
                      EncodeWarning, stacklevel=4)
    meta.add(0x00020002, "UI", sop_class)
    meta.add(0x00020003, "UI", sop_instance)
    meta.add(0x00020010, "UI", str(ts.uid))
    meta.add(0x00020012, "UI", str(IMPLEMENTATION_CLASS_UID))
    meta.add(0x00020013, "SH", IMPLEMENTATION_VERSION_NAME)
    for tag in (0x00020016, 0x00020017, 0x00020018, 0x00020100, 0x00020102):
        if tag in old:
            elem = old[tag]
            meta.add(tag, elem.vr, elem.value)
    return meta


def _uid_text(value: Any) -> str:
    """A UID value as text: never the Python repr of bytes (an UN value, say)."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1").rstrip("\0 ")
    return "" if value is None else str(value).rstrip("\0 ")


def encode_file(ds: Dataset, transfer_syntax: Any = None, *, stream: bool = False,
                file_meta: bool = True) -> Any:
    """The chunks of a whole Part 10 file: a list, or with ``stream`` an iterator that
    deflates a Deflated body as it is consumed (never holding all of it).  Without
    ``file_meta``: the data set alone, no preamble, "DICM" nor group 0002."""
    ts = _choose_ts(ds, transfer_syntax)
    ds = _check_pixel_encoding(ds, ts)
    if not file_meta:
        if ts.deflated:  # PS3.5 A.5: only the meta could tell a reader it is deflated
            raise EncodeError(f"a bare data set cannot be {ts.name}: a reader could not "
                              "tell; write it with its File Meta Information")
        return encode_dataset(_without_meta(ds), ts.little_endian, ts.explicit_vr)
    meta = make_file_meta(ds, ts)
    meta_parts = encode_dataset(meta, True, True)
    meta_len = sum(len(p) for p in meta_parts)
    # (0002,0000) UL: bytes after its own value up to the end of group 0002.
    group_length = b"\x02\x00\x00\x00UL\x04\x00" + meta_len.to_bytes(4, "little")
    body = encode_dataset(_without_meta(ds), ts.little_endian, ts.explicit_vr)
    preamble = ds.preamble if ds.preamble and len(ds.preamble) == 128 else bytes(128)
    head = [preamble, b"DICM", group_length, *meta_parts]
    if ts.deflated:  # in 1 MiB steps: zlib would buffer a big value's whole output twice
        deflated = deflate_chunks(_steps(body))
        return itertools.chain(head, deflated) if stream else head + list(deflated)
    return head + body


def _steps(chunks: list) -> Iterable:
    for chunk in chunks:
        if len(chunk) <= _STEP:
            yield chunk
            continue
        view = memoryview(chunk)
        for start in range(0, len(view), _STEP):
            yield view[start:start + _STEP]


def write(target: PathOrFile, ds: Dataset, *, transfer_syntax: Any = None,
          file_meta: bool = True) -> None:
    """Write ``ds`` as a Part 10 file in ``transfer_syntax`` (default: as read, else
    Explicit VR Little Endian).  A path is written to a temporary file in the same
    folder and renamed into place only when complete: a new file gets mode 0666 less
    the umask, a file replaced keeps its mode (as writing into it would).

    ``transfer_syntax``: a ``TransferSyntax``, a UID, or a name the CLI takes (``implicit``,
    ``explicit``, ``big``, ``deflated``, ``rle``).  Pixel Data not in that syntax is
    re-encoded in a copy (``ds`` is left as it is), as pydicom's ``ds.compress()`` does:
    native to RLE Lossless (YBR_FULL_422 becomes YBR_FULL, see ``codecs.transcode``), RLE
    to native.  Fragments of any other codec pass through to the same syntax only; to
    anything else they are an EncodeError naming the syntax, as dicomcore has no codec
    for them.  Lossy Image Compression and its method are kept: RLE adds no loss.

    A data set without SOP Class or Instance UID is still written as a Part 10
    file (empty Media Storage UIDs, an ``EncodeWarning`` naming what is missing).
    ``file_meta=False`` writes the bare data set: no preamble, "DICM" nor group
    0002, as ``dcmconv -F`` does (``read`` sniffs its encoding back; Implicit VR
    Little Endian is the usual form, so name it in ``transfer_syntax``).
    """
    chunks = encode_file(ds, transfer_syntax, stream=True, file_meta=file_meta)
    if not isinstance(target, (str, os.PathLike)):
        target.writelines(chunks)  # type: ignore[union-attr]
        return
    from .partfile import mode_of, part_file

    final = os.fspath(target)
    fd, temp = part_file(os.path.dirname(final) or ".", mode_of(final))
    try:
        with os.fdopen(fd, "wb") as f:
            f.writelines(chunks)
        os.replace(temp, final)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _choose_ts(ds: Dataset, requested: Any) -> TransferSyntax:
    if isinstance(requested, TransferSyntax):
        return requested
    if requested:
        return _ts.by_name(str(requested))  # "rle", "big", ... as on the command line, or a UID
    meta_uid = ds.file_meta.get(_TS_UID) if ds.file_meta is not None else None
    if meta_uid:
        return _ts.get(str(meta_uid))
    return ds.transfer_syntax or _ts.EXPLICIT_VR_LE


_FLOAT_PIXEL_TAGS = (0x7FE00008, 0x7FE00009)  # Float, Double Float Pixel Data (OF, OD)

# Re-encodes Pixel Data for another transfer syntax: ``(ds, ts) -> a copy of ds whose Pixel
# Data is in ts`` (raising DicomError when no codec can).  The codecs live a layer above and
# this one may not import them (DESIGN, "Direction of imports"), so the package that holds
# both (dicomcore/__init__.py) installs ``codecs.transcode.transcode`` here at import.
PixelEncoder = Callable[[Dataset, TransferSyntax], Dataset]
_pixel_encoder: Optional[PixelEncoder] = None


def set_pixel_encoder(encoder: Optional[PixelEncoder]) -> None:
    """Install the function ``write()`` uses when Pixel Data is not in the target syntax."""
    global _pixel_encoder
    _pixel_encoder = encoder


def _check_pixel_encoding(ds: Dataset, ts: TransferSyntax) -> Dataset:
    """``ds``, or a copy whose Pixel Data is encoded as ``ts`` asks (native to RLE, RLE to
    native, like pydicom's ``ds.compress()``); the caller's dataset is never changed."""
    if PIXEL_DATA not in ds._elems:
        if ts.encapsulated and any(tag in ds._elems for tag in _FLOAT_PIXEL_TAGS):
            return _encode_pixels(ds, ts)  # which refuses: OF/OD values are native only
        return ds
    encapsulated = bool(ds._elems[PIXEL_DATA].undefined_length)
    if encapsulated and ts.encapsulated:
        source = source_syntax(ds)
        # Fragments of unknown origin are taken to be in the syntax asked for, as before.
        if source is None or not source.encapsulated or source.uid == ts.uid:
            return ds
    elif encapsulated == ts.encapsulated:
        return ds  # native to native: the encoder writes the byte order and VRs
    return _encode_pixels(ds, ts)


def _encode_pixels(ds: Dataset, ts: TransferSyntax) -> Dataset:
    if _pixel_encoder is None:
        raise EncodeError(f"writing {ts.name or ts.uid} needs the Pixel Data re-encoded, and "
                          "no pixel codec is installed (import dicomcore)")
    try:
        return _pixel_encoder(ds, ts)
    except CodecError as exc:  # write() reports what it cannot write as EncodeError
        raise EncodeError(f"writing {ts.name or ts.uid}: {exc}") from None


def source_syntax(ds: Dataset) -> Optional[TransferSyntax]:
    """The syntax ``ds`` is in: its File Meta Information's, else the one it was read in
    (None for a data set made in memory)."""
    meta_uid = ds.file_meta.get(_TS_UID) if ds.file_meta is not None else None
    if meta_uid:
        try:
            return _ts.get(str(meta_uid))
        except DicomError:
            pass
    return ds.transfer_syntax


def _without_meta(ds: Dataset) -> Dataset:
    if not any(tag >> 16 == 0x0002 for tag in ds._elems):
        return ds
    view = Dataset({t: e for t, e in ds._elems.items() if t >> 16 != 0x0002})
    for key in ("_little", "_charsets"):
        object.__setattr__(view, key, getattr(ds, key))
    return view


def dcmwrite_bytes(ds: Dataset, transfer_syntax: Any = None) -> bytes:
    """The whole file as bytes (for tests and small files)."""
    return b"".join(encode_file(ds, transfer_syntax))


