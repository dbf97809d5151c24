"""An annotated A-ASSOCIATE-RQ (fixtures/a_associate_rq.txt): decoded, re-encoded, described."""
from __future__ import annotations

from pathlib import Path

from dicomcore.pdu import items as it
from dicomcore.pdu.pdus import AAssociateRQ, decode_pdu
from dicomcore.pdu.primitives import indication_from_pdu
from dicomcore.pdu.upperlayer import UpperLayer

FIXTURE = Path(__file__).parent / "fixtures" / "a_associate_rq.txt"


def parse_fixture(text: str) -> tuple[bytes, list[tuple[int, int, str]]]:
    """The bytes, and (offset, length, field name) for each line."""
    data, fields = bytearray(), []
    for line in text.splitlines():
        value, _, comment = line.partition("#")
        value = value.strip()
        if not value:
            continue
        if value.startswith("'"):
            raw = value.strip("'").encode("ascii")
        else:
            raw = bytes.fromhex(value)
        name = comment.split("  (")[0].strip()
        fields.append((len(data), len(raw), name))
        data += raw
    return bytes(data), fields


DATA, FIELDS = parse_fixture(FIXTURE.read_text(encoding="ascii"))


def test_fixture_decodes():
    pdu = decode_pdu(DATA)
    assert isinstance(pdu, AAssociateRQ)
    assert (pdu.called_ae_title, pdu.calling_ae_title, pdu.protocol_version) == ("ANY-SCP", "ECHOSCU", 1)
    assert pdu.application_context == "1.2.840.10008.3.1.1.1"
    assert pdu.presentation_contexts == [it.PresentationContextRQ(
        1, "1.2.840.10008.1.1", ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"])]
    assert pdu.user_information.sub_items == [
        it.MaximumLength(16384), it.ImplementationClassUID("1.2.3.999"),
        it.RoleSelection("1.2.840.10008.5.1.4.1.1.2", 1, 0),
        it.ImplementationVersionName("DICOMCORE_010"), it.UserIdentityRQ(1, b"alice")]


def test_fixture_reencodes_byte_identical():
    assert decode_pdu(DATA).encode() == DATA


def test_describe_matches_the_annotations():
    described = {(ln.offset, ln.length, ln.name) for ln in decode_pdu(DATA).describe()
                 if ln.length}  # empty fields (here Secondary-field) have no fixture line
    for offset, length, name in FIELDS:
        assert (offset, length, name) in described, (offset, length, name)
    assert len(described) == len(FIELDS)


def test_fixture_through_the_machine():
    ul = UpperLayer()
    ul.connection_open(0)
    for i in range(len(DATA)):
        ul.receive_data(DATA[i:i + 1], 0)
    [ind] = ul.events()
    assert ind == indication_from_pdu(decode_pdu(DATA))
    assert ul.state == "Sta3" and ul.peer_max_pdu_length == 16384
