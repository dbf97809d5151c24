"""decode(encode(x)) == x for every PDU and item, and byte-identical re-encoding."""
from __future__ import annotations

import pytest
from hypothesis import given, settings

from dicomcore.errors import EncodeError
from dicomcore.pdu import items as it
from dicomcore.pdu import pdus as pd
from pdu_strategies import items, pdus, sub_items


@given(items)
def test_item_roundtrip(item):
    data = item.encode()
    back = it.decode_item(data)
    assert back == item
    assert back.encode() == data


@given(sub_items)
def test_sub_item_roundtrip_inside_user_information(sub):
    ui = it.UserInformation([sub, it.MaximumLength(16384)])
    assert it.decode_item(ui.encode()) == ui


@settings(max_examples=300)
@given(pdus)
def test_pdu_roundtrip(pdu):
    data = pdu.encode()
    back = pd.decode_pdu(data)
    assert back == pdu
    assert back.encode() == data
    assert b"".join(back.encode_chunks()) == data


@given(pdus)
def test_describe_covers_every_byte_of_fixed_fields(pdu):
    """describe() starts at offset 0, names the header, and stays inside the PDU."""
    data = pdu.encode()
    lines = pdu.describe()
    assert [ln.name for ln in lines[:3]] == ["PDU-type", "Reserved", "PDU-length"]
    assert all(0 <= ln.offset and ln.offset + ln.length <= len(data) for ln in lines)
    assert pd.format_lines(lines)


def test_pdata_values_are_views_not_copies():
    big = bytes(1_000_000)
    pdu = pd.PDataTF([pd.PDV.fragment(1, big, command=False, last=True)])
    chunks = pdu.encode_chunks()
    assert chunks[-1] is big  # passes through to the transport unchanged
    data = pdu.encode()
    back = pd.decode_pdu(data)
    assert isinstance(back.pdvs[0].data, memoryview)
    assert back.pdvs[0].data.obj is data


def test_pdv_control_bits():
    pdv = pd.PDV.fragment(3, b"ab", command=True, last=False)
    assert (pdv.control, pdv.is_command, pdv.is_last) == (1, True, False)
    assert pd.PDV.fragment(3, b"", command=False, last=True).control == 2


@pytest.mark.parametrize("title", ["", "                ", "A" * 17, "AB\\C", "ÄBC", "A\tB", "A\x00"])
def test_bad_ae_titles_are_refused(title):
    with pytest.raises(EncodeError):
        pd.AAssociateRQ(title, "OK").encode()


def test_ae_title_padding_and_stripping():
    data = pd.AAssociateRQ("ANY-SCP", "ME").encode()
    assert data[10:26] == b"ANY-SCP         "
    back = pd.decode_pdu(data)
    assert (back.called_ae_title, back.calling_ae_title) == ("ANY-SCP", "ME")


@pytest.mark.parametrize("cid", [0, 2, 256, -1])
def test_bad_context_ids_are_refused_on_encode(cid):
    with pytest.raises(EncodeError):
        pd.PDataTF([pd.PDV(cid, 3, b"xx")]).encode()
    with pytest.raises(EncodeError):
        it.PresentationContextRQ(cid, "1.2").encode()


def test_user_identity_secrets_are_not_described():
    rq = it.UserIdentityRQ(2, b"alice", b"s3cret")
    text = str(rq.describe())
    assert "alice" in text and "s3cret" not in text
    jwt = it.UserIdentityRQ(5, b"eyJhbGciOi.payload.sig")
    assert "eyJ" not in str(jwt.describe())
    assert "ticket" not in str(it.UserIdentityAC(b"ticket").describe())


def test_version_name_limits():
    with pytest.raises(EncodeError):
        it.ImplementationVersionName("X" * 17).encode()
    with pytest.raises(EncodeError):
        it.ImplementationVersionName("").encode()
