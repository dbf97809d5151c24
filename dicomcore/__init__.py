"""dicomcore: a DICOM stack in pure Python.

``import dicomcore`` needs the standard library alone; numpy is imported only
when pixel arrays are asked for.
"""
from .errors import DicomError
from .dataset import DataElement, Dataset, Tag, dcmread, dcmwrite, read, write
from .dataset import dictionary
from .dataset import uid
from .dataset.uid import UID, generate_uid
from .dataset.valuerep import DS, IS, PersonName

__version__ = "0.1.0"


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
