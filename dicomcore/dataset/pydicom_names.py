"""pydicom spellings that dicomcore spells differently: each names the dicomcore way.

Where pydicom and dicomcore do the same thing under the same name (``keys()``,
``save_as()``, ``elem.VR``, ``ds.pixel_array``...) the name simply works; this
table holds the rest, the names a pydicom user types whose behaviour dicomcore
has under another spelling (or not at all), so the AttributeError says what to
type instead of only what is missing.  Pure data: no imports, cheap to load.
"""
from __future__ import annotations

_TS = "ds.transfer_syntax"  # the syntax a dataset was read in (None if made in memory)

DATASET = {
    "dir": "dir(ds), or [elem.keyword for elem in ds] for the keywords alone",
    "data_element": "ds[keyword] or ds.element(keyword)",
    "iterall": "ds.walk(), which yields (depth, element) pairs",
    "elements": "iter(ds) or ds.values() (deferred values stay unread)",
    "get_item": "ds[tag] (a deferred value is read only by .value)",
    "decompress": "dicomcore.codecs.transcode.transcode(ds, uid), or "
                  "`dicomcore convert IN OUT --ts explicit`",
    "compress": "dicomcore.codecs.transcode.transcode(ds, uid), or "
                "`dicomcore convert IN OUT --ts rle`",
    "convert_pixel_data": "ds.pixel_array, or dicomcore.codecs.pixels.pixel_array(ds, frame, "
                          "convert_color=True)",
    "pixel_array_options": "dicomcore.codecs.pixels.pixel_array(ds, frame, max_bytes=..., "
                           "convert_color=...)",
    "set_pixel_data": "ds.set_pixel_array(array, photometric=...)",
    "overlay_array": "dicomcore has no overlay decoder: ds.OverlayData holds the bits",
    "waveform_array": "dicomcore has no waveform decoder: ds.WaveformSequence holds the data",
    "ensure_file_meta": "nothing: dicomcore.write() makes a fresh File Meta Information "
                        "(dicomcore.dataset.part10.make_file_meta(ds, ts))",
    "is_little_endian": f"{_TS}.little_endian",
    "is_implicit_VR": f"not {_TS}.explicit_vr",
    "read_little_endian": f"{_TS}.little_endian",
    "read_implicit_vr": f"not {_TS}.explicit_vr",
    "read_encoding": f"{_TS} and ds.SpecificCharacterSet",
    "original_encoding": f"{_TS} and ds.SpecificCharacterSet",
    "is_original_encoding": f"{_TS} (dicomcore.write() keeps it unless given another)",
    "set_original_encoding": "dicomcore.write(path, ds, transfer_syntax=uid)",
    "original_character_set": "ds.SpecificCharacterSet",
    "add_new_private": "ds.private_block(group, creator, create=True).add(offset, vr, value)",
    "get_private_item": "ds.private_block(group, creator)[offset]",
    "private_creators": "[e.value for e in ds if e.tag.is_private_creator and e.tag.group == g]",
    "remove_private_tags": "for tag in [t for t in ds.tags() if t >> 16 & 1]: del ds[tag]",
    "group_dataset": "[e for e in ds if e.tag.group == group]",
    "formatted_lines": "repr(ds).splitlines(), or dicomcore.dataset.dump.format_dataset(ds)",
    "top": "repr(ds) (dicomcore.dataset.dump.format_dataset)",
    "decode": "ds.decode_all() (text is decoded with its Specific Character Set on access)",
    "update_raw_element": "ds.add(tag, vr, value)",
    "popitem": "ds.pop(tag)",
    "trait_names": "dir(ds)",
    "default_element_format": "dicomcore.dataset.dump.format_dataset(ds)",
    "default_sequence_element_format": "dicomcore.dataset.dump.format_dataset(ds)",
    "indent_chars": "dicomcore.dataset.dump.format_dataset(ds, indent=n)",
    "timestamp": "os.stat(ds.filename).st_mtime",
    "fileobj_type": "ds.filename",
    "is_decompressed": f"not {_TS}.encapsulated",
}

ELEMENT = {
    "repval": "repr(elem), or dicomcore.dataset.dump.format_dataset(ds) for dcmdump lines",
    "is_raw": "isinstance(elem, dicomcore.dataset.element.DeferredElement) and not "
              "elem.is_loaded (raw values are decoded before an element is handed out)",
    "is_buffered": "nothing: dicomcore defers values with read(path, defer_size=n)",
    "empty_value": "dicomcore.dataset.vr.empty_value(elem.vr)",
    "clear": "elem.value = dicomcore.dataset.vr.empty_value(elem.vr)",
    "validate": "dicomcore.dataset.vr.encode_value(elem.vr, elem.value), which raises "
                "EncodeError naming what is wrong",
    "to_json": "dicomcore.dataset.json.to_json(ds)",
    "to_json_dict": "dicomcore.dataset.json.to_json_dict(ds)",
    "from_json": "dicomcore.Dataset.from_json(text)",
    "showVR": "dicomcore.dataset.dump.format_dataset(ds)",
    "descripWidth": "dicomcore.dataset.dump.format_dataset(ds)",
    "maxBytesToDisplay": "dicomcore.dataset.dump.format_dataset(ds)",
    "is_undefined_length": "elem.undefined_length",
    "file_tell": "elem.offset",
    "private_creator": "ds[dicomcore.dictionary.private_block(elem.tag)].value",
}

UID = {
    "is_little_endian": "dicomcore.dataset.transfer_syntax.get(uid).little_endian",
    "is_implicit_VR": "not dicomcore.dataset.transfer_syntax.get(uid).explicit_vr",
    "is_deflated": "dicomcore.dataset.transfer_syntax.get(uid).deflated",
    "is_encapsulated": "dicomcore.dataset.transfer_syntax.get(uid).encapsulated",
    "is_compressed": "dicomcore.dataset.transfer_syntax.get(uid).encapsulated",
    "is_private": "uid.info is None (not in the PS3.6 registry)",
    "set_private_encoding": "dicomcore.write(path, ds, transfer_syntax=uid)",
}

MODULE = {
    "FileDataset": "dicomcore.Dataset (a read one has .file_meta, .filename, .preamble)",
    "FileMetaDataset": "dicomcore.Dataset (ds.file_meta is one)",
    "Sequence": "a list of dicomcore.Dataset (ds.SomeSequence = [item, ...])",
    "datadict": "dicomcore.dictionary",
    "config": "nothing: dicomcore has no process-wide switches, options are arguments "
              "(read(path, defer_size=..., stop_before_pixels=...))",
    "filereader": "dicomcore.read / dicomcore.dataset.part10",
    "filewriter": "dicomcore.write / dicomcore.dataset.part10",
    "examples": "tests/data/ct_small.dcm in the dicomcore repository",
    "iter_pixels": "dicomcore.codecs.pixels.pixel_array(ds, frame) for each frame",
    "Tag": "dicomcore.Tag",
    # pydicom's modules, by what they hold
    "charset": "dicomcore.dataset.charset",
    "dataelem": "dicomcore.dataset.element (DataElement, DeferredElement)",
    "encaps": "dicomcore.codecs.encapsulation",
    "jsonrep": "dicomcore.dataset.json",
    "pixels": "dicomcore.codecs.pixels",
    "pixel_data_handlers": "dicomcore.codecs (pixels, rle, transcode)",
    "sequence": "a list of dicomcore.Dataset",
    "tag": "dicomcore.dataset.tag",
    "valuerep": "dicomcore.dataset.valuerep",
    "values": "dicomcore.dataset.vr (decode_value, encode_value)",
    "multival": "a list of values (ds.ImageType == ['ORIGINAL', 'PRIMARY'])",
    "filebase": "dicomcore.read / dicomcore.write, which take paths and binary files",
    "fileutil": "dicomcore.dataset.part10",
    "misc": "dicomcore.dataset.part10 (sniff_transfer_syntax)",
    "util": "dicomcore.dataset (dictionary, dump), dicomcore.fuzz",
    "hooks": "nothing: values are decoded by dicomcore.dataset.vr, one table",
    "data": "tests/data/ct_small.dcm in the dicomcore repository",
    "waveforms": "dicomcore has no waveform decoder: ds.WaveformSequence holds the data",
    "pydicom": "dicomcore",
}

_TABLES = {"Dataset": DATASET, "DataElement": ELEMENT, "DeferredElement": ELEMENT,
           "UID": UID, "module 'dicomcore'": MODULE}


class Spelling:
    """A class attribute standing for a pydicom name: reading it raises the
    AttributeError that names dicomcore's spelling.

    A descriptor rather than ``__getattr__``: a class with ``__getattr__`` loses
    CPython's fast attribute look-ups for every attribute (``elem.value`` costs
    four to six times as much), and elements are read in the hot loop.
    """

    def __init__(self, owner: str, name: str):
        self.owner = owner
        self.name = name

    def __get__(self, obj: object, objtype: type | None = None) -> object:
        if obj is None:
            return self
        raise missing_attribute(self.owner, self.name)


def install(cls: type, owner: str) -> None:
    """Give ``cls`` a Spelling for each name of its table it does not have itself."""
    for name in _TABLES[owner]:
        if not hasattr(cls, name):
            setattr(cls, name, Spelling(owner, name))


def missing_attribute(owner: str, name: str) -> AttributeError:
    """The AttributeError for ``owner.name``: with the dicomcore spelling if pydicom
    users type ``name`` for something dicomcore does otherwise."""
    spelling = _TABLES.get(owner, {}).get(name)
    where = owner if owner.startswith("module") else f"{owner!r} object"
    if spelling is None:
        return AttributeError(f"{where} has no attribute {name!r}")
    return AttributeError(f"{where} has no attribute {name!r} (pydicom's spelling); in "
                          f"dicomcore: {spelling}")
