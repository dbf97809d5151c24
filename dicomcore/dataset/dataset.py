"""Dataset: an ordered container of data elements, nothing more.

Reading, writing, JSON and pixels live in their own modules; a Dataset only
stores elements by tag, decodes raw ones when first touched, and offers the
look-ups users expect (``ds.PatientName``, ``ds["PatientName"]``,
``ds[0x00100010]``, ``ds[(0x0010, 0x0010)]``, ``in``, ``del``, iteration in
tag order) and the mapping methods.

Rules: only ``.value`` (or a call that needs the bytes: equality, encoding,
JSON, pixels) reads a deferred value; iterating, ``ds[tag]``, ``in``,
``len()``, ``keys()``, dumps and copies hand out or carry DeferredElements.
``len()``, ``in`` and ``keys()`` decode nothing at all.  The pydicom spellings
(``save_as``, ``to_json``, ``pixel_array``...) are thin calls into the modules
that do the work (part10, json, codecs), imported when called since those
modules import this one.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

from ..errors import DicomError
from . import dictionary
from .element import DataElement, DeferredElement, RawElement
from .pydicom_names import DATASET as _PYDICOM_SPELLINGS, missing_attribute
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
            found = self._decode_raw(found) if found.value is not None else self._defer(found)
        return found

    def _defer(self, raw: RawElement) -> DeferredElement:
        """The element of a value still in the file, held in its place: not read."""
        vr = raw.vr
        if " or " in vr:
            vr = self._resolve_vr(raw.tag, vr)
        elem = DeferredElement(raw, vr, self)
        self._elems[raw.tag] = elem
        return elem

    def _decode_detached(self, raw: RawElement) -> DataElement:
        """``raw`` decoded as this dataset decodes its own raw elements, leaving whatever
        holds the tag in place (a DeferredElement loading its value, or one popped)."""
        elems = self._elems
        held = elems.get(raw.tag)
        decoded = self._decode_raw(raw)
        if held is None:
            del elems[raw.tag]
        else:
            elems[raw.tag] = held
        return decoded

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

    # --- the mapping methods (as pydicom and dict have them) ------------------------------

    def keys(self) -> list[Tag]:
        """The tags, ascending (nothing is decoded)."""
        return [Tag(t) for t in sorted(self._elems)]

    def values(self) -> list[DataElement]:
        """The elements in tag order (deferred values stay in the file)."""
        return list(self)

    def items(self) -> list[tuple[Tag, DataElement]]:
        """(tag, element) pairs in tag order (deferred values stay in the file)."""
        return [(elem.tag, elem) for elem in self]

    def pop(self, key: TagLike, *default: Any) -> Any:
        """Remove the element ``key`` and return it (``default`` if given and absent)."""
        if len(default) > 1:
            raise TypeError(f"pop expected at most 2 arguments, got {1 + len(default)}")
        try:
            tag = _to_tag(key)
        except (ValueError, TypeError):
            tag = None
        if tag is None or tag not in self._elems:
            if default:
                return default[0]
            raise KeyError(key)
        elem = self.element(tag)
        del self._elems[tag]
        return elem

    def setdefault(self, key: TagLike, default: Any = None) -> DataElement:
        """The element ``key``; if absent, first add ``default`` (a DataElement, or a
        value given the dictionary's VR), as pydicom does."""
        tag = _to_tag(key)
        if tag in self._elems:
            return self.element(tag)
        if isinstance(default, DataElement):
            self[tag] = default
            return default
        return self.add(tag, self._new_vr(tag, key), default)

    def update(self, other: Any = (), **values: Any) -> None:
        """Set elements from a Dataset (its elements, deferred ones unread) or from a
        mapping or keyword arguments of keyword/tag -> value or DataElement."""
        pairs = other.items() if hasattr(other, "items") else other
        for key, value in [*pairs, *values.items()]:
            tag = _to_tag(key)
            if isinstance(value, DataElement):
                self[tag] = value
            else:
                self._set_value(tag, key, value)

    def clear(self) -> None:
        """Remove every element."""
        self._elems.clear()

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

    add_new = add  # pydicom's spelling: add_new(tag, VR, value)

    def _adopt(self, elem: DataElement) -> None:
        if elem.vr == "SQ" and isinstance(elem.value, list):
            for item in elem.value:
                if isinstance(item, Dataset):
                    object.__setattr__(item, "_parent", self)

    # --- keyword attributes --------------------------------------------------------------

    # Any registry keyword is an attribute, whatever its case (PS3.6 has "dBdt"); other
    # names are Python attributes, except pydicom spellings, which name dicomcore's.

    def __getattr__(self, name: str) -> Any:
        tag = dictionary.tag_for(name)
        if tag is None:
            raise missing_attribute("Dataset", name)
        elems = object.__getattribute__(self, "_elems")
        if tag not in elems:
            raise AttributeError(f"{name} {Tag(tag)} is not in the dataset")
        return self.element(tag).value

    def __setattr__(self, name: str, value: Any) -> None:
        if name in Dataset._STATE:
            object.__setattr__(self, name, value)
            return
        tag = dictionary.tag_for(name)
        if tag is None:
            if name[:1].isupper():
                raise AttributeError(f"{name!r} is not a DICOM keyword")
            if name in _PYDICOM_SPELLINGS:  # e.g. ds.is_little_endian = ...: no effect here
                raise missing_attribute("Dataset", name)
            object.__setattr__(self, name, value)
            return
        self._set_value(tag, name, value)

    def _set_value(self, tag: int, key: Any, value: Any) -> None:
        """Set the value of ``tag``, adding it with the dictionary's VR if absent."""
        if tag in self._elems:
            elem = self.element(tag)
            elem.value = coerce(elem.vr, value)
            self._adopt(elem)
            return
        self.add(tag, self._new_vr(tag, key), value)

    def _new_vr(self, tag: int, key: Any) -> str:
        vr = dictionary.vr_of(tag)
        if " or " in vr:
            vr = self._resolve_vr(tag, vr)
        if vr == "NONE":
            raise AttributeError(f"{key} is a delimiter, not an element")
        return vr

    def __delattr__(self, name: str) -> None:
        tag = dictionary.tag_for(name)
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
            value = elem.value  # a DeferredElement reads its value here
            if elem.vr == "SQ" and value:
                for item in value:
                    item.decode_all()
        return self

    def copy(self) -> "Dataset":
        import copy

        return copy.deepcopy(self)

    def __deepcopy__(self, memo: dict) -> "Dataset":
        import copy

        new = Dataset()
        for key in Dataset._STATE[1:]:
            object.__setattr__(new, key, copy.deepcopy(getattr(self, key), memo))
        object.__setattr__(new, "_charsets", self._charsets)
        for tag, elem in self._elems.items():
            if elem.__class__ is DeferredElement:
                elem = elem.raw_for(self._little, self._charsets) or elem
            if elem.__class__ is RawElement:
                # Raw bytes (or a value still in the file) are never changed in place:
                # the copy shares them, decoding (reading) them only when touched.
                new._elems[tag] = elem
                continue
            dup = DataElement(tag, elem.vr, copy.deepcopy(elem.value, memo),
                              undefined_length=elem.undefined_length)
            dup.inherit_read(elem)
            new._adopt(dup)
            new._elems[tag] = dup
        return new

    def walk(self, callback: Optional[Callable[["Dataset", DataElement], Any]] = None,
             recursive: bool = True) -> Optional[Iterator[tuple[int, DataElement]]]:
        """Every element with its nesting depth, depth first: ``for depth, elem in
        ds.walk()``.  Given a ``callback(dataset, elem)`` (pydicom's form), calls it for
        each element instead, items of sequences too unless ``recursive`` is False."""
        if callback is None:
            return _walk(self, 0)
        for tag in self.tags():
            if tag not in self._elems:  # the callback deleted it
                continue
            elem = self.element(tag)
            callback(self, elem)
            if recursive and tag in self._elems and elem.vr == "SQ":
                for item in elem.value or []:
                    item.walk(callback)
        return None

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

    @property
    def pixel_array(self) -> Any:
        """The pixel data as a numpy array, every frame, as pydicom's ``ds.pixel_array``.

        One frame, colour conversion, a memory limit:
        ``dicomcore.codecs.pixels.pixel_array(ds, frame, convert_color=..., max_bytes=...)``.
        """
        try:
            return _pixels().pixel_array(self)
        except AttributeError as exc:  # would be taken for "no attribute pixel_array"
            raise DicomError(f"pixel_array failed: {exc}") from exc

    def set_pixel_array(self, array: Any, **kw: Any) -> "Dataset":
        """Store ``array`` as native pixel data: ``dicomcore.codecs.pixels.set_pixel_array``."""
        return _pixels().set_pixel_array(self, array, **kw)

    # --- pydicom's spellings of reading and writing ----------------------------------------

    def save_as(self, filename: Any, /, **kw: Any) -> None:
        """Write a Part 10 file, pydicom's keywords taken: ``dicomcore.dcmwrite``."""
        from .pydicom_api import dcmwrite

        dcmwrite(filename, self, **kw)

    def to_json(self, **kw: Any) -> str:
        """DICOM JSON text (PS3.18 F): ``dicomcore.dataset.json.to_json``."""
        from .json import to_json

        return to_json(self, **kw)

    def to_json_dict(self, **kw: Any) -> dict:
        """The DICOM JSON Model object: ``dicomcore.dataset.json.to_json_dict``."""
        from .json import to_json_dict

        return to_json_dict(self, **kw)

    @staticmethod
    def from_json(text: Any, **kw: Any) -> "Dataset":
        """A Dataset from DICOM JSON text, bytes or an already parsed object
        (``dicomcore.dataset.json.from_json``/``from_json_dict``)."""
        from .json import from_json, from_json_dict

        return from_json_dict(text, **kw) if isinstance(text, dict) else from_json(text, **kw)

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


def _pixels() -> Any:
    # The single upward hook DESIGN's public API requires (``ds.pixel_array``). The module
    # is looked up by name at call time, so the dataset layer imports nothing of codecs
    # (tests/test_layers.py) and ``import dicomcore`` never pulls in numpy.
    import importlib

    return importlib.import_module("dicomcore.codecs.pixels")


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
