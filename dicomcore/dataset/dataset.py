"""Dataset: an ordered container of data elements, nothing more.

Reading, writing, JSON and pixels live in their own modules; a Dataset only
stores elements by tag, decodes raw ones when first touched, and offers the
look-ups users expect (``ds.PatientName``, ``ds["PatientName"]``,
``ds[0x00100010]``, ``ds[(0x0010, 0x0010)]``, ``in``, ``del``, iteration in
tag order).
"""
from __future__ import annotations

from typing import Any, Iterator, Optional

from ..errors import DicomError
from . import dictionary
from .element import DataElement, RawElement
from .tag import Tag, TagLike
from .vr import VRS, coerce, empty_value

_PIXEL_REPRESENTATION = 0x00280103
_SPECIFIC_CHARACTER_SET = 0x00080005
# PS3.3 C.11.1.1.1: LUT descriptors' first and third values are always unsigned.
_LUT_DESCRIPTORS = frozenset({0x00281100, 0x00281101, 0x00281102, 0x00281103, 0x00281111,
                              0x00281112, 0x00281113, 0x00283002})


# Kinds whose decoding loses bytes (padding, spaces, escapes, number text): their
# elements keep the bytes read (DataElement.as_read); numbers, bytes and words
# decode one-to-one and would only hold a second copy.
_KEEP_READ = frozenset(name for name, entry in VRS.items() if entry.kind in ("text", "string"))


def vr_for_un(tag: int) -> Optional[str]:
    """The dictionary's VR for an UN value of a standard element, if it has one that
    decodes from value bytes alone (not SQ: a sequence needs the element decoder)."""
    if tag >> 16 & 1:  # private: no dictionary to consult without its creator
        return None
    vr = dictionary.vr_of(tag)
    if not vr or vr in ("UN", "SQ", "NONE"):
        return None
    return vr


class Dataset:
    """Elements keyed by tag.  Items of sequences are Datasets too."""

    # Attributes that are Python-level state, not DICOM keywords.
    _STATE = ("_elems", "_little", "_charsets", "_parent", "file_meta", "preamble",
              "filename", "undefined_length", "offset", "transfer_syntax")

    def __init__(self, elements: Optional[dict] = None):
        set_ = object.__setattr__
        set_(self, "_elems", {} if elements is None else elements)
        set_(self, "_little", True)  # byte order of raw values
        set_(self, "_charsets", ())  # character sets raw text was written in
        set_(self, "_parent", None)
        set_(self, "file_meta", None)
        set_(self, "preamble", None)
        set_(self, "filename", None)
        set_(self, "undefined_length", False)  # as an item: how it is delimited
        set_(self, "offset", None)
        set_(self, "transfer_syntax", None)  # the syntax it was read in, if any

    # --- element access ------------------------------------------------------------------

    def element(self, key: TagLike) -> DataElement:
        """The DataElement for ``key``; KeyError if absent."""
        tag = _to_tag(key)
        found = self._elems[tag]
        if found.__class__ is RawElement:
            found = self._decode_raw(found)
        return found

    def _decode_raw(self, raw: RawElement) -> DataElement:
        vr = raw.vr
        if " or " in vr:
            vr = self._resolve_vr(raw.tag, vr)
        little = self._little
        if vr == "UN":
            known = vr_for_un(raw.tag)
            if known is not None:
                # PS3.5 6.2.2: UN holds the value as Implicit VR Little Endian wrote it,
                # never byte-swapped; a standard element is read with its own VR (as
                # pydicom does), the UN bytes kept to be written back (as_read).
                vr = self._resolve_vr(raw.tag, known) if " or " in known else known
                little = True
        data = raw.data()
        if data:
            value = VRS[vr].decode(data, little, self._charsets)
        else:
            value = empty_value(vr)
        elem = DataElement(raw.tag, vr, value, undefined_length=raw.undefined_length,
                           offset=raw.offset, length=raw.length,
                           read=raw if vr in _KEEP_READ or raw.vr == "UN" else None)
        self._elems[raw.tag] = elem
        return elem

    def _resolve_vr(self, tag: int, vr: str) -> str:
        """PS3.5 A.1 / C.7.6.3: pick one VR of a multi-VR element read with implicit VR."""
        if vr.startswith("US or SS") and not vr.endswith("OW"):
            if tag in _LUT_DESCRIPTORS:
                return "US"
            rep = self._find(_PIXEL_REPRESENTATION)
            return "SS" if rep == 1 else "US"
        return "OW"  # OB or OW, US or OW, US or SS or OW: words keep any length

    def _find(self, tag: int) -> Any:
        ds: Optional[Dataset] = self
        while ds is not None:
            if tag in ds._elems:
                return ds.element(tag).value
            ds = ds._parent
        return None

    def __getitem__(self, key: TagLike) -> DataElement:
        return self.element(key)

    def __setitem__(self, key: TagLike, elem: DataElement) -> None:
        tag = _to_tag(key)
        if not isinstance(elem, DataElement):
            raise TypeError("assign a DataElement, or set the value by keyword attribute")
        if elem.tag != tag:
            raise ValueError(f"element tag {elem.tag} does not match key {Tag(tag)}")
        self._adopt(elem)
        self._elems[tag] = elem

    def __delitem__(self, key: TagLike) -> None:
        del self._elems[_to_tag(key)]

    def __contains__(self, key: object) -> bool:
        try:
            return _to_tag(key) in self._elems  # type: ignore[arg-type]
        except (ValueError, TypeError):
            return False

    def __len__(self) -> int:
        return len(self._elems)

    def __iter__(self) -> Iterator[DataElement]:
        """Elements in ascending tag order."""
        for tag in sorted(self._elems):
            yield self.element(tag)

    def tags(self) -> list[int]:
        return sorted(self._elems)

    def get(self, key: TagLike, default: Any = None) -> Any:
        """The value of ``key`` (keyword or tag), or ``default`` if absent."""
        try:
            tag = _to_tag(key)
        except (ValueError, TypeError):
            return default
        if tag not in self._elems:
            return default
        return self.element(tag).value

    def add(self, tag: TagLike, vr: str, value: Any) -> DataElement:
        """Add or replace the element ``tag`` with an explicit VR."""
        if vr not in VRS:
            raise ValueError(f"unknown VR {vr!r}")
        elem = DataElement(_to_tag(tag), vr, coerce(vr, value))
        self._adopt(elem)
        self._elems[elem.tag] = elem
        return elem

    def _adopt(self, elem: DataElement) -> None:
        if elem.vr == "SQ" and isinstance(elem.value, list):
            for item in elem.value:
                if isinstance(item, Dataset):
                    object.__setattr__(item, "_parent", self)

    # --- keyword attributes --------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        tag = dictionary.tag_for(name) if name[:1].isupper() else None
        if tag is None:
            raise AttributeError(f"Dataset has no attribute {name!r}")
        elems = object.__getattribute__(self, "_elems")
        if tag not in elems:
            raise AttributeError(f"{name} {Tag(tag)} is not in the dataset")
        return self.element(tag).value

    def __setattr__(self, name: str, value: Any) -> None:
        if name in Dataset._STATE:
            object.__setattr__(self, name, value)
            return
        tag = dictionary.tag_for(name) if name[:1].isupper() else None
        if tag is None:
            if name[:1].isupper():
                raise AttributeError(f"{name!r} is not a DICOM keyword")
            object.__setattr__(self, name, value)
            return
        if tag in self._elems:
            elem = self.element(tag)
            elem.value = coerce(elem.vr, value)
            self._adopt(elem)
            return
        vr = dictionary.vr_of(tag)
        if " or " in vr:
            vr = self._resolve_vr(tag, vr)
        if vr == "NONE":
            raise AttributeError(f"{name} is a delimiter, not an element")
        self.add(tag, vr, value)

    def __delattr__(self, name: str) -> None:
        tag = dictionary.tag_for(name) if name[:1].isupper() else None
        if tag is not None and tag in self._elems:
            del self._elems[tag]
        elif tag is None:
            object.__delattr__(self, name)
        else:
            raise AttributeError(f"{name} is not in the dataset")

    def __dir__(self) -> list[str]:
        keywords = [dictionary.keyword_for(t) for t in self._elems]
        return sorted(set(super().__dir__()) | {k for k in keywords if k})

    # --- comparison, copies, display -----------------------------------------------------

    def __eq__(self, other: object) -> bool:
        """Equal when both hold the same tags with equal VRs and values."""
        if not isinstance(other, Dataset):
            return NotImplemented
        if self._elems.keys() != other._elems.keys():
            return False
        return all(self.element(t) == other.element(t) for t in self._elems)

    __hash__ = None  # type: ignore[assignment]

    def decode_all(self) -> "Dataset":
        """Decode every raw element, recursively (reading deferred values)."""
        for elem in self:
            if elem.vr == "SQ" and elem.value:
                for item in elem.value:
                    item.decode_all()
        return self

    def copy(self) -> "Dataset":
        import copy

        return copy.deepcopy(self)

    def __deepcopy__(self, memo: dict) -> "Dataset":
        import copy

        self.decode_all()
        new = Dataset()
        for key in Dataset._STATE[1:]:
            object.__setattr__(new, key, copy.deepcopy(getattr(self, key), memo))
        for tag, elem in self._elems.items():
            dup = DataElement(tag, elem.vr, copy.deepcopy(elem.value, memo),
                              undefined_length=elem.undefined_length)
            dup.inherit_read(elem)
            new._adopt(dup)
            new._elems[tag] = dup
        object.__setattr__(new, "_charsets", self._charsets)
        return new

    def walk(self) -> Iterator[tuple[int, DataElement]]:
        """Every element with its nesting depth, depth first."""
        yield from _walk(self, 0)

    def private_block(self, group: int, creator: str, create: bool = False) -> "PrivateBlock":
        """The block of private elements that ``creator`` reserves in ``group``.

        PS3.5 7.8.1: (gggg,00xx) holds a creator name and reserves (gggg,xx00-xxFF).
        """
        if not group & 1:
            raise ValueError(f"group {group:04X} is not private (odd)")
        free = None
        for element in range(0x10, 0x100):
            tag = group << 16 | element
            if tag in self._elems:
                if self.element(tag).value == creator:
                    return PrivateBlock(self, group, element)
            elif free is None:
                free = element
        if not create:
            raise KeyError(f"no private creator {creator!r} in group {group:04X}")
        if free is None:
            raise DicomError(f"group {group:04X} has no free private creator slot")
        self.add(group << 16 | free, "LO", creator)
        return PrivateBlock(self, group, free)

    def pixel_array(self, frame: Optional[int] = None, **kw: Any) -> Any:
        """The pixel data as a numpy array: ``dicomcore.codecs.pixels.pixel_array``."""
        # The single upward hook DESIGN's public API requires (``ds.pixel_array()``). The
        # module is looked up by name at call time, so the dataset layer imports nothing of
        # codecs (tests/test_layers.py) and ``import dicomcore`` never pulls in numpy.
        import importlib

        return importlib.import_module("dicomcore.codecs.pixels").pixel_array(self, frame, **kw)

    def set_pixel_array(self, array: Any, **kw: Any) -> "Dataset":
        """Store ``array`` as native pixel data: ``dicomcore.codecs.pixels.set_pixel_array``."""
        import importlib  # the same single upward hook as pixel_array()

        return importlib.import_module("dicomcore.codecs.pixels").set_pixel_array(self, array,
                                                                                  **kw)

    def __repr__(self) -> str:
        from .dump import format_dataset

        return format_dataset(self)


class PrivateBlock:
    """Access to (gggg,xxyy) elements of one private creator by their ``yy`` offset."""

    def __init__(self, ds: Dataset, group: int, block: int):
        self.dataset = ds
        self.group = group
        self.block = block

    def tag(self, offset: int) -> int:
        if not 0 <= offset <= 0xFF:
            raise ValueError("a private element offset is 0x00..0xFF")
        return self.group << 16 | self.block << 8 | offset

    def __getitem__(self, offset: int) -> DataElement:
        return self.dataset[self.tag(offset)]

    def __contains__(self, offset: int) -> bool:
        return self.tag(offset) in self.dataset

    def add(self, offset: int, vr: str, value: Any) -> DataElement:
        return self.dataset.add(self.tag(offset), vr, value)


def _walk(ds: Dataset, depth: int) -> Iterator[tuple[int, DataElement]]:
    for elem in ds:
        yield depth, elem
        if elem.vr == "SQ" and elem.value:
            for item in elem.value:
                yield from _walk(item, depth + 1)



def _to_tag(key: Any) -> int:
    if key.__class__ is int or isinstance(key, int):
        return key
    if isinstance(key, str):
        found = dictionary.tag_for(key)
        if found is not None:
            return found
    return int(Tag(key))
