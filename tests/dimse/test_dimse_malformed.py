"""Malformed command sets: a DimseError naming the fault and the status to answer with."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomcore.dimse import decode as dc
from dicomcore.dimse import messages as ms
from dicomcore.errors import DimseError, EncodeError
from dimse_strategies import messages


def element(tag: int, value: bytes) -> bytes:
    return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(value)) + value


def command(*elements: bytes, group_length: int | None = None) -> bytes:
    body = b"".join(elements)
    length = len(body) if group_length is None else group_length
    return element(0x00000000, struct.pack("<I", length)) + body


def us(value: int) -> bytes:
    return struct.pack("<H", value)


STORE_FIELDS = [element(0x00000002, b"1.2.840.10008.5.1.4.1.1.2\0"), element(0x00000100, us(1)),
                element(0x00000110, us(9)), element(0x00000700, us(0)),
                element(0x00000800, us(0x0001)), element(0x00001000, b"1.2.3.4\0")]


def raises(data: bytes) -> DimseError:
    with pytest.raises(DimseError) as info:
        dc.decode_command(data)
    return info.value


def test_the_handmade_store_rq_is_valid():
    msg = dc.decode_command(command(*STORE_FIELDS))
    assert isinstance(msg, ms.CStoreRQ) and msg.message_id == 9 and msg.has_dataset


def test_unknown_command_field_is_unrecognized_operation():
    err = raises(command(element(0x00000100, us(0x0042)), element(0x00000800, us(0x0101))))
    assert err.status == 0x0211 and err.command_field == 0x0042 and "0042H" in str(err)
    assert dc.error_response(err) is None  # no response type exists for it


def test_missing_command_field_is_unrecognized_operation():
    err = raises(command(element(0x00000110, us(1)), element(0x00000800, us(0x0101))))
    assert err.status == 0x0211 and err.keyword == "CommandField"


def test_missing_mandatory_field_names_it_and_suggests_a_response():
    data = command(*[e for e in STORE_FIELDS if not e.startswith(b"\0\0\0\x10")])  # no (0000,1000)
    err = raises(data)
    assert err.status == 0xC000  # PS3.4 B.2.3 Error: Cannot understand
    assert (err.command_field, err.message_id, err.keyword) == (1, 9, "AffectedSOPInstanceUID")
    assert "Affected SOP Instance UID" in str(err)
    rsp = dc.error_response(err)
    assert isinstance(rsp, ms.CStoreRSP)
    assert (rsp.message_id_being_responded_to, rsp.status) == (9, 0xC000)
    assert rsp.affected_sop_class_uid == "1.2.840.10008.5.1.4.1.1.2"
    assert rsp.offending_element == [0x00001000]
    assert len(rsp.error_comment) <= 64
    ms.encode_command(rsp)  # and it is sendable


def test_dimse_n_request_faults_are_processing_failures():
    data = command(element(0x00000003, b"1.2\0"), element(0x00000100, us(0x0120)),
                   element(0x00000110, us(4)), element(0x00000800, us(1)))
    err = raises(data)  # N-SET-RQ without Requested SOP Instance UID
    assert err.status == 0x0110
    rsp = dc.error_response(err)
    assert isinstance(rsp, ms.NSetRSP) and rsp.affected_sop_class_uid == "1.2"


@pytest.mark.parametrize("data, fault", [
    (command(*STORE_FIELDS, group_length=10), "Group Length is 10"),
    (b"".join(STORE_FIELDS), "Group Length"),                       # no group length at all
    (command(*STORE_FIELDS)[:-3], "overruns"),                       # truncated value
    (command(*STORE_FIELDS) + b"\0\0", "element header has 8"),     # trailing bytes
    (command(*STORE_FIELDS, element(0x00100010, b"AB")), "not in group 0000"),
    (command(*reversed(STORE_FIELDS)), "out of order"),
    (command(*STORE_FIELDS[:2], STORE_FIELDS[1], *STORE_FIELDS[2:]), "repeated"),
    (command(*STORE_FIELDS[:2], element(0x00000110, b"\1\0\0"), *STORE_FIELDS[3:]), "3 bytes"),
    (command(*STORE_FIELDS[:4], element(0x00000800, us(0x0101)), STORE_FIELDS[5]), "required"),
    (command(*STORE_FIELDS[:4], STORE_FIELDS[5]), "Data Set Type"),
])
def test_structural_faults(data, fault):
    err = raises(data)
    assert fault in str(err)
    assert err.status == 0xC000  # the Command Field (C-STORE-RQ) was still readable
    assert err.command_field == 1


def test_a_data_set_on_c_echo_is_refused():
    err = raises(command(element(0x00000002, b"1.2.840.10008.1.1\0"), element(0x00000100, us(0x30)),
                         element(0x00000110, us(1)), element(0x00000800, us(0))))
    assert "not allowed" in str(err) and err.status == 0x0110
    assert isinstance(dc.error_response(err), ms.CEchoRSP)


def test_faulty_responses_and_cancels_have_no_answer():
    rsp = raises(command(element(0x00000100, us(0x8001)), element(0x00000800, us(0x0101))))
    assert rsp.status is None and dc.error_response(rsp) is None
    cancel = raises(command(element(0x00000100, us(0x0FFF)), element(0x00000800, us(0x0101))))
    assert cancel.status is None and dc.error_response(cancel) is None


def test_empty_input():
    err = raises(b"")
    assert "Group Length" in str(err)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_only_raise_dimse_error(data):
    try:
        dc.decode_command(data)
    except DimseError:
        pass


@settings(max_examples=300, deadline=None)
@given(messages(), st.data())
def test_mutated_command_sets_only_raise_dimse_error(msg, data):
    encoded = bytearray(ms.encode_command(msg))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(encoded) - 1))
        encoded[pos] = data.draw(st.integers(0, 255))
    try:
        back = dc.decode_command(bytes(encoded))
    except DimseError as err:
        assert err.status is None or 0 <= err.status <= 0xFFFF
    else:  # decoding is lenient about text (latin-1); encoding is strict (ASCII)
        try:
            assert dc.decode_command(ms.encode_command(back)) == back
        except EncodeError:
            pass
