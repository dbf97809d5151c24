"""The dataset layer: tags, dictionary, VRs, elements, datasets, encodings, Part 10.

It imports nothing of dicomcore outside itself (and ``dicomcore.errors``).
"""
from .dataset import Dataset, PrivateBlock
from .element import DataElement
from .part10 import read, write
from .pydicom_api import dcmread, dcmwrite
from .tag import Tag
from .valuerep import DS, IS, PersonName

__all__ = ["Dataset", "DataElement", "PrivateBlock", "Tag", "DS", "IS", "PersonName", "read",
           "write", "dcmread", "dcmwrite"]
