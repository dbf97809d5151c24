"""PDV fragmentation at every maximum PDU length, and reassembly (PS3.8 9.3.5, Annex E)."""
from __future__ import annotations

import itertools

import pytest

from dicomcore.dataset import Dataset
from dicomcore.dimse import decode as dc
from dicomcore.dimse import fragment as fr
from dicomcore.dimse import messages as ms
from dicomcore.errors import DimseError
from dicomcore.pdu.pdus import PDV, PDataTF, decode_pdu
from dicomcore.pdu.primitives import PDataIndication

CT = "1.2.840.10008.5.1.4.1.1.2"


def store(data) -> tuple[bytes, object]:
    msg = ms.CStoreRQ(message_id=3, affected_sop_class_uid=CT, affected_sop_instance_uid="1.2.3",
                      dataset=data)
    return ms.encode_command(msg), data


ECHO = ms.encode_command(ms.CEchoRQ(message_id=1))
PAYLOAD = bytes(range(256)) * 3 + b"\x01\x02"  # 770 bytes, even
SHAPES = {  # the same data set as differently cut chunks, odd sizes included
    "one chunk": [PAYLOAD],
    "odd chunks": [PAYLOAD[:1], PAYLOAD[1:4], b"", PAYLOAD[4:401], PAYLOAD[401:]],
    "bytes": PAYLOAD,
    "empty": b"",
}


def check_requests(requests, limit, context_id=1):
    """PS3.8 limits, E.1 and E.2 rules on one message's P-DATA requests."""
    pdvs = []
    for request in requests:
        assert request.pdvs, "a P-DATA request holds one or more PDVs (PS3.8 7.6.1)"
        pdu = PDataTF(request.pdvs)
        length = sum(len(c) for c in pdu.body_chunks())
        assert length <= limit, f"PDU-length {length} > {limit}"
        assert decode_pdu(pdu.encode()) == pdu
        pdvs += request.pdvs
    kinds = [p.is_command for p in pdvs]
    assert kinds == sorted(kinds, reverse=True)  # all command fragments, then all data
    for is_command in (True, False):
        mine = [p for p in pdvs if p.is_command == is_command]
        if mine:
            assert [p.is_last for p in mine] == [False] * (len(mine) - 1) + [True]
    for p in pdvs:
        assert p.context_id == context_id and p.control & 0xFC == 0
        assert len(p.data) % 2 == 0  # E.1: fragments are even
    empty = [p for p in pdvs if not len(p.data)]
    assert all(not p.is_command and p.is_last for p in empty) and len(empty) <= 1
    return pdvs


def reassemble(requests, **kw):
    r = fr.Reassembler(**kw)
    events = []
    for request in requests:
        # through the wire form: encode the PDU and decode it again
        events += r.feed(PDataIndication(decode_pdu(PDataTF(request.pdvs).encode()).pdvs))
    assert r.idle
    return events


@pytest.mark.parametrize("pack", [True, False])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_small_max_pdu_length(shape, pack):
    command, data = store(SHAPES[shape])
    expected = b"".join(data) if isinstance(data, list) else bytes(data)
    for limit in itertools.chain(range(fr.MIN_MAX_PDU_LENGTH, 301), (511, 4096, 16384, 0)):
        chunks = list(data) if isinstance(data, list) else data
        requests = list(fr.fragment(1, command, chunks, limit, pack=pack))
        pdvs = check_requests(requests, limit or fr.DEFAULT_MAX_PDU_LENGTH)
        assert b"".join(bytes(p.data) for p in pdvs if p.is_command) == command
        assert b"".join(bytes(p.data) for p in pdvs if not p.is_command) == expected
        (event,) = reassemble(requests)
        assert isinstance(event, fr.MessageReceived)
        assert event.command == command and event.message.dataset == expected
        if pack and limit >= len(command) + len(expected) + 12:
            assert len(requests) == 1  # the whole message in one PDU (PS3.8 E.1 Note)


def test_command_only_message_at_every_length():
    for limit in range(fr.MIN_MAX_PDU_LENGTH, 120):
        requests = list(fr.fragment(5, ECHO, None, limit))
        pdvs = check_requests(requests, limit, context_id=5)
        assert all(p.is_command for p in pdvs)
        (event,) = reassemble(requests)
        assert event.message == ms.CEchoRQ(message_id=1) and event.context_id == 5


def test_the_fragment_size_is_exact():
    # PS3.8: PDU-length = 4 (Item-length) + 1 (context) + 1 (header) + fragment.
    (request,) = list(fr.fragment(1, ECHO, None, len(ECHO) + 6))
    assert len(request.pdvs) == 1 and bytes(request.pdvs[0].data) == ECHO
    first, second = fr.fragment(1, ECHO, None, len(ECHO) + 5)
    assert len(first.pdvs[0].data) == len(ECHO) - 2  # rounded down to even


def test_too_small_a_maximum_is_refused():
    for limit in range(1, fr.MIN_MAX_PDU_LENGTH):
        with pytest.raises(DimseError, match="cannot hold a PDV"):
            next(fr.fragment(1, ECHO, None, limit))


def test_odd_data_is_refused():
    command, _ = store(b"")
    with pytest.raises(DimseError, match="odd length"):
        list(fr.fragment(1, command, [b"abc"], 100))


def test_large_chunks_pass_through_uncopied():
    big = bytearray(200_000)
    command, _ = store(big)
    data_pdvs = [p for request in fr.fragment(1, command, [b"\0" * 10, memoryview(big)], 16384)
                 for p in request.pdvs if not p.is_command]
    views = [p.data for p in data_pdvs if isinstance(p.data, memoryview) and p.data.obj is big]
    assert len(views) >= len(data_pdvs) - 2  # only fragments spanning chunks are joined


def test_data_is_read_lazily():
    command, _ = store(b"")
    endless = itertools.repeat(b"\0" * 1000)  # a file read in blocks, never read whole
    first = list(itertools.islice(fr.fragment(1, command, endless, 4096), 3))
    assert all(sum(6 + len(p.data) for p in r.pdvs) <= 4096 for r in first)


def test_streamed_data_set():
    command, data = store(PAYLOAD)
    requests = list(fr.fragment(3, command, data, 100))
    events = reassemble(requests, stream=lambda ctx, msg: isinstance(msg, ms.CStoreRQ))
    assert isinstance(events[0], fr.CommandReceived) and events[0].context_id == 3
    fragments = [e for e in events if isinstance(e, fr.DataFragment)]
    assert b"".join(bytes(f.data) for f in fragments) == PAYLOAD
    assert [f.last for f in fragments][-1] and not any(f.last for f in fragments[:-1])
    done = events[-1]
    assert isinstance(done, fr.MessageReceived) and done.message.dataset is None
    assert all(len(f.data) <= 100 for f in fragments)  # memory bounded by the PDU size


def test_early_end_of_a_streamed_store():
    # PS3.7 9.3.1.3: after a Failed C-STORE-RSP the sender may end the data set early.
    command, _ = store(PAYLOAD)
    r = fr.Reassembler(stream=lambda ctx, msg: True)
    events = r.feed([PDV.fragment(1, command, command=True, last=True),
                     PDV.fragment(1, PAYLOAD[:10], command=False, last=False),
                     PDV.fragment(1, b"", command=False, last=True)])
    assert [type(e).__name__ for e in events] == ["CommandReceived", "DataFragment", "DataFragment",
                                                   "MessageReceived"]


def test_several_messages_in_a_row_and_empty_pdvs():
    command, _ = store(b"")
    r = fr.Reassembler()
    events = r.feed([PDV.fragment(1, ECHO[:4], command=True, last=False),
                     PDV.fragment(1, b"", command=True, last=False),  # empty: tolerated (E.1 Note)
                     PDV.fragment(1, ECHO[4:], command=True, last=True),
                     PDV.fragment(3, command, command=True, last=True),
                     PDV.fragment(3, b"ab", command=False, last=False),
                     PDV.fragment(3, b"cd", command=False, last=True)])
    assert [e.context_id for e in events] == [1, 3]
    assert events[1].message.dataset == b"abcd"


@pytest.mark.parametrize("pdvs, fault", [
    ([PDV.fragment(1, b"ab", command=False, last=True)], "before any command"),
    ([PDV.fragment(1, ECHO[:10], command=True, last=False),
      PDV.fragment(3, ECHO[10:], command=True, last=True)], "context changed"),
    ([PDV.fragment(1, ECHO[:10], command=True, last=False),
      PDV.fragment(1, b"ab", command=False, last=True)], "before the command's last"),
    ([PDV.fragment(1, ECHO, command=True, last=True),
      PDV.fragment(1, b"ab", command=False, last=True)], "before any command"),
    ([PDV.fragment(1, store(b"")[0], command=True, last=True),
      PDV.fragment(1, b"ab", command=False, last=False),
      PDV.fragment(1, ECHO, command=True, last=True)], "command fragment inside a data set"),
    ([PDV.fragment(1, store(b"")[0], command=True, last=True),
      PDV.fragment(3, b"ab", command=False, last=True)], "context changed"),
])
def test_out_of_place_pdvs(pdvs, fault):
    r = fr.Reassembler()
    with pytest.raises(DimseError, match=fault) as info:
        r.feed(pdvs)
    assert info.value.status is None  # nothing to answer: abort the association
    assert r.idle  # and the reassembler is clean again


def test_limits():
    command, _ = store(b"")
    with pytest.raises(DimseError, match="command set longer"):
        fr.Reassembler(max_command_length=20).feed([PDV.fragment(1, ECHO, command=True, last=True)])
    r = fr.Reassembler(max_data_length=3)
    with pytest.raises(DimseError, match="data set longer") as info:
        r.feed([PDV.fragment(1, command, command=True, last=True),
                PDV.fragment(1, b"abcd", command=False, last=True)])
    assert info.value.status == 0xA700 and info.value.message_id == 3


def _store_without_instance_uid() -> bytes:
    command = store(b"")[0]
    assert command.endswith(b"\0\0\0\x10\x06\0\0\0" + b"1.2.3\0")  # (0000,1000) is last
    body = command[12:-14]
    return command[:8] + len(body).to_bytes(4, "little") + body


def test_an_invalid_command_skips_its_data_set():
    bad = _store_without_instance_uid()
    r = fr.Reassembler(stream=lambda ctx, msg: True)
    events = r.feed([PDV.fragment(1, bad, command=True, last=True),
                     PDV.fragment(1, b"ab", command=False, last=False),
                     PDV.fragment(1, b"cd", command=False, last=True),
                     PDV.fragment(1, ECHO, command=True, last=True)])
    assert [type(e).__name__ for e in events] == ["InvalidMessage", "MessageReceived"]
    err = events[0].error
    assert err.context_id == 1 and err.status == 0xC000 and events[0].command == bad
    rsp = dc.error_response(err)
    assert isinstance(rsp, ms.CStoreRSP) and rsp.message_id_being_responded_to == 3
    assert isinstance(events[1].message, ms.CEchoRQ)
    # The announced data set must still end properly before the next command.
    with pytest.raises(DimseError, match="inside a data set"):
        fr.Reassembler().feed([PDV.fragment(1, bad, command=True, last=True),
                               PDV.fragment(1, b"ab", command=False, last=False),
                               PDV.fragment(1, ECHO, command=True, last=True)])


def test_an_unreadable_command_lets_the_next_command_start():
    r = fr.Reassembler()
    events = r.feed([PDV.fragment(1, b"\0\0\0\0\4\0\0\0\0\0", command=True, last=True),
                     PDV.fragment(1, b"ab", command=False, last=False),   # skipped
                     PDV.fragment(1, ECHO, command=True, last=True)])      # a new message
    assert isinstance(events[0], fr.InvalidMessage)
    assert isinstance(events[1].message, ms.CEchoRQ)


def test_a_dataset_object_roundtrips_through_fragments():
    ds = Dataset()
    ds.PatientName = "Doe^John"
    ds.PixelData = bytes(3000)
    msg = ms.CStoreRQ(message_id=9, affected_sop_class_uid=CT, affected_sop_instance_uid="1.9",
                      dataset=ds)
    requests = list(fr.fragment(1, ms.encode_command(msg), ms.dataset_chunks(ds), 1000))
    (event,) = reassemble(requests)
    from dicomcore.dataset.decode import decode_dataset
    back, _ = decode_dataset(event.message.dataset, True, False)
    assert back.PatientName == "Doe^John" and len(back.PixelData) == 3000


# --- file regions: fragments of a file the transport reads as it sends --------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from dicomcore.pdu.buffer import FileRegion  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.integers(fr.MIN_MAX_PDU_LENGTH, 5000), st.integers(0, 20000).map(lambda n: n & ~1),
       st.booleans())
def test_file_regions_are_sliced_never_read(limit, size, pad):
    """A region (plus the 2-byte tail of an odd file) is cut into regions that cover
    it exactly, in order, each PDU within the limit; nothing reads the file."""
    pad = pad or not size  # a data set is never empty
    chunks = ([FileRegion(7, 100, size)] if size else []) + ([b"x\0"] if pad else [])
    command, _ = store(b"x\0")
    pdus = list(fr.fragment_message(1, command, chunks, limit))
    offset, tail = 100, b""
    for pdata in pdus:
        assert sum(6 + len(p.data) for p in pdata.pdvs) <= limit
        for pdv in pdata.pdvs:
            if pdv.is_command:
                continue
            assert len(pdv.data) % 2 == 0
            if isinstance(pdv.data, FileRegion):
                assert not tail and (pdv.data.fd, pdv.data.offset) == (7, offset)
                offset += len(pdv.data)
            else:
                tail += bytes(pdv.data)
    assert offset == 100 + size and tail == (b"x\0" if pad else b"")
    assert pdus[-1].pdvs[-1].is_last
