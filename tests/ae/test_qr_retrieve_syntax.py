"""Retrieving in the right transfer syntax (issue #12, points 4-6), in process.

The C-GET SCU proposes every syntax it can store, so an instance comes back as the
archive holds it (a JPEG one too); the C-GET acceptor takes the requestor's preference
among the syntaxes it can deliver; a sub-operation that cannot be sent losslessly
fails alone (B000, counted, its UID in the Failed SOP Instance UID List); a big
endian instance fetched by a requestor that proposes big endian arrives big endian.
Servers are in-process on 127.0.0.1, free ports, shut down by the test.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore import Dataset
from dicomcore.ae.archive import Archive
from dicomcore.ae.query import GET, MOVE, qr_contexts
from dicomcore.ae.services.qr import ALL_SUBOPS_FAILED as ALL_FAILED, QueryRetrieveSCP
from dicomcore.dataset.decode import decode_dataset
from dicomcore.pdu.negotiation import AcceptorPolicy

from interop.netutil import (BIG, CT, DEFLATED, EXPLICIT, HOST, IMPLICIT, JPEG_BASELINE, MR,
                             RLE, SC, encapsulated_instance, make_instance, serving)

FAILED_LIST = 0x00080058


def _body(path) -> bytes:
    """The data set of a Part 10 file: the bytes after its File Meta Information."""
    data = Path(path).read_bytes()
    ds = dicomcore.read(path, stop_before_pixels=True)
    meta_length = int(ds.file_meta.get(0x00020000))
    return data[132 + 12 + meta_length:]


def _archive(tmp_path: Path, instances: list[tuple[Dataset, str]]) -> tuple[Path, str]:
    """An archive holding ``instances`` (each written in its syntax), all in one study."""
    study = dicomcore.generate_uid()
    src = tmp_path / "src"
    src.mkdir()
    with Archive(str(tmp_path / "db"), durable=False) as archive:
        for n, (ds, ts) in enumerate(instances):
            ds.StudyInstanceUID = study
            ds.PatientID = "P1"
            path = src / f"{n}.dcm"
            dicomcore.write(path, ds, transfer_syntax=ts)
            archive.add(str(path), copy=True)
    return tmp_path / "db", study


def _get(port: int, study: str, contexts, roles, out: Path):
    """C-GET the study with these contexts; (operation, received by UID, accepted)."""
    ae = dicomcore.ApplicationEntity("GETSCU", acse_timeout=10, dimse_timeout=20)
    with ae.associate(HOST, port, ae_title="ARCHIVE", contexts=contexts, roles=roles) as assoc:
        accepted = dict(assoc.accepted_contexts.values())
        operation = assoc.get({"StudyInstanceUID": study}, out_dir=str(out),
                              raise_on_failure=False)
        operation.wait()
    return operation, {i.sop_instance_uid: i for i in operation.received}, accepted


def _failed(operation) -> list[str]:
    data = operation.response.dataset
    if data is None:
        return []
    ds, _ = decode_dataset(bytes(data), True, True)  # the Q/R context: explicit VR LE
    value = ds.get(FAILED_LIST)
    return sorted([value] if isinstance(value, str) else [str(v) for v in value or []])


def _server(folder: Path, **options):
    ae = dicomcore.ApplicationEntity("ARCHIVE", acse_timeout=10, idle_timeout=20,
                                     dimse_timeout=20)
    return serving(ae, archive=str(folder), **options)


def test_get_scu_proposes_every_syntax_and_a_jpeg_instance_arrives_as_stored(tmp_path):
    """Point 4: qr_contexts() (what ``dicomcore get`` proposes) offers compressed syntaxes,
    and the JPEG instance comes back byte for byte (before: A702, nothing got)."""
    jpeg = encapsulated_instance(1, [b"\xff\xd8 frame one \xff\xd9", b"second fragment!"])
    folder, study = _archive(tmp_path, [(jpeg, JPEG_BASELINE)])
    contexts, roles = qr_contexts(storage_classes=[SC, CT])
    assert all(JPEG_BASELINE in syntaxes and RLE in syntaxes for uid, syntaxes in contexts
               if uid in (SC, CT))
    with _server(folder) as server:
        operation, got, accepted = _get(server.address[1], study, contexts, roles,
                                        tmp_path / "got")
    assert int(operation.status) == 0
    assert accepted[SC] == JPEG_BASELINE
    [instance] = got.values()
    held = Archive(str(folder)).path_of(str(jpeg.SOPInstanceUID))
    assert instance.transfer_syntax == JPEG_BASELINE
    assert _body(instance.path) == _body(held)


def test_big_endian_instance_arrives_big_endian(tmp_path):
    """Point 6: the requestor proposes big endian first; the stored big endian instance
    is sent as it is (before: the acceptor's preference took explicit little endian and
    the instance was silently converted)."""
    mr = make_instance(2, sop_class=MR)
    folder, study = _archive(tmp_path, [(mr, BIG)])
    contexts = [(GET["study"], [EXPLICIT]), (MR, [BIG, EXPLICIT, IMPLICIT])]
    with _server(folder) as server:
        operation, got, accepted = _get(server.address[1], study, contexts,
                                        {MR: (False, True)}, tmp_path / "got")
    assert int(operation.status) == 0 and accepted[MR] == BIG
    [instance] = got.values()
    assert instance.transfer_syntax == BIG
    assert _body(instance.path) == _body(Archive(str(folder)).path_of(str(mr.SOPInstanceUID)))


@pytest.mark.parametrize("proposed, chosen", [
    ([IMPLICIT, EXPLICIT, BIG], IMPLICIT),     # all deliver everything held: its first
    ([BIG, DEFLATED, EXPLICIT], BIG),
    ([JPEG_BASELINE, DEFLATED], DEFLATED),     # JPEG delivers nothing held: skipped
    ([JPEG_BASELINE], JPEG_BASELINE),          # nothing else proposed: accepted, fails alone
])
def test_get_acceptor_takes_the_requestors_preference(tmp_path, proposed, chosen):
    """Point 5: the storage context's syntax is the requestor's first among those the
    archive can deliver what it holds of the class in (here: native CT), not the
    acceptor's own preference (explicit VR little endian)."""
    cts = [make_instance(n) for n in range(2)]
    folder, study = _archive(tmp_path, [(cts[0], EXPLICIT), (cts[1], IMPLICIT)])
    contexts = [(GET["study"], [EXPLICIT]), (CT, proposed)]
    with _server(folder) as server:
        operation, got, accepted = _get(server.address[1], study, contexts,
                                        {CT: (False, True)}, tmp_path / "got")
    assert accepted[CT] == chosen
    if chosen == JPEG_BASELINE:
        assert got == {} and int(operation.status) == ALL_FAILED
        return
    assert int(operation.status) == 0 and len(got) == 2
    for ds in cts:
        instance = got[str(ds.SOPInstanceUID)]
        assert instance.transfer_syntax == chosen
        assert dicomcore.read(instance.path).PixelData == ds.PixelData  # lossless


def test_get_classes_held_in_several_syntaxes_and_an_rle_instance(tmp_path):
    """A class with a JPEG and a native instance: no syntax carries both, so the first
    the requestor prefers that carries some is taken, and the other fails alone.  An
    RLE instance of a class accepted only uncompressed is decoded (lossless)."""
    jpeg = encapsulated_instance(3)
    native_sc = make_instance(4, sop_class=SC, bits=8)
    rle_mr = make_instance(5, sop_class=MR)
    from dicomcore.codecs.transcode import transcode

    folder, study = _archive(tmp_path, [(jpeg, JPEG_BASELINE), (native_sc, EXPLICIT),
                                        (transcode(rle_mr, RLE), RLE)])
    contexts = [(GET["study"], [EXPLICIT]), (SC, [EXPLICIT, JPEG_BASELINE]),
                (MR, [EXPLICIT, IMPLICIT])]
    roles = {SC: (False, True), MR: (False, True)}
    with _server(folder) as server:
        operation, got, accepted = _get(server.address[1], study, contexts, roles,
                                        tmp_path / "got")
    assert accepted == {GET["study"]: EXPLICIT, SC: EXPLICIT, MR: EXPLICIT}
    assert int(operation.status) == 0xB000
    result = operation.result
    assert (result.completed, result.failed, result.warning) == (2, 1, 0)
    assert _failed(operation) == [str(jpeg.SOPInstanceUID)]
    assert set(got) == {str(native_sc.SOPInstanceUID), str(rle_mr.SOPInstanceUID)}
    decoded = dicomcore.read(got[str(rle_mr.SOPInstanceUID)].path)
    assert bytes(decoded.PixelData) == bytes(rle_mr.PixelData)


def test_get_suboperations_fail_alone_when_the_peer_takes_only_what_we_cannot_make(tmp_path):
    """A requestor that accepts CT only as JPEG Baseline, the archive holding native CT:
    no lossless way there, so each sub-operation fails alone, counted, listed; none
    succeeded, so the final status is a Failure, Cxxx "Unable to process", with the
    counts (PS3.4 C.4.3.3.1; before: A702 "Out of Resources")."""
    cts = [make_instance(n) for n in range(3)]
    folder, study = _archive(tmp_path, [(ds, EXPLICIT) for ds in cts])
    contexts = [(GET["study"], [EXPLICIT]), (CT, [JPEG_BASELINE])]
    with _server(folder) as server:
        operation, got, accepted = _get(server.address[1], study, contexts,
                                        {CT: (False, True)}, tmp_path / "got")
    assert accepted[CT] == JPEG_BASELINE and got == {}
    assert int(operation.status) == ALL_FAILED
    result = operation.result
    assert (result.completed, result.failed, result.warning, result.remaining) == \
        (0, 3, 0, None)
    assert _failed(operation) == sorted(str(ds.SOPInstanceUID) for ds in cts)


def test_move_suboperations_fail_alone_at_a_destination_taking_only_jpeg(tmp_path):
    """C-MOVE to a destination that accepts CT only as JPEG Baseline: the native CTs
    cannot go (never encoded lossy), each fails alone; a Failure (Cxxx, not A702 "Out
    of Resources") with the counts and the list."""
    cts = [make_instance(n) for n in range(2)]
    folder, study = _archive(tmp_path, [(cts[0], EXPLICIT), (cts[1], IMPLICIT)])
    dest_policy = AcceptorPolicy(contexts={CT: [JPEG_BASELINE]}, ae_title="DEST")
    dest_ae = dicomcore.ApplicationEntity("DEST", acse_timeout=10, idle_timeout=20)
    with serving(dest_ae, storage_dir=str(tmp_path / "dest"), policy=dest_policy) as dest, \
            _server(folder, destinations={"DEST": (HOST, dest.address[1])}) as server:
        ae = dicomcore.ApplicationEntity("MOVESCU", acse_timeout=10, dimse_timeout=20)
        with ae.associate(HOST, server.address[1], ae_title="ARCHIVE",
                          contexts=[(MOVE["study"], [EXPLICIT])]) as assoc:
            operation = assoc.move({"StudyInstanceUID": study}, "DEST",
                                   raise_on_failure=False)
            operation.wait()
    assert int(operation.status) == ALL_FAILED
    result = operation.result
    assert (result.completed, result.failed, result.warning) == (0, 2, 0)
    assert _failed(operation) == sorted(str(ds.SOPInstanceUID) for ds in cts)
    assert list((tmp_path / "dest").glob("*.dcm")) == []


def test_sending_choice_counts_only_what_earlier_contexts_cannot_deliver(tmp_path):
    """One class in two contexts (native, JPEG): the first takes the natives, the
    second the JPEG instances; a class held in nothing gets the requestor's first."""
    folder, _ = _archive(tmp_path, [(make_instance(1, sop_class=SC, bits=8), EXPLICIT),
                                    (encapsulated_instance(2), JPEG_BASELINE)])
    scp = QueryRetrieveSCP(Archive(str(folder)))
    choices = scp.sending_choice([(SC, [EXPLICIT, JPEG_BASELINE]),
                                  (SC, [EXPLICIT, JPEG_BASELINE]),
                                  (CT, [IMPLICIT, EXPLICIT]), (MR, [RLE, EXPLICIT])])
    assert choices == [EXPLICIT, JPEG_BASELINE, IMPLICIT, RLE]


class _Held:
    """An archive that only says what it holds."""

    def __init__(self, held):
        self.held = set(held)

    def held_syntaxes(self):
        return set(self.held)


_SYNTAXES = [EXPLICIT, IMPLICIT, BIG, DEFLATED, RLE, JPEG_BASELINE,
             "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.70"]


@settings(max_examples=300, deadline=None)
@given(held=st.sets(st.tuples(st.sampled_from([CT, MR]), st.sampled_from(_SYNTAXES))),
       proposals=st.lists(st.tuples(st.sampled_from([CT, MR, SC]),
                                    st.lists(st.sampled_from(_SYNTAXES), min_size=1,
                                             max_size=5, unique=True)),
                          min_size=1, max_size=4))
def test_sending_choice_is_the_requestors_first_that_delivers(held, proposals):
    """For one context per class: the choice is a candidate; the requestor's first that
    delivers all the class holds if one does, else its first that delivers some, else
    its first (converts() decides what "delivers" means)."""
    from dicomcore.codecs.transcode import converts

    first_of = {}
    for n, (abstract, _) in enumerate(proposals):
        first_of.setdefault(abstract, n)
    choices = QueryRetrieveSCP(_Held(held)).sending_choice(proposals)
    assert len(choices) == len(proposals)
    for n, ((abstract, candidates), choice) in enumerate(zip(proposals, choices)):
        assert choice in candidates
        if first_of[abstract] != n:
            continue  # a later context of the class: judged on what is left
        mine = {ts for c, ts in held if c == abstract}
        delivers = [{s for s in mine if converts(s, ts)} for ts in candidates]
        whole = [ts for ts, d in zip(candidates, delivers) if mine and d == mine]
        some = [ts for ts, d in zip(candidates, delivers) if d]
        assert choice == (whole or some or candidates)[0]
