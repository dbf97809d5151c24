"""dicomcore: a DICOM stack in pure Python.

``import dicomcore`` needs the standard library alone; numpy is imported only
when pixel arrays are asked for.
"""
from typing import Any
from .errors import DicomError
from .dataset import DataElement, Dataset, Tag, dcmread, dcmwrite, read, write
from .dataset import dictionary
from .dataset import uid
from .dataset.part10 import set_pixel_encoder as _set_pixel_encoder
from .dataset.uid import UID, generate_uid
from .dataset.valuerep import DS, IS, PersonName

__version__ = "0.1.0"


def _transcode(ds: Dataset, ts: Any) -> Dataset:
    # write() re-encodes Pixel Data through this (the dataset layer may not import codecs);
    # imported on first use, as the codecs cost ~10 ms that ``import dicomcore`` need not pay.
    from .codecs.transcode import transcode

    return transcode(ds, ts)


_set_pixel_encoder(_transcode)


def __getattr__(name: str):
    # The network stack loads on first use: ``import dicomcore`` stays cheap for
    # users who only read files.
    if name in ("ApplicationEntity", "Association"):
        from . import ae

        return getattr(ae, name)
    if name == "pixel_array":  # pixel_array(ds, frame, convert_color=...): needs numpy
        from .codecs.pixels import pixel_array

        return pixel_array
    from .dataset.pydicom_names import missing_attribute

    raise missing_attribute("module 'dicomcore'", name)

__all__ = ["ApplicationEntity", "Association", "DataElement", "Dataset", "DicomError", "DS", "IS", "PersonName", "Tag", "UID",
           "dcmread", "dcmwrite", "dictionary", "generate_uid", "pixel_array", "read", "uid",
           "write", "__version__"]
