"""The requestor's Association: what store() accepts and refuses, DIMSE-N handlers,
report(), release and abort, the context manager, rejected associations.

In-process servers on 127.0.0.1 (any free port), always shut down; bounded waits.
"""
from __future__ import annotations

import threading
import time

import pytest

import dicomcore
from dicomcore import Dataset
from dicomcore.codecs.encapsulation import encapsulate
from dicomcore.codecs.rle import encode_frame
from dicomcore.errors import DicomError, NetworkError

from interop.netutil import (BIG, CT, EXPLICIT, HOST, IMPLICIT, JPEG_BASELINE, MR, RLE,
                             VERIFICATION, assert_same, dicom_files, encapsulated_instance,
                             free_port, make_instance, serving)

COMMITMENT = "1.2.840.10008.1.20.1"  # Storage Commitment Push Model SOP Class
COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"


def _ae(title: str = "DICOMCORE", **kw) -> dicomcore.ApplicationEntity:
    options = dict(acse_timeout=10, dimse_timeout=20, idle_timeout=20)
    options.update(kw)
    return dicomcore.ApplicationEntity(title, **options)


def _poll(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def out(tmp_path):
    return tmp_path / "out"


@pytest.fixture
def scp(out):
    with serving(_ae("STORE"), storage_dir=str(out)) as server:
        yield server


def _rle_instance(number: int = 0) -> tuple[Dataset, bytes]:
    """An RLE Lossless instance made with dicomcore's encoder, and its native pixels."""
    ds = make_instance(number, rows=32, columns=24)
    native = bytes(ds[0x7FE00010].value)
    frame = encode_frame(native, 32, 24, 1, 16)
    ds.add(0x7FE00010, "OB", encapsulate([frame])).undefined_length = True
    return ds, native


def _body(path) -> bytes:
    """A Part 10 file's bytes after its File Meta Information."""
    data = path.read_bytes()
    assert data[128:132] == b"DICM" and data[132:136] == b"\x02\x00\x00\x00"
    return data[144 + int.from_bytes(data[140:144], "little"):]


def _transcode_available() -> bool:
    try:
        from dicomcore.codecs.transcode import transcode  # noqa: F401
    except ImportError:
        return False
    return True


# --- store(): what is sent, and what is refused ---------------------------------------------

def test_store_file_not_accepted_names_class_and_syntax(scp, tmp_path):
    """Only CT in implicit VR was proposed: an MR file, and a JPEG CT file, are refused
    before anything is sent, the error naming the SOP class and the transfer syntax."""
    mr = tmp_path / "mr.dcm"
    dicomcore.write(mr, make_instance(1, sop_class=MR), transfer_syntax=EXPLICIT)
    jpeg = tmp_path / "jpeg.dcm"
    dicomcore.write(jpeg, encapsulated_instance(2), transfer_syntax=JPEG_BASELINE)
    with _ae().associate(HOST, scp.address[1], contexts=[(CT, [IMPLICIT])]) as assoc:
        with pytest.raises(DicomError) as info:
            assoc.store(str(mr))
        text = str(info.value)
        assert "MR Image Storage" in text and "Explicit VR Little Endian" in text, text
        with pytest.raises(DicomError) as info:
            assoc.store(str(jpeg))
        text = str(info.value)
        assert "Secondary Capture" in text and "JPEG Baseline" in text, text
        # the association is still fine
        assert assoc.store(make_instance(3)) == 0


def test_store_converts_between_uncompressed_syntaxes(scp, out, tmp_path):
    """A big endian file to a peer that accepted only implicit VR: converted."""
    path = tmp_path / "big.dcm"
    dicomcore.write(path, make_instance(4), transfer_syntax=BIG)
    with _ae().associate(HOST, scp.address[1], contexts=[(CT, [IMPLICIT])]) as assoc:
        assert assoc.store(str(path)) == 0
    [stored] = dicom_files(out)
    assert_same(path, stored, transfer_syntax=IMPLICIT)


def test_store_binary_file_object_as_stored(scp, out, tmp_path):
    path = tmp_path / "x.dcm"
    dicomcore.write(path, make_instance(5), transfer_syntax=EXPLICIT)
    with _ae().associate(HOST, scp.address[1], contexts=[(CT, [EXPLICIT])]) as assoc:
        with open(path, "rb") as handle:
            assert assoc.store(handle) == 0
    [stored] = dicom_files(out)
    assert_same(path, stored, transfer_syntax=EXPLICIT)
    # the bytes after the File Meta Information went on the wire untouched
    assert _body(path) == _body(stored)


def test_store_dataset(scp, out):
    ds = make_instance(6)
    with _ae().associate(HOST, scp.address[1]) as assoc:  # default contexts
        status = assoc.store(ds)
        assert status == 0 and status.category == "Success"
    [stored] = dicom_files(out)
    assert_same(ds, stored)


def test_store_dataset_without_uids_is_refused(scp):
    ds = make_instance(7)
    del ds.SOPInstanceUID
    with _ae().associate(HOST, scp.address[1]) as assoc:
        with pytest.raises(DicomError, match="SOP Instance UID"):
            assoc.store(ds)


def test_store_rle_to_peer_accepting_only_native(scp, out, tmp_path):
    """RLE file, only uncompressed syntaxes accepted: with dicomcore.codecs.transcode
    the file is decoded on the way; without it, a clear error naming RLE."""
    ds, native = _rle_instance(8)
    path = tmp_path / "rle.dcm"
    dicomcore.write(path, ds, transfer_syntax=RLE)
    with _ae().associate(HOST, scp.address[1], contexts=[(CT, [EXPLICIT])]) as assoc:
        assert assoc.accepted_contexts and all(t == EXPLICIT for _, t in
                                               assoc.accepted_contexts.values())
        if _transcode_available():
            assert assoc.store(str(path)) == 0
        else:
            with pytest.raises(DicomError, match="RLE"):
                assoc.store(str(path))
    if _transcode_available():
        [stored] = dicom_files(out)
        got = dicomcore.read(stored)
        assert str(got.file_meta.get(0x00020010)) == EXPLICIT
        assert bytes(got[0x7FE00010].value) == native
        assert not got[0x7FE00010].undefined_length
        assert got.SOPInstanceUID == ds.SOPInstanceUID


def test_store_rle_as_is_when_accepted(scp, out, tmp_path):
    ds, _ = _rle_instance(9)
    path = tmp_path / "rle.dcm"
    dicomcore.write(path, ds, transfer_syntax=RLE)
    with _ae().associate(HOST, scp.address[1], contexts=[(CT, [RLE]), (CT, [EXPLICIT])]) \
            as assoc:
        assert assoc.store(str(path)) == 0
    [stored] = dicom_files(out)
    assert_same(path, stored, transfer_syntax=RLE)


# --- DIMSE-N handlers -----------------------------------------------------------------------

@pytest.fixture
def n_server():
    calls = []

    def on_action(request, dataset, assoc):
        calls.append(("N-ACTION", request.action_type_id, dataset, assoc.calling_ae_title))
        reply = Dataset()
        reply.TransactionUID = dataset.TransactionUID
        reply.add(0x00081199, "SQ", dataset.ReferencedSOPSequence)
        return 0x0000, reply

    def on_event(request, dataset, assoc):
        calls.append(("N-EVENT-REPORT", request.event_type_id, dataset, assoc.calling_ae_title))
        if request.event_type_id == 2:
            raise RuntimeError("handler failed")
        return 0x0107, None  # a warning: attribute list error

    ae = _ae("COMMIT")
    policy = ae.policy(storage=False, extra=[COMMITMENT])
    with serving(ae, handlers={"N-ACTION": on_action, "N-EVENT-REPORT": on_event},
                 policy=policy) as server:
        yield server, calls


def _commitment_request() -> Dataset:
    info = Dataset()
    info.TransactionUID = dicomcore.generate_uid()
    ref = Dataset()
    ref.ReferencedSOPClassUID = CT
    ref.ReferencedSOPInstanceUID = dicomcore.generate_uid()
    info.ReferencedSOPSequence = [ref]
    return info


def test_n_action_and_n_event_report_round_trip(n_server):
    server, calls = n_server
    info = _commitment_request()
    contexts = [(COMMITMENT, [EXPLICIT, IMPLICIT]), (VERIFICATION, [IMPLICIT])]
    with _ae("REQUESTOR").associate(HOST, server.address[1], contexts=contexts) as assoc:
        status, reply = assoc.send_n_action(COMMITMENT, COMMITMENT_INSTANCE, 1, info)
        assert status == 0
        assert reply.TransactionUID == info.TransactionUID
        assert reply.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == \
            info.ReferencedSOPSequence[0].ReferencedSOPInstanceUID
        status, reply = assoc.send_n_event_report(COMMITMENT, COMMITMENT_INSTANCE, 1, info)
        assert status == 0x0107 and reply is None
        status, _ = assoc.send_n_event_report(COMMITMENT, COMMITMENT_INSTANCE, 2, info)
        assert status == 0x0110  # the handler raised: processing failure
        # no handler for N-GET: unrecognized operation, association goes on
        status, _ = assoc.send_n_get(COMMITMENT, COMMITMENT_INSTANCE)
        assert status == 0x0211
        assert assoc.echo() == 0
    assert [(c[0], c[1], c[3]) for c in calls] == [("N-ACTION", 1, "REQUESTOR"),
                                                  ("N-EVENT-REPORT", 1, "REQUESTOR"),
                                                  ("N-EVENT-REPORT", 2, "REQUESTOR")]
    assert calls[0][2].TransactionUID == info.TransactionUID


# --- report() -------------------------------------------------------------------------------

def test_report_explains_rejected_contexts(scp):
    unknown = "1.2.826.0.1.3680043.2.1143.777"
    contexts = [(VERIFICATION, [IMPLICIT]), (CT, ["1.2.826.0.1.3680043.2.1143.1.2"]),
                (unknown, [EXPLICIT])]
    with _ae().associate(HOST, scp.address[1], contexts=contexts) as assoc:
        report = assoc.report()
        assert "association accepted" in report
        assert "transfer-syntaxes-not-supported" in report, report
        assert "abstract-syntax-not-supported" in report, report
        assert "CT Image Storage" in report, report
        assert list(assoc.accepted_contexts.values()) == [(VERIFICATION, IMPLICIT)]
        with pytest.raises(DicomError, match="CT Image Storage"):
            assoc.store(make_instance(1))


# --- release, abort, context manager --------------------------------------------------------

def test_release_then_calls_fail_and_server_lets_go(scp):
    assoc = _ae().associate(HOST, scp.address[1])
    assert assoc.echo() == 0
    _poll(lambda: scp.active == 1)
    assoc.release()
    assert assoc.is_released and not assoc.is_aborted
    assoc.release()  # twice: nothing happens
    with pytest.raises(NetworkError, match="no longer established"):
        assoc.echo()
    _poll(lambda: scp.active == 0)


def test_abort_then_calls_fail_and_server_lets_go(scp):
    assoc = _ae().associate(HOST, scp.address[1])
    _poll(lambda: scp.active == 1)
    assoc.abort()
    assert assoc.is_aborted
    assoc.abort()
    assoc.release()  # after an abort: nothing to release
    with pytest.raises(NetworkError):
        assoc.store(make_instance(1))
    _poll(lambda: scp.active == 0)


def test_context_manager_releases_or_aborts(scp):
    with _ae().associate(HOST, scp.address[1]) as assoc:
        assert assoc.echo() == 0
    assert assoc.is_released and not assoc.is_aborted
    with pytest.raises(RuntimeError, match="boom"):
        with _ae().associate(HOST, scp.address[1]) as assoc:
            raise RuntimeError("boom")
    assert assoc.is_aborted and not assoc.is_released
    _poll(lambda: scp.active == 0)
    with _ae().associate(HOST, scp.address[1]) as again:  # still serving
        assert again.echo() == 0


def test_peer_aborts_mid_association(out):
    """The server goes away while we hold an association: the next call raises
    NetworkError promptly instead of hanging."""
    server = _ae().serve(0, HOST, storage_dir=str(out), block=False)
    try:
        assoc = _ae(dimse_timeout=5).associate(HOST, server.address[1])
        assert assoc.echo() == 0
    finally:
        server.shutdown()
    started = time.monotonic()
    with pytest.raises(NetworkError):
        assoc.echo()
    assert time.monotonic() - started < 5
    assoc.abort()


def test_dimse_timeout_when_the_peer_never_answers():
    """A C-ECHO handler that does not return in time: the requestor gives up after
    its DIMSE timeout with an error (not a hang)."""
    gate = threading.Event()

    def slow_echo(request, dataset, assoc):
        gate.wait(10)
        return 0

    with serving(_ae(), handlers={"C-ECHO": slow_echo}) as server:
        assoc = _ae(dimse_timeout=0.5).associate(HOST, server.address[1])
        try:
            started = time.monotonic()
            with pytest.raises(NetworkError, match="no response"):
                assoc.echo()
            assert time.monotonic() - started < 5
            assert assoc.is_aborted  # a late response cannot be mistaken for another
        finally:
            gate.set()
            assoc.abort()


# --- rejected associations ------------------------------------------------------------------

def test_rejected_called_ae_title_raises_with_reason():
    ae = _ae("ARCHIVE")
    with serving(ae, policy=ae.policy(require_called_ae_title=True)) as server:
        with pytest.raises(NetworkError) as info:
            _ae().associate(HOST, server.address[1], ae_title="SOMEONE-ELSE")
        text = str(info.value)
        assert "rejected" in text and "called-AE-title-not-recognized" in text, text
        with _ae().associate(HOST, server.address[1], ae_title="ARCHIVE") as assoc:
            assert assoc.echo() == 0


def test_rejected_calling_ae_title_raises_with_reason():
    ae = _ae("ARCHIVE")
    policy = ae.policy(allowed_calling_ae_titles={"FRIEND"})
    with serving(ae, policy=policy) as server:
        with pytest.raises(NetworkError, match="calling-AE-title-not-recognized"):
            _ae("STRANGER").associate(HOST, server.address[1])
        with _ae("FRIEND").associate(HOST, server.address[1]) as assoc:
            assert assoc.echo() == 0


def test_association_limit_rejects_transiently():
    with serving(_ae(), max_associations=1) as server:
        with _ae().associate(HOST, server.address[1]) as first:
            with pytest.raises(NetworkError, match="local-limit-exceeded"):
                _ae().associate(HOST, server.address[1])
            assert first.echo() == 0


def test_nobody_listening_raises_network_error():
    with pytest.raises(NetworkError, match="cannot connect"):
        _ae().associate(HOST, free_port())


# --- store_all: the asynchronous operations window -------------------------------------------

def test_store_all_keeps_requests_in_flight_and_reports_in_order(scp, out, tmp_path):
    """With a window agreed, statuses come back for every source in order; a file that
    cannot be sent takes its error in its own place and the others go on."""
    paths = []
    for number in range(30):
        path = tmp_path / f"in{number}.dcm"
        dicomcore.write(path, make_instance(number), transfer_syntax=EXPLICIT)
        paths.append(path)
    sources = paths[:10] + [tmp_path / "missing.dcm"] + paths[10:]
    with _ae().associate(HOST, scp.address[1], contexts=[(CT, [EXPLICIT])],
                         max_operations=(8, 1)) as assoc:
        assert assoc.negotiation.max_operations_invoked == 8  # the SCP allows any number
        results = list(assoc.store_all(sources))
    assert [source for source, _ in results] == sources
    assert isinstance(results[10][1], OSError)
    assert all(status == 0 for source, status in results if source != sources[10])
    stored = {p.name for p in dicom_files(out)}
    assert stored == {f"{dicomcore.read(p).SOPInstanceUID}.dcm" for p in paths}


def test_store_all_without_a_window_is_one_at_a_time(scp, out, tmp_path):
    path = tmp_path / "one.dcm"
    dicomcore.write(path, make_instance(1), transfer_syntax=EXPLICIT)
    with _ae().associate(HOST, scp.address[1], contexts=[(CT, [EXPLICIT])]) as assoc:
        assert assoc.negotiation.max_operations_invoked == 1
        assert [status for _, status in assoc.store_all([path, path])] == [0, 0]


def test_responses_out_of_order_are_kept_for_their_request():
    """An acceptor may answer requests of the window in any order (PS3.7 D.3.3.3):
    a response to another request in flight is kept until that one is awaited."""
    from dicomcore.ae.association import Association
    from dicomcore.dimse import CStoreRSP, MessageReceived

    class Channel:
        dimse_timeout = 1

        def __init__(self, events):
            self.events = list(events)

        def receive(self):
            return self.events.pop(0)

    responses = [MessageReceived(1, CStoreRSP(message_id_being_responded_to=n,
                                              status=0xB000 + n), b"") for n in (3, 1, 2)]
    assoc = Association.__new__(Association)
    assoc.channel, assoc._operation, assoc._receiving = Channel(responses), None, None
    assoc._early, assoc._awaited = {}, {1, 2, 3}
    assert [assoc._response_to(n).status for n in (1, 2, 3)] == [0xB001, 0xB002, 0xB003]
