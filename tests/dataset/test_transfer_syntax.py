"""Transfer syntax flags (PS3.5 10, Annex A) for every registered syntax."""
from __future__ import annotations

import pytest

from dicomcore.errors import DicomError
from dicomcore.dataset import transfer_syntax as ts
from dicomcore.dataset.uid import REGISTRY

REGISTERED = 59  # "Transfer Syntax" rows of uids.tsv

#                                     little explicit deflated encaps lossless retired
FLAGS = {
    "1.2.840.10008.1.2":           (True,  False, False, False, True,  False),
    "1.2.840.10008.1.2.1":         (True,  True,  False, False, True,  False),
    "1.2.840.10008.1.2.1.99":      (True,  True,  True,  False, True,  False),
    "1.2.840.10008.1.2.2":         (False, True,  False, False, True,  True),
    "1.2.840.10008.1.20":          (True,  False, False, False, True,  True),   # Papyrus 3
    "1.2.840.10008.1.2.1.98":      (True,  True,  False, True,  True,  False),  # Encapsulated Uncompressed
    "1.2.840.10008.1.2.5":         (True,  True,  False, True,  True,  False),  # RLE Lossless
    "1.2.840.10008.1.2.4.50":      (True,  True,  False, True,  False, False),  # JPEG Baseline
    "1.2.840.10008.1.2.4.51":      (True,  True,  False, True,  False, False),
    "1.2.840.10008.1.2.4.57":      (True,  True,  False, True,  True,  False),  # JPEG Lossless P14
    "1.2.840.10008.1.2.4.70":      (True,  True,  False, True,  True,  False),  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80":      (True,  True,  False, True,  True,  False),  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81":      (True,  True,  False, True,  False, False),  # JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.90":      (True,  True,  False, True,  True,  False),  # J2K Lossless Only
    "1.2.840.10008.1.2.4.91":      (True,  True,  False, True,  False, False),  # J2K
    "1.2.840.10008.1.2.4.94":      (True,  True,  False, True,  False, False),  # JPIP Referenced
    "1.2.840.10008.1.2.4.95":      (True,  True,  True,  True,  False, False),  # JPIP Referenced Deflate
    "1.2.840.10008.1.2.4.100":     (True,  True,  False, True,  False, False),  # MPEG2
    "1.2.840.10008.1.2.4.108":     (True,  True,  False, True,  False, False),  # HEVC
    "1.2.840.10008.1.2.4.201":     (True,  True,  False, True,  True,  False),  # HTJ2K Lossless
    "1.2.840.10008.1.2.4.202":     (True,  True,  False, True,  True,  False),  # HTJ2K RPCL Lossless
    "1.2.840.10008.1.2.4.203":     (True,  True,  False, True,  False, False),  # HTJ2K
    "1.2.840.10008.1.2.4.205":     (True,  True,  True,  True,  False, False),  # JPIP HTJ2K Ref. Deflate
}


def test_every_registered_syntax_is_present():
    assert len(ts.TRANSFER_SYNTAXES) == REGISTERED
    assert set(ts.TRANSFER_SYNTAXES) == {u for u, i in REGISTRY.items() if i.type == "Transfer Syntax"}
    for uid, syntax in ts.TRANSFER_SYNTAXES.items():
        assert syntax.uid == uid and syntax.name == REGISTRY[uid].name
        assert syntax.keyword == REGISTRY[uid].keyword and syntax.retired == REGISTRY[uid].retired


@pytest.mark.parametrize("uid, flags", FLAGS.items())
def test_flags(uid, flags):
    s = ts.get(uid)
    assert (s.little_endian, s.explicit_vr, s.deflated, s.encapsulated, s.lossless, s.retired) == flags
    assert s.is_native is not s.encapsulated


def test_only_the_native_five_are_native():
    native = {u for u, s in ts.TRANSFER_SYNTAXES.items() if s.is_native}
    assert native == {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99",
                      "1.2.840.10008.1.2.2", "1.2.840.10008.1.20"}


def test_every_non_native_syntax_is_explicit_little_endian():
    # PS3.5 A.4: encapsulated formats use Explicit VR Little Endian for the dataset.
    for s in ts.TRANSFER_SYNTAXES.values():
        if s.encapsulated:
            assert s.little_endian and s.explicit_vr, s


def test_lossless_agrees_with_the_names():
    for s in ts.TRANSFER_SYNTAXES.values():
        if "Lossless" in s.name and "Near-Lossless" not in s.name:
            assert s.lossless, s
        if any(word in s.name for word in ("Lossy", "MPEG", "HEVC", "JPIP", "Baseline", "Extended")):
            assert not s.lossless, s


def test_constants():
    assert ts.IMPLICIT_VR_LE.uid == "1.2.840.10008.1.2"
    assert ts.EXPLICIT_VR_LE.uid == "1.2.840.10008.1.2.1"
    assert ts.EXPLICIT_VR_BE.uid == "1.2.840.10008.1.2.2"
    assert ts.DEFLATED_EXPLICIT_VR_LE.uid == "1.2.840.10008.1.2.1.99"
    assert ts.RLE_LOSSLESS.uid == "1.2.840.10008.1.2.5"
    assert ts.get("1.2.840.10008.1.2") is ts.IMPLICIT_VR_LE
    assert ts.IMPLICIT_VR_LE.uid.keyword == "ImplicitVRLittleEndian"


def test_frozen():
    with pytest.raises(AttributeError):
        ts.EXPLICIT_VR_LE.explicit_vr = False  # type: ignore[misc]


@pytest.mark.parametrize("padded", ["1.2.840.10008.1.2.1\x00", "1.2.840.10008.1.2.1 "])
def test_get_ignores_padding(padded):
    assert ts.get(padded) is ts.EXPLICIT_VR_LE


@pytest.mark.parametrize("uid, lossless", [
    ("1.2.840.10008.1.2.4.110", True),   # JPEG XL Lossless, newer than the bundled registry
    ("1.2.840.10008.1.2.8.1", True),     # Deflated Image Frame Compression, likewise
    ("1.2.840.10008.1.2.4.112", False),  # JPEG XL
    ("1.2.3.4.5", False),
])
def test_unknown_syntax_is_a_best_guess(uid, lossless):
    s = ts.get(uid)
    assert uid not in ts.TRANSFER_SYNTAXES
    assert (s.uid, s.name, s.keyword) == (uid, "", "")
    assert (s.little_endian, s.explicit_vr, s.deflated, s.encapsulated, s.retired) == (
        True, True, False, True, False)
    assert s.lossless is lossless
    assert str(s) == f"Unknown Transfer Syntax ({uid})"


@pytest.mark.parametrize("bad", ["", "\x00", "1.2.840.10008.1.2.01", "not a uid", "1..2"])
def test_get_rejects_non_uids(bad):
    with pytest.raises(DicomError, match="not a transfer syntax UID"):
        ts.get(bad)


@pytest.mark.parametrize("name,uid", [("implicit", "1.2.840.10008.1.2"),
                                      ("explicit", "1.2.840.10008.1.2.1"),
                                      ("big", "1.2.840.10008.1.2.2"),
                                      ("deflated", "1.2.840.10008.1.2.1.99"),
                                      ("rle", "1.2.840.10008.1.2.5"),
                                      (" Big ", "1.2.840.10008.1.2.2"),
                                      ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.50"),
                                      ("1.2.3.4", "1.2.3.4")])
def test_by_name_takes_the_short_names_and_uids(name, uid):
    assert ts.by_name(name).uid == uid


def test_by_name_refuses_other_words_naming_the_choices():
    with pytest.raises(DicomError, match=r"'jpeg'.*implicit, explicit, big, deflated, rle"):
        ts.by_name("jpeg")


def test_names_are_not_uids_to_get():
    """A file whose meta says "rle" is not believed: get() takes UIDs only."""
    with pytest.raises(DicomError):
        ts.get("rle")
