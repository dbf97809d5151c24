"""The Storage SCP under load and abuse: concurrency, vanishing peers, hostile names,
malformed messages, unknown classes, unparsable data sets, memory, handlers, layouts.

Every server is in process on 127.0.0.1 (port chosen by the kernel) and shut down by
the fixture; every wait has a deadline.
"""
from __future__ import annotations

import gc
import os
import resource
import struct
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

import dicomcore
from dicomcore import Dataset
from dicomcore.dimse import CEchoRQ, CStoreRQ, encode_command
from dicomcore.errors import NetworkError
from dicomcore.pdu.pdus import PDV
from dicomcore.pdu.primitives import PDataRequest
from dicomcore.transport import value_copy
from dicomcore.transport.value_copy import ValueCopier

from interop.netutil import (CT, EXPLICIT, HOST, IMPLICIT, MR, VERIFICATION, assert_same,
                             by_instance_uid, cli_env, dicom_files, dicomcore_cmd,
                             leftovers, make_instance, run, serving)

DEADLINE = 10.0


def _ae(title: str = "DICOMCORE") -> dicomcore.ApplicationEntity:
    return dicomcore.ApplicationEntity(title, acse_timeout=10, dimse_timeout=20,
                                       idle_timeout=20)


def _poll(condition, timeout: float = DEADLINE, what: str = "condition") -> None:
    """Wait for a server thread to reach ``condition`` (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached within {timeout} s")


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def scp(out):
    with serving(_ae(), storage_dir=str(out), max_associations=20) as server:
        yield server


def _assoc(server, contexts=None, title="SCU"):
    contexts = contexts or [(VERIFICATION, [IMPLICIT]), (CT, [EXPLICIT, IMPLICIT]),
                            (MR, [EXPLICIT])]
    return _ae(title).associate(HOST, server.address[1], contexts=contexts)


def _raw_store(assoc, ds: Dataset, data: bytes, *, message_id: int = 77,
               sop_class: str | None = None, last: bool = True):
    """A C-STORE-RQ command, then ``data`` as the data set (one PDV), sent by hand."""
    sop_class = sop_class or str(ds.SOPClassUID)
    context = assoc.context_for(str(ds.SOPClassUID))
    request = CStoreRQ(message_id=message_id, affected_sop_class_uid=sop_class,
                       affected_sop_instance_uid=str(ds.SOPInstanceUID))
    request.data_set_type = 0x0000
    command = b"".join(bytes(c) for c in _chunks(encode_command(request)))
    assoc.conn.send(PDataRequest([PDV(context, 0x03, command)]))
    assoc.conn.send(PDataRequest([PDV(context, 0x02 if last else 0x00, data)]))
    return context


def _chunks(command):
    return command if isinstance(command, (list, tuple)) else [command]


def _encoded(ds: Dataset) -> bytes:
    """The data set in Explicit VR Little Endian, without File Meta Information."""
    from dicomcore.dataset.encode import encode_dataset

    return b"".join(bytes(p) for p in encode_dataset(ds, True, True))


# --- concurrency --------------------------------------------------------------------------

def test_twenty_simultaneous_associations_lose_and_mix_nothing(scp, out):
    per_thread, threads = 5, 20
    sent: dict[str, Dataset] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads, timeout=30)
    lock = threading.Lock()

    def worker(number: int) -> None:
        try:
            datasets = [make_instance(number * 100 + i, seed=number,
                                      sop_class=(CT, MR)[i % 2]) for i in range(per_thread)]
            with _assoc(scp, title=f"SCU{number}") as assoc:
                barrier.wait()  # all 20 established at once before anyone stores
                for ds in datasets:
                    assert assoc.store(ds) == 0
            with lock:
                sent.update({str(ds.SOPInstanceUID): ds for ds in datasets})
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)
            barrier.abort()

    workers = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(60)
    assert not any(t.is_alive() for t in workers), "a storing thread did not finish"
    assert not errors, errors[:3]
    stored = by_instance_uid(dicom_files(out))
    assert len(stored) == threads * per_thread == len(sent)
    for uid, ds in sent.items():
        got = assert_same(ds, stored[uid])
        assert str(got.file_meta.get(0x00020016)).startswith("SCU")
    assert not leftovers(out)


# --- peers that vanish --------------------------------------------------------------------

@pytest.mark.parametrize("ending", ["abort", "close"])
def test_peer_gone_mid_store_leaves_no_file(scp, out, ending):
    ds = make_instance(1, rows=256, columns=256)
    data = _encoded(ds)
    assoc = _assoc(scp)
    _raw_store(assoc, ds, data[: len(data) // 2], last=False)
    # the SCP has the .part file open; wait until it has seen the fragment
    _poll(lambda: any(out.glob(".*.part")), what="temporary file created")
    if ending == "abort":
        assoc.abort()
    else:
        assoc.conn.close()
    _poll(lambda: not leftovers(out) and scp.active == 0, what="temporary file removed")
    assert not dicom_files(out)
    # the server serves the next association
    with _assoc(scp) as again:
        assert again.echo() == 0
        assert again.store(ds) == 0
    assert_same(ds, dicom_files(out)[0])


@pytest.mark.parametrize("way", ["splice", "recv"])
def test_peer_gone_mid_delivered_value_leaves_no_file(scp, out, way, monkeypatch):
    """The peer announces a 200 KB fragment, sends part of it and closes: whichever
    way the value was going to the file, nothing complete-looking is left, no pipe
    or descriptor outlives the association, and the server goes on."""
    monkeypatch.setattr(ValueCopier, "prefers_splice",
                        lambda self: self.can_splice and way == "splice")
    ways = []  # spliced or not, piece by piece
    record = ValueCopier.record

    def counted(self, spliced, n, ns):
        ways.append(spliced)
        record(self, spliced, n, ns)

    monkeypatch.setattr(ValueCopier, "record", counted)
    before = len(os.listdir("/proc/self/fd"))
    ds = make_instance(1, rows=512, columns=512)
    data = _encoded(ds)
    assoc = _assoc(scp)
    context = _raw_store(assoc, ds, data[:100_000], last=False)  # past what is kept in memory
    _poll(lambda: any(p.stat().st_size > 100_000 for p in out.glob(".*.part")),
          what="the first fragment written")
    value = data[100_000:300_000]
    header = struct.pack(">BBIIBB", 0x04, 0, len(value) + 6, len(value) + 2, context, 0x00)
    assoc.conn.sock.sendall(header + value[:50_000])  # the SCP starts delivering this value
    _poll(lambda: any(p.stat().st_size > 150_000 for p in out.glob(".*.part")),
          what="the value's first bytes written")
    assoc.conn.sock.sendall(value[50_000:150_000])  # these go the forced way
    _poll(lambda: any(p.stat().st_size > 250_000 for p in out.glob(".*.part")),
          what="more of the value written")
    assoc.conn.close()
    _poll(lambda: not leftovers(out) and scp.active == 0, what="temporary file removed")
    assert not dicom_files(out)
    _poll(lambda: len(os.listdir("/proc/self/fd")) <= before, what="descriptors closed")
    assert ways and set(ways) == {way == "splice"}
    with _assoc(scp) as again:
        assert again.store(ds) == 0
    assert_same(ds, dicom_files(out)[0])


# --- names from received values -----------------------------------------------------------

HOSTILE = [("flat", {"SOPInstanceUID": "../../etc/x"}),
           ("flat", {"SOPInstanceUID": "..\\..\\evil"}),
           ("patient", {"PatientID": "../../x"}),
           ("patient", {"PatientID": "/etc/passwd"}),
           ("study", {"PatientID": "..", "StudyInstanceUID": "../../../y"}),
           ("study", {"PatientID": "a/../../b", "StudyInstanceUID": ".."})]


@pytest.mark.parametrize("layout,values", HOSTILE, ids=[f"{l}-{i}" for i, (l, _) in
                                                        enumerate(HOSTILE)])
def test_path_traversal_stays_inside_the_folder(tmp_path, layout, values):
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    ds = make_instance(2)
    for keyword, value in values.items():
        ds.add(keyword, "LO" if keyword == "PatientID" else "UI", value)
    with serving(_ae(), storage_dir=str(out), layout=layout) as server:
        with _assoc(server) as assoc:
            context = assoc.context_for(CT)
            request = CStoreRQ(message_id=5, affected_sop_class_uid=CT,
                               affected_sop_instance_uid=str(ds.SOPInstanceUID))
            assoc.channel.send(context, request, ds)
            status = assoc._response_to(5).status
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    if status == 0:
        assert len(files) == 1, files
        stored = files[0].resolve()
        assert stored.is_relative_to(out.resolve()), stored
        for part in stored.relative_to(out.resolve()).parts:
            assert part not in ("", ".", "..") and "/" not in part and "\\" not in part
        assert_same(ds, stored)
    else:  # refused: then nothing at all was written
        assert status >= 0xA000, hex(status)
        assert files == [], files


# --- malformed and unexpected requests ----------------------------------------------------

def _command(*elements: tuple[int, bytes]) -> bytes:
    """A command set in Implicit VR Little Endian from (tag, value) pairs."""
    body = b"".join(struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(value)) + value
                    for tag, value in elements)
    return struct.pack("<HHII", 0, 0, 4, len(body)) + body


def test_garbage_command_set_then_association_goes_on(scp):
    with _assoc(scp) as assoc:
        assoc.conn.send(PDataRequest([PDV(1, 0x03, b"\x13\x37" * 41 + b"garbage!")]))
        assert assoc.echo() == 0  # answered: the garbage was skipped, not fatal


def test_command_missing_required_field_gets_failure_response(scp):
    """A C-ECHO-RQ without its Affected SOP Class UID: a failure response to its
    Message ID, then the association goes on."""
    with _assoc(scp) as assoc:
        command = _command((0x00000100, struct.pack("<H", 0x0030)),   # C-ECHO-RQ
                           (0x00000110, struct.pack("<H", 4242)),     # Message ID
                           (0x00000800, struct.pack("<H", 0x0101)))   # no data set
        assoc.conn.send(PDataRequest([PDV(1, 0x03, command)]))
        response = assoc._response_to(4242)
        assert response.status == 0x0110, hex(response.status)  # processing failure
        assert 0x00000002 in (response.offending_element or []), response
        assert assoc.echo() == 0


def test_store_sop_class_not_matching_context_is_0122(scp, out):
    """C-STORE of an MR instance on the CT context, and of a CT instance on the
    Verification context: 0x0122, nothing stored, association goes on."""
    with _assoc(scp) as assoc:
        ds = make_instance(3, sop_class=MR)
        ct_context = assoc.context_for(CT)
        assoc.channel.send(ct_context, CStoreRQ(message_id=11, affected_sop_class_uid=MR,
                           affected_sop_instance_uid=str(ds.SOPInstanceUID)), ds)
        assert assoc._response_to(11).status == 0x0122
        ct = make_instance(4)
        assoc.channel.send(assoc.context_for(VERIFICATION), CStoreRQ(
            message_id=12, affected_sop_class_uid=CT,
            affected_sop_instance_uid=str(ct.SOPInstanceUID)), ct)
        assert assoc._response_to(12).status == 0x0122
        assert assoc.echo() == 0
        assert assoc.store(ct) == 0
    assert [p.name for p in dicom_files(out)] == [f"{ct.SOPInstanceUID}.dcm"]


def test_unknown_sop_class_context_rejected_and_store_raises(scp):
    """A context for a SOP class the SCP does not know is refused (reason in the
    report); storing such an instance raises before anything is sent."""
    unknown = "1.2.826.0.1.3680043.2.1143.999.1"
    with _assoc(scp, contexts=[(VERIFICATION, [IMPLICIT]), (unknown, [EXPLICIT])]) as assoc:
        assert "abstract-syntax-not-supported" in assoc.report()
        ds = make_instance(5, sop_class=unknown)
        with pytest.raises(dicomcore.DicomError) as info:
            assoc.store(ds)
        assert unknown in str(info.value)
        assert assoc.echo() == 0


def test_pdv_on_a_context_never_accepted(scp):
    """P-DATA on context id 99 (never proposed): the SCP aborts that association
    (A-ABORT, provider, invalid PDU parameter); the server itself goes on."""
    assoc = _assoc(scp)
    try:
        command = encode_command(CEchoRQ(message_id=9, affected_sop_class_uid=VERIFICATION))
        command = b"".join(bytes(c) for c in _chunks(command))
        assoc.conn.send(PDataRequest([PDV(99, 0x03, command)]))
        with pytest.raises(NetworkError, match="aborted by the peer"):
            assoc._response_to(9)
        assert assoc.is_aborted
    finally:
        assoc.abort()
    with _assoc(scp) as again:
        assert again.echo() == 0


@pytest.mark.filterwarnings("ignore::dicomcore.errors.DecodeWarning")
@pytest.mark.parametrize("data", [b"\xff" * 64,
                                  # (0010,0010) PN announcing 1000 bytes, holding 6
                                  b"\x10\x00\x10\x00PN\xe8\x03Smith^",
                                  # a sequence item that never ends
                                  b"\x08\x00\x40\x11SQ\x00\x00\xff\xff\xff\xff"
                                  b"\xfe\xff\x00\xe0\xff\xff\xff\xff\x10\x00"],
                         ids=["ff-bytes", "short-value", "open-item"])
def test_unparsable_data_set_is_c000_range(scp, out, data):
    with _assoc(scp) as assoc:
        ds = make_instance(6)
        _raw_store(assoc, ds, data)
        status = assoc._response_to(77).status
        assert 0xC000 <= status <= 0xCFFF, hex(status)
        assert assoc.echo() == 0
    assert not dicom_files(out) and not leftovers(out)


def test_data_set_uid_differing_from_command_is_refused(scp, out):
    with _assoc(scp) as assoc:
        ds = make_instance(7)
        other = ds.copy()
        other.SOPInstanceUID = dicomcore.generate_uid()
        _raw_store(assoc, ds, _encoded(other))
        assert assoc._response_to(77).status == 0xA900
    assert not dicom_files(out) and not leftovers(out)


# --- memory -------------------------------------------------------------------------------

def test_64_mb_instance_streams_to_disk(tmp_path, out):
    """The SCP's memory (tracemalloc peak of this process, the SCU being another
    process) stays under 16 MB while a 64 MB instance arrives."""
    source = tmp_path / "big.dcm"
    big = make_instance(8, rows=4096, columns=8192)  # 64 MiB of pixels
    dicomcore.write(source, big, transfer_syntax=EXPLICIT)
    expected = big[0x7FE00010].value[:1 << 20], big[0x7FE00010].value[-(1 << 20):]
    del big
    gc.collect()
    tracemalloc.start()
    try:
        with serving(_ae(), storage_dir=str(out)) as server:
            proc = run(dicomcore_cmd("store", HOST, server.address[1], "--timeout", "60",
                                     "--max-pdu", "65536", source),
                       env=cli_env(), timeout=120)
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert proc.returncode == 0, proc.stderr
    assert peak < 16 * 2 ** 20, f"peak {peak / 2 ** 20:.1f} MB"
    [stored] = dicom_files(out)
    assert stored.stat().st_size >= 64 * 2 ** 20
    got = dicomcore.read(stored)
    pixels = got[0x7FE00010].value
    assert len(pixels) == 64 * 2 ** 20
    assert (pixels[:1 << 20], pixels[-(1 << 20):]) == expected
    assert_same(source, stored)


# --- handlers and layouts -----------------------------------------------------------------

def test_on_store_status_propagates(out):
    seen = []

    def on_store(instance):
        seen.append(instance)
        number = int(instance.header.InstanceNumber)
        if number == 1:
            return 0xB000  # a warning
        if number == 2:
            return 0xA700  # out of resources
        if number == 3:
            raise RuntimeError("handler bug")
        return None

    with serving(_ae(), storage_dir=str(out), on_store=on_store) as server:
        with _assoc(server, title="HANDLER") as assoc:
            statuses = [assoc.store(make_instance(n)) for n in range(4)]
    assert [int(s) for s in statuses] == [0, 0xB000, 0xA700, 0xC001]
    assert [s.category for s in statuses][:3] == ["Success", "Warning", "Failure"]
    assert [i.calling_ae_title for i in seen] == ["HANDLER"] * 4
    assert all(Path(i.path).is_file() for i in seen)
    assert seen[0].dataset().SOPInstanceUID == seen[0].sop_instance_uid


def test_on_store_without_folder_removes_the_file():
    kept = []

    def on_store(instance):
        kept.append((instance.path, instance.dataset()))

    with serving(_ae(), on_store=on_store) as server:
        with _assoc(server) as assoc:
            ds = make_instance(9)
            assert assoc.store(ds) == 0
    [(path, got)] = kept
    assert got.SOPInstanceUID == ds.SOPInstanceUID
    assert not Path(path).exists()


@pytest.mark.parametrize("layout", ["flat", "study", "patient"])
def test_layouts(out, layout):
    study = dicomcore.generate_uid()
    sent = [make_instance(n, patient_id=f"PAT{n % 2}", study_uid=study) for n in range(4)]
    with serving(_ae(), storage_dir=str(out), layout=layout) as server:
        with _assoc(server) as assoc:
            for ds in sent:
                assert assoc.store(ds) == 0
    for ds in sent:
        name = f"{ds.SOPInstanceUID}.dcm"
        expected = {"flat": out / name,
                    "study": out / ds.PatientID / study / name,
                    "patient": out / ds.PatientID / name}[layout]
        assert expected.is_file(), sorted(out.rglob("*"))
        assert_same(ds, expected)
    assert len(dicom_files(out)) == 4


def test_unknown_layout_is_refused():
    with pytest.raises(ValueError):
        _ae().serve(0, HOST, storage_dir="/nonexistent", layout="by-date", block=False)


def test_instances_over_the_size_limit_are_refused_and_not_kept(out):
    """A configured limit on the data set size: A700, nothing written, association goes on."""
    with serving(_ae(), storage_dir=str(out), max_instance_size=64 * 1024) as server:
        small, big = make_instance(1), make_instance(2, rows=256, columns=256)
        small.SOPInstanceUID = "1.2.826.0.1.3680043.10.1078.900.1"
        assert len(big.PixelData) > 64 * 1024
        with _assoc(server) as assoc:
            assert assoc.store(big) == 0xA700
            assert assoc.store(small) == 0
        names = sorted(p.name for p in Path(out).iterdir())
        assert names == ["1.2.826.0.1.3680043.10.1078.900.1.dcm"]


def test_a_flood_of_bad_peers_does_not_starve_a_good_one(out):
    """Many connections sending garbage or nothing at once; a real association still works."""
    import socket

    with serving(_ae(), storage_dir=str(out), max_associations=4) as server:
        bad = []
        try:
            for n in range(40):
                sock = socket.create_connection((HOST, server.address[1]), timeout=5)
                bad.append(sock)
                if n % 2:
                    try:  # a lying PDU length: aborted at once (or, past the limits, closed)
                        sock.sendall(b"\x01\x00\xff\xff\xff\xff" + b"\0" * 64)
                        assert sock.recv(16)[:1] in (b"\x07", b"")
                    except ConnectionResetError:
                        pass
            _poll(lambda: server.active <= 4, what="server settled")
        finally:
            for sock in bad:
                sock.close()
        _poll(lambda: server.active == 0, what="silent peers dropped")
        with _assoc(server) as assoc:
            assert assoc.echo() == 0


# --- large instances: file regions out, values delivered to the file as they arrive --------

@pytest.mark.parametrize("max_pdu", [16384, 131072, 1 << 20, 0])
def test_large_instances_arrive_intact_at_every_pdu_size(tmp_path, out, max_pdu):
    """Files go out as FileRegions (read as they are sent) and their fragments into the file
    as they arrive (UpperLayer.value_sink); whatever the PDU size, what is stored is
    what was sent."""
    paths = []
    for number, (rows, columns) in enumerate([(600, 600), (1024, 700), (8, 8)]):
        path = tmp_path / f"in{number}.dcm"
        dicomcore.write(path, make_instance(number, rows=rows, columns=columns),
                        transfer_syntax=EXPLICIT)
        paths.append(path)
    with serving(dicomcore.ApplicationEntity("BIGSCP", max_pdu_length=max_pdu,
                                             idle_timeout=20), storage_dir=str(out)) as server:
        with _ae().associate(HOST, server.address[1], contexts=[(CT, [EXPLICIT])]) as assoc:
            for path in paths * 2:  # the same instances again: replaced, still whole
                assert assoc.store(path) == 0
    stored = by_instance_uid(dicom_files(out))
    assert len(stored) == len(paths)
    for path in paths:
        sent = dicomcore.read(path)
        got = stored[str(sent.SOPInstanceUID)]
        assert_same(path, got)
        if path.stat().st_size > 1 << 17:  # past the headers, byte for byte
            assert got.read_bytes()[-(1 << 16):] == path.read_bytes()[-(1 << 16):]
    assert leftovers(out) == []


@pytest.mark.parametrize("way", ["chosen", "splice", "recv"])
@pytest.mark.parametrize("max_pdu", [1 << 20, 0])  # PDUs larger than a receive: delivered
def test_delivered_values_reach_the_file_either_way(tmp_path, out, max_pdu, way, monkeypatch):
    """A delivered value goes to its file by os.splice or through the reused buffer:
    both while ValueCopier samples, or one way when forced; the file is the same."""
    pieces = {True: 0, False: 0}  # pieces recorded, spliced or not
    record = ValueCopier.record

    def counted(self, spliced, n, ns):
        pieces[spliced] += 1
        record(self, spliced, n, ns)

    monkeypatch.setattr(ValueCopier, "record", counted)
    monkeypatch.setattr(value_copy, "SAMPLE", 1 << 20)  # sample both ways within 8 MiB
    if way != "chosen":
        monkeypatch.setattr(ValueCopier, "prefers_splice",
                            lambda self: self.can_splice and way == "splice")
    path = tmp_path / "eight.dcm"
    dicomcore.write(path, make_instance(1, rows=2048, columns=2048), transfer_syntax=EXPLICIT)
    with serving(dicomcore.ApplicationEntity("BIGSCP", max_pdu_length=max_pdu,
                                             idle_timeout=20), storage_dir=str(out)) as server:
        with _ae().associate(HOST, server.address[1], contexts=[(CT, [EXPLICIT])]) as assoc:
            assert assoc.store(path) == 0
    [got] = dicom_files(out)
    assert_same(path, got)
    assert got.read_bytes()[-(1 << 22):] == path.read_bytes()[-(1 << 22):]
    assert leftovers(out) == []
    assert (pieces[True] > 0) == (way != "recv")
    assert (pieces[False] > 0) == (way != "splice")


@pytest.mark.parametrize("way", ["splice", "recv"])
def test_a_file_the_disk_refuses_is_answered_a700_and_not_kept(tmp_path, out, way,
                                                                monkeypatch):
    """The file system refuses part of a large instance (RLIMIT_FSIZE here, as a full
    disk would): whichever way the value was going to the file, the C-STORE is
    answered Out of Resources, nothing is left, and the association goes on."""
    monkeypatch.setattr(ValueCopier, "prefers_splice",
                        lambda self: self.can_splice and way == "splice")
    refusals = []
    splice = ValueCopier.splice

    def watched(self, fd, left):
        try:
            return splice(self, fd, left)
        except value_copy.SpliceRefused as refused:
            refusals.append(len(refused.rest))
            raise

    monkeypatch.setattr(ValueCopier, "splice", watched)
    big, small = tmp_path / "big.dcm", tmp_path / "small.dcm"
    dicomcore.write(big, make_instance(1, rows=2048, columns=2048), transfer_syntax=EXPLICIT)
    dicomcore.write(small, make_instance(2), transfer_syntax=EXPLICIT)
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    with serving(dicomcore.ApplicationEntity("FULL", max_pdu_length=1 << 20),
                 storage_dir=str(out)) as server:
        with _ae().associate(HOST, server.address[1], contexts=[(CT, [EXPLICIT])]) as assoc:
            resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, limits[1]))
            try:
                status = assoc.store(big)
            finally:
                resource.setrlimit(resource.RLIMIT_FSIZE, limits)
            assert status == 0xA700
            assert assoc.store(small) == 0
    assert [p.name for p in dicom_files(out)] == [f"{dicomcore.read(small).SOPInstanceUID}.dcm"]
    assert leftovers(out) == []
    assert (len(refusals) == 1 and refusals[0] > 0) if way == "splice" else not refusals


def test_refusal_by_size_limit_also_for_delivered_fragments(tmp_path, out):
    """The size limit is checked before a fragment is handed to the file."""
    path = tmp_path / "big.dcm"
    dicomcore.write(path, make_instance(1, rows=1024, columns=1024), transfer_syntax=EXPLICIT)
    with serving(dicomcore.ApplicationEntity("LIMIT", max_pdu_length=1 << 20),
                 storage_dir=str(out), max_instance_size=1 << 20) as server:
        with _ae().associate(HOST, server.address[1], contexts=[(CT, [EXPLICIT])]) as assoc:
            assert assoc.store(path) == 0xA700
            small = tmp_path / "small.dcm"  # the association goes on: this one is stored
            dicomcore.write(small, make_instance(2), transfer_syntax=EXPLICIT)
            assert assoc.store(small) == 0
    assert [p.name for p in dicom_files(out)] == [f"{dicomcore.read(small).SOPInstanceUID}.dcm"]
