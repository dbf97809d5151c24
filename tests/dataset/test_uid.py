"""The UID registry (uids.tsv), UID validity (PS3.5 9.1) and generate_uid (PS3.5 B.2)."""
from __future__ import annotations

import csv
import uuid
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dicomcore.dataset import uid
from dicomcore.dataset.uid import UID, generate_uid, is_valid_uid

# the registry, copied into the repository by tools/copy_standard.py
STANDARD = Path(__file__).resolve().parents[1] / "data" / "standard"
REGISTRY_ROWS = 482  # uids.tsv: 484 lines - 1 comment - 1 header
STORAGE_CLASSES = 184  # non-retired "... Storage" SOP classes, less DICOMDIR (see uid.py)


def test_registry_count():
    assert len(uid.REGISTRY) == REGISTRY_ROWS


def test_registry_matches_tsv():
    with (STANDARD / "uids.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader([line for line in f if not line.startswith("#")],
                                   delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(rows) == REGISTRY_ROWS
    for row in rows:
        info = uid.REGISTRY[row["uid"]]
        assert info == (row["name"], row["type"], row["keyword"], row["retired"] == "Y", row["info"])


@pytest.mark.parametrize("value, name, keyword, kind, retired", [
    ("1.2.840.10008.1.1", "Verification SOP Class", "Verification", "SOP Class", False),
    ("1.2.840.10008.1.2", "Implicit VR Little Endian", "ImplicitVRLittleEndian", "Transfer Syntax", False),
    ("1.2.840.10008.1.2.2", "Explicit VR Big Endian", "ExplicitVRBigEndian", "Transfer Syntax", True),
    ("1.2.840.10008.5.1.4.1.1.2", "CT Image Storage", "CTImageStorage", "SOP Class", False),
    ("1.2.840.10008.5.1.4.1.1.7", "Secondary Capture Image Storage", "SecondaryCaptureImageStorage",
     "SOP Class", False),
    ("1.2.840.10008.5.1.4.1.2.2.1", "Study Root Query/Retrieve Information Model - FIND",
     "StudyRootQueryRetrieveInformationModelFind", "SOP Class", False),
    ("1.2.840.10008.3.1.1.1", "DICOM Application Context Name", "DICOMApplicationContext",
     "Application Context Name", False),
    ("1.2.840.10008.1.20.1", "Storage Commitment Push Model SOP Class", "StorageCommitmentPushModel",
     "SOP Class", False),
    ("1.2.840.10008.15.1.1", "Universal Coordinated Time", "UTC", "Synchronization Frame of Reference", False),
])
def test_known_uids(value, name, keyword, kind, retired):
    u = UID(value)
    assert (u.name, u.keyword, u.type, u.is_retired) == (name, keyword, kind, retired)
    assert u.is_transfer_syntax is (kind == "Transfer Syntax")
    assert uid.uid_for(keyword) == value
    assert uid.keyword_for(value) == keyword


def test_unknown_uid():
    u = UID("1.2.3.4")
    assert (u.info, u.name, u.keyword, u.type, u.is_retired, u.is_transfer_syntax, u.is_storage) == (
        None, "", "", "", False, False, False)
    assert uid.keyword_for("1.2.3.4") == ""
    assert uid.uid_for("NoSuchKeyword") is None


def test_uid_is_a_plain_string():
    u = UID("1.2.840.10008.1.1")
    assert u == "1.2.840.10008.1.1" and hash(u) == hash("1.2.840.10008.1.1")
    assert {u: 1}["1.2.840.10008.1.1"] == 1
    assert isinstance(uid.uid_for("Verification"), UID)


def test_every_registered_uid_is_valid_and_keywords_round_trip():
    for value, info in uid.REGISTRY.items():
        assert is_valid_uid(value), value
        if info.keyword:
            assert uid.uid_for(info.keyword) == value


@pytest.mark.parametrize("text, valid", [
    ("1.2.840.10008.1.2", True),
    ("0", True),
    ("2.25.0", True),
    ("1.2.10", True),
    ("1." + "2" * 62, True),  # 64 characters
    ("1." + "2" * 63, False),  # 65
    ("", False),
    (".", False),
    ("1..2", False),
    ("1.2.", False),
    (".1.2", False),
    ("1.02", False),  # PS3.5 9.1: no leading zero
    ("01.2", False),
    ("1.2.840.10008.1.2\x00", False),  # padding is not part of the UID
    ("1.2 ", False),
    ("1.2.a", False),
    ("1.-2", False),
    ("1.\u0662", False),  # ARABIC-INDIC DIGIT TWO: isdigit() but not 0-9
])
def test_validity(text, valid):
    assert is_valid_uid(text) is valid
    assert UID(text).is_valid is valid


def test_generate_uid_defaults_to_uuid_form():
    made = {generate_uid() for _ in range(1000)}
    assert len(made) == 1000
    for u in made:
        assert isinstance(u, UID) and u.is_valid and u.startswith("2.25.")
        assert len(u) <= 44  # "2.25." + at most 39 digits of a 128-bit integer
        assert uuid.UUID(int=int(u[5:])).version == 4


def test_generate_uid_entropy_is_deterministic():
    a = generate_uid(entropy=["study", "1.2.3"])
    assert a == generate_uid(entropy=["study", "1.2.3"])
    assert a != generate_uid(entropy=["stud", "y1.2.3"])  # parts are kept apart
    assert a.is_valid and uuid.UUID(int=int(a[5:])).version == 5
    assert generate_uid(entropy="x") == generate_uid(entropy=["x"])


def test_generate_uid_with_custom_root():
    u = generate_uid("1.2.826.0.1.3680043.")
    assert u.startswith("1.2.826.0.1.3680043.") and len(u) == 64 and u.is_valid
    assert generate_uid("1.2.3.", entropy=["a"]) == generate_uid("1.2.3.", entropy=["a"])
    assert generate_uid("1.2.3.") != generate_uid("1.2.3.")


@pytest.mark.parametrize("prefix", ["1.2.3", "1.02.", ".", "1..2.", "1.2.a.", "1." + "2" * 43 + "."])
def test_generate_uid_rejects_bad_roots(prefix):
    with pytest.raises(ValueError):
        generate_uid(prefix)


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=6),
       st.none() | st.lists(st.text(), max_size=3))
def test_generated_uids_are_valid(components, entropy):
    prefix = ".".join(map(str, components)) + "."
    assume(len(prefix) <= 44)
    u = generate_uid(prefix, entropy=entropy)
    assert u.is_valid and u.startswith(prefix) and len(u) <= 64


def test_implementation_identity():
    assert uid.IMPLEMENTATION_CLASS_UID == f"2.25.{uuid.UUID(uid.DICOMCORE_UUID).int}"
    assert uid.IMPLEMENTATION_CLASS_UID.is_valid
    name = uid.IMPLEMENTATION_VERSION_NAME
    assert 1 <= len(name) <= 16 and name.isascii() and name.isprintable() and "\\" not in name


def test_storage_sop_classes():
    classes = uid.STORAGE_SOP_CLASSES
    assert len(classes) == len(set(classes)) == STORAGE_CLASSES
    for u in classes:
        assert u.type == "SOP Class" and not u.is_retired and "Storage" in u.name and u.is_storage
    for keyword in ["CTImageStorage", "MRImageStorage", "SecondaryCaptureImageStorage",
                    "EnhancedCTImageStorage", "DigitalXRayImageStorageForPresentation",
                    "BreastProjectionXRayImageStorageForProcessing", "EncapsulatedPDFStorage",
                    "BasicTextSRStorage", "RTPlanStorage", "UltrasoundImageStorage",
                    "HangingProtocolStorage", "ColorPaletteStorage", "GenericImplantTemplateStorage"]:
        assert uid.uid_for(keyword) in classes, keyword
    for keyword in ["StorageCommitmentPushModel", "MediaStorageDirectoryStorage", "Storage",
                    "UltrasoundImageStorageRetired", "StandaloneOverlayStorage", "Verification"]:
        found = uid.uid_for(keyword)
        assert found is not None and found not in classes and not found.is_storage, keyword
