"""Round trips of datasets through every native transfer syntax."""
from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore.dataset import transfer_syntax as ts
from dicomcore.dataset.decode import decode_dataset
from dicomcore.dataset.encode import encode_dataset_bytes
from dicomcore.fuzz.datasets import datasets

SYNTAXES = [ts.IMPLICIT_VR_LE, ts.EXPLICIT_VR_LE, ts.EXPLICIT_VR_BE,
            ts.DEFLATED_EXPLICIT_VR_LE]
IDS = ["implicit", "explicit", "big", "deflated"]


@pytest.mark.parametrize("syntax", SYNTAXES, ids=IDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets())
def test_decode_encode_is_identity(syntax, ds):
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    out = io.BytesIO()
    dicomcore.write(out, ds, transfer_syntax=syntax.uid)
    back = dicomcore.read(io.BytesIO(out.getvalue()))
    assert back.transfer_syntax == syntax
    assert back == ds


@pytest.mark.parametrize("little,explicit", [(True, False), (True, True), (False, True)],
                         ids=["implicit", "explicit", "big"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets())
def test_reencoding_is_byte_identical(little, explicit, ds):
    """What decodes re-encodes to the same bytes, raw or fully decoded."""
    data = encode_dataset_bytes(ds, little, explicit)
    back, end = decode_dataset(data, little, explicit)
    assert end == len(data)
    assert encode_dataset_bytes(back, little, explicit) == data  # raw pass-through
    back.decode_all()
    assert encode_dataset_bytes(back, little, explicit) == data  # every value re-encoded


@settings(max_examples=40, deadline=None)
@given(ds=datasets(), target=st.sampled_from(SYNTAXES))
def test_transcoding_between_syntaxes(ds, target):
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    first = io.BytesIO()
    dicomcore.write(first, ds, transfer_syntax=ts.EXPLICIT_VR_BE.uid)
    middle = dicomcore.read(io.BytesIO(first.getvalue()))
    second = io.BytesIO()
    dicomcore.write(second, middle, transfer_syntax=target.uid)
    assert dicomcore.read(io.BytesIO(second.getvalue())) == ds
