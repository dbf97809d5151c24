"""Command sets: round trips for every message type, an annotated byte fixture, describe()."""
from __future__ import annotations

import dataclasses
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomcore.dataset import DataElement, Dataset
from dicomcore.dimse import decode as dc
from dicomcore.dimse import commands, messages as ms
from dicomcore.dimse.status import Status
from dicomcore.errors import EncodeError
from dicomcore.pdu.pdus import format_lines
from dimse_strategies import messages


@pytest.mark.parametrize("command_field", sorted(commands.SPECS), ids=lambda c: commands.SPECS[c].name)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_roundtrip_every_message_type(command_field, data):
    msg = data.draw(messages(command_field))
    encoded = ms.encode_command(msg)
    back = dc.decode_command(encoded)
    assert type(back) is type(msg)
    assert back == dataclasses.replace(msg, dataset=None)  # the data set travels apart
    assert back.has_dataset == (msg.dataset is not None)
    assert back.data_set_type == (commands.NO_DATA_SET if msg.dataset is None
                                  else commands.DATA_SET_PRESENT)
    assert ms.encode_command(back) == encoded  # what decodes re-encodes byte for byte
    # PS3.7 E.1: the group length counts every byte after its own element.
    assert struct.unpack_from("<HHII", encoded) == (0, 0, 4, len(encoded) - 12)


@settings(max_examples=200, deadline=None)
@given(messages())
def test_roundtrip_any_message(msg):
    back = dc.decode_command(ms.encode_command(msg))
    assert back == dataclasses.replace(msg, dataset=None)
    assert back.title == msg.spec.name
    assert [line.name for line in back.describe()][0].startswith("Command Group Length")


def test_every_command_field_has_a_class():
    assert set(ms.MESSAGE_CLASSES) == set(commands.SPECS)
    for field_value, cls in ms.MESSAGE_CLASSES.items():
        own = {f.name for f in dataclasses.fields(cls)} - {"dataset", "extra", "data_set_type"}
        assert own == set(cls.spec.attrs), cls.__name__  # the class is the table


# PS3.7 Table 9.3-12, one field a line: tag, value length, value.
C_ECHO_RQ_FIXTURE = """
00 00 00 00  04 00 00 00  38 00 00 00                 # (0000,0000) Command Group Length UL = 56
00 00 02 00  12 00 00 00  '1.2.840.10008.1.1' 00      # (0000,0002) Affected SOP Class UID, UI padded with NUL
00 00 00 01  02 00 00 00  30 00                       # (0000,0100) Command Field = 0030H C-ECHO-RQ
00 00 10 01  02 00 00 00  07 00                       # (0000,0110) Message ID = 7
00 00 00 08  02 00 00 00  01 01                       # (0000,0800) Command Data Set Type = 0101H none
"""


def _fixture_bytes(text: str) -> bytes:
    out = bytearray()
    for line in text.strip().splitlines():
        code = line.split("#")[0]
        for i, part in enumerate(code.split("'")):  # quoted parts are ASCII text
            out += part.encode("ascii") if i % 2 else bytes.fromhex(part)
    return bytes(out)


def test_c_echo_rq_bytes():
    expected = _fixture_bytes(C_ECHO_RQ_FIXTURE)
    assert len(expected) == 12 + 56
    msg = ms.CEchoRQ(message_id=7)
    assert ms.encode_command(msg) == expected
    assert dc.decode_command(expected) == msg
    lines = msg.describe()
    assert [(ln.offset, ln.length) for ln in lines] == [(0, 12), (12, 26), (38, 10), (48, 10), (58, 10)]
    assert lines[0].value == 56
    text = format_lines(lines)
    assert "Command Field (0000,0100) US: 0030H (C-ECHO-RQ)" in text
    assert "0101H (no data set)" in text


def test_status_decodes_with_its_service_meaning():
    rsp = dc.decode_command(ms.encode_command(ms.CStoreRSP(message_id_being_responded_to=1,
                                                           status=0xB000)))
    assert isinstance(rsp.status, Status) and rsp.status == 0xB000
    assert rsp.status.meaning == "Coercion of Data Elements"
    move = ms.CMoveRSP(message_id_being_responded_to=1, status=0xB000)
    assert move.status.meaning.startswith("Sub-operations Complete")
    assert "B000H Warning" in format_lines(move.describe())


def test_defaults_make_everyday_messages_short():
    assert ms.CEchoRSP(message_id_being_responded_to=3).status == 0
    store = ms.CStoreRQ(message_id=1, affected_sop_class_uid="1.2", affected_sop_instance_uid="1.2.3",
                        dataset=Dataset())
    back = dc.decode_command(ms.encode_command(store))
    assert back.priority == commands.MEDIUM and back.has_dataset and back.dataset is None


def test_extra_elements_are_kept_and_described():
    raw = ms.CEchoRQ(message_id=1, extra=[DataElement(0x00000850, "US", 4)])
    back = dc.decode_command(ms.encode_command(raw))
    assert back.extra == [DataElement(0x00000850, "US", 4)]
    # An element PS3.7 defines, but not for this message (Priority in C-ECHO), is kept too.
    weird = ms.CEchoRQ(message_id=1, extra=[DataElement(0x00000700, "US", 2)])
    assert dc.decode_command(ms.encode_command(weird)).extra == [DataElement(0x00000700, "US", 2)]


@pytest.mark.parametrize("msg, fault", [
    (ms.CEchoRQ(), "Message ID"),
    (ms.CStoreRQ(message_id=1, affected_sop_class_uid="1.2", affected_sop_instance_uid="1.3"),
     "data set is required"),
    (ms.CEchoRQ(message_id=1, dataset=b"\0\0"), "not allowed"),
    (ms.CMoveRQ(message_id=1, affected_sop_class_uid="1.2", dataset=b""), "Move Destination"),
    (ms.CEchoRQ(message_id=70000), "70000"),
    (ms.CEchoRQ(message_id=1, extra=[DataElement(0x00000110, "US", 1)]), "extra"),
    (ms.CEchoRQ(message_id=1, extra=[DataElement(0x00100010, "PN", "A")]), "extra"),
    (ms.CFindRSP(message_id_being_responded_to=1, dataset=b"", data_set_type=0x0101), "0101H"),
])
def test_encode_refuses_what_the_tables_forbid(msg, fault):
    with pytest.raises(EncodeError, match=fault):
        ms.encode_command(msg)


def test_describe_works_on_incomplete_messages():
    lines = ms.CStoreRQ(message_id=5, dataset=Dataset()).describe()
    assert lines[-1].name == "Data Set" and "0 elements" in lines[-1].value


def test_dataset_chunks_pass_bytes_through():
    blob = bytearray(1000)
    (chunk,) = ms.dataset_chunks(blob)
    assert isinstance(chunk, memoryview) and chunk.obj is blob
    ds = Dataset()
    ds.PatientID = "X"
    assert b"".join(ms.dataset_chunks(ds, little=True, explicit=True)) == b"\x10\x00\x20\x00LO\x02\x00X "
    assert ms.dataset_chunks(None) is None
