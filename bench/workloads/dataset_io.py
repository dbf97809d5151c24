"""Reading and writing CT-like files: dicomcore beside pydicom.

1,000 files of 512x512 16-bit pixels and ~100 elements with a nested
sequence.  Reading accesses every value (so lazy decoding earns nothing it
would not earn a real user); writing writes datasets whose every value was
accessed, each to a file on disk.
"""
from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import dicomcore

from ..harness import Contender, Result, measure

DATA = Path(__file__).resolve().parents[1] / "data" / "ct"


def _template() -> dicomcore.Dataset:
    ds = dicomcore.Dataset()
    text = {
        "SpecificCharacterSet": "ISO_IR 100", "ImageType": ["ORIGINAL", "PRIMARY", "AXIAL"],
        "SOPClassUID": "1.2.840.10008.5.1.4.1.1.2", "StudyDate": "20261125",
        "SeriesDate": "20261125", "AcquisitionDate": "20261125", "ContentDate": "20261125",
        "StudyTime": "101010.123", "SeriesTime": "101011", "AcquisitionTime": "101012.5",
        "ContentTime": "101013", "AccessionNumber": "A123456", "Modality": "CT",
        "Manufacturer": "ACME Medical", "InstitutionName": "General Hospital",
        "InstitutionAddress": "1 Main Street", "ReferringPhysicianName": "Smith^John^^Dr",
        "StationName": "CT01", "StudyDescription": "CT CHEST W/O CONTRAST",
        "SeriesDescription": "AXIAL 1.25mm", "InstitutionalDepartmentName": "Radiology",
        "OperatorsName": "Tech^Tina", "ManufacturerModelName": "Scanner 9000",
        "PatientName": "Müller^Jürgen", "PatientID": "PID0001", "PatientBirthDate": "19600101",
        "PatientSex": "M", "PatientAge": "066Y", "PatientSize": "1.80", "PatientWeight": "82.5",
        "BodyPartExamined": "CHEST", "ScanOptions": "HELICAL MODE", "SliceThickness": "1.25",
        "KVP": "120", "DataCollectionDiameter": "500", "DeviceSerialNumber": "SN0042",
        "SoftwareVersions": ["1.0", "2.3"], "ProtocolName": "CHEST ROUTINE",
        "ReconstructionDiameter": "350", "DistanceSourceToDetector": "1085.6",
        "DistanceSourceToPatient": "595", "GantryDetectorTilt": "0", "TableHeight": "160",
        "RotationDirection": "CW", "ExposureTime": "500", "XRayTubeCurrent": "300",
        "Exposure": "150", "FilterType": "BODY FILTER", "GeneratorPower": "36",
        "FocalSpots": "1.2", "ConvolutionKernel": "STANDARD", "PatientPosition": "FFS",
        "RevolutionTime": "0.5", "SingleCollimationWidth": "0.625",
        "TotalCollimationWidth": "40", "TableSpeed": "78.75", "TableFeedPerRotation": "39.375",
        "SpiralPitchFactor": "0.984375", "StudyID": "S1", "SeriesNumber": "3",
        "AcquisitionNumber": "1", "ImagePositionPatient": ["-175", "-175", "-120.5"],
        "ImageOrientationPatient": ["1", "0", "0", "0", "1", "0"],
        "FrameOfReferenceUID": "1.2.826.0.1.3680043.10.1078.77",
        "PositionReferenceIndicator": "SN", "SliceLocation": "-120.5",
        "SamplesPerPixel": 1, "PhotometricInterpretation": "MONOCHROME2", "Rows": 512,
        "Columns": 512, "PixelSpacing": ["0.68359375", "0.68359375"], "BitsAllocated": 16,
        "BitsStored": 12, "HighBit": 11, "PixelRepresentation": 1,
        "WindowCenter": ["40", "-600"], "WindowWidth": ["400", "1600"],
        "RescaleIntercept": "-1024", "RescaleSlope": "1", "RescaleType": "HU",
        "LossyImageCompression": "00", "StudyInstanceUID": "1.2.826.0.1.3680043.10.1078.1",
        "SeriesInstanceUID": "1.2.826.0.1.3680043.10.1078.2", "InstanceNumber": "1",
        "PatientOrientation": ["L", "P"], "ImagesInAcquisition": "300",
        "ImageComments": "benchmark image", "RequestedProcedureDescription": "CT CHEST",
        "PerformedProcedureStepDescription": "CT CHEST", "PerformedProcedureStepID": "PPS1",
        "PerformedProcedureStepStartDate": "20261125", "PerformedProcedureStepStartTime": "1010",
        "CTDIvol": 12.5, "EstimatedDoseSaving": 10.0, "DataCollectionCenterPatient": [0.0, 0.0, 0.0],
        "ReconstructionTargetCenterPatient": [0.0, 0.0, 0.0], "SmallestImagePixelValue": 0,
        "LargestImagePixelValue": 4095, "IrradiationEventUID": "1.2.826.0.1.3680043.10.1078.9",
        "AcquisitionNumber": "1", "TimezoneOffsetFromUTC": "+0100",
    }
    for keyword, value in text.items():
        vr = dicomcore.dictionary.vr_of(dicomcore.dictionary.tag_for(keyword))
        if vr in ("FD", "FL") and isinstance(value, str):
            value = float(value)
        setattr(ds, keyword, value)
    items = []
    for n in range(2):
        item = dicomcore.Dataset()
        item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        item.ReferencedSOPInstanceUID = f"1.2.826.0.1.3680043.10.1078.5.{n}"
        items.append(item)
    ds.ReferencedImageSequence = items
    code = dicomcore.Dataset()
    code.CodeValue = "T-D3000"
    code.CodingSchemeDesignator = "SRT"
    code.CodeMeaning = "Chest"
    ds.AnatomicRegionSequence = [code]
    return ds


def make_files(count: int) -> list[Path]:
    folder = DATA / str(count)
    files = sorted(folder.glob("*.dcm")) if folder.exists() else []
    if len(files) == count:
        return files
    folder.mkdir(parents=True, exist_ok=True)
    ds = _template()
    rng = random.Random(7)
    pixels = bytes(rng.getrandbits(8) & 0x0F if i & 1 else rng.getrandbits(8)
                   for i in range(512 * 512 * 2))
    ds.PixelData = pixels
    files = []
    for n in range(count):
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.10.1078.3.{n}"
        ds.InstanceNumber = str(n + 1)
        path = folder / f"ct{n:05d}.dcm"
        dicomcore.write(path, ds)
        files.append(path)
    return files


def run(quick: bool = False) -> list[Result]:
    import pydicom

    count = 100 if quick else 1000
    files = make_files(count)
    out = Path(tempfile.mkdtemp(prefix="dicomcore-bench-"))

    def read_dicomcore() -> int:
        for path in files:
            ds = dicomcore.read(path)
            for _depth, elem in ds.walk():
                elem.value
        return len(files)

    def read_pydicom() -> int:
        for path in files:
            ds = pydicom.dcmread(path)
            for elem in ds.iterall():
                elem.value
        return len(files)

    ours = [dicomcore.read(p).decode_all() for p in files]
    theirs = []
    for p in files:
        ds = pydicom.dcmread(p)
        for elem in ds.iterall():
            elem.value
        theirs.append(ds)

    def write_dicomcore() -> int:
        for n, ds in enumerate(ours):
            dicomcore.write(out / f"a{n}.dcm", ds)
        return len(ours)

    def write_pydicom() -> int:
        for n, ds in enumerate(theirs):
            ds.save_as(out / f"b{n}.dcm", enforce_file_format=True)
        return len(theirs)

    repeats = 3 if quick else 5
    reading = measure(f"read {count} CT files, every value accessed", "files",
                      [Contender("dicomcore", read_dicomcore),
                       Contender(f"pydicom {pydicom.__version__}", read_pydicom)], repeats)
    writing = measure(f"write {count} CT files", "files",
                      [Contender("dicomcore", write_dicomcore),
                       Contender(f"pydicom {pydicom.__version__}", write_pydicom)], repeats)
    for path in out.iterdir():
        os.unlink(path)
    out.rmdir()
    return [reading, writing]
