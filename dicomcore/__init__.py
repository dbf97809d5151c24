"""dicomcore: a DICOM stack in pure Python.

``import dicomcore`` needs the standard library alone; numpy is imported only
when pixel arrays are asked for.
"""
from .errors import DicomError
from .dataset import DataElement, Dataset, Tag, read, write
from .dataset import dictionary
from .dataset import uid
from .dataset.uid import UID, generate_uid
from .dataset.valuerep import DS, IS, PersonName

__version__ = "0.1.0"

__all__ = ["DataElement", "Dataset", "DicomError", "DS", "IS", "PersonName", "Tag", "UID",
           "dictionary", "generate_uid", "read", "uid", "write", "__version__"]
