"""dicomcore against pynetdicom, in both roles, in process, every wait bounded."""
from __future__ import annotations

import io
import threading

import pytest

import dicomcore
from dicomcore.errors import NetworkError

from .netutil import (BIG, CT, DEFLATED, EXPLICIT, HOST, IMPLICIT, MR, VERIFICATION,
                      assert_same, by_instance_uid, dicom_files, differences, leftovers,
                      make_instance, pixel_hash, serving)

pynetdicom = pytest.importorskip("pynetdicom")
pydicom = pytest.importorskip("pydicom")


def _pydicom(ds: dicomcore.Dataset, ts: str):
    """The same instance as a pydicom Dataset (through a Part 10 file in memory)."""
    buffer = io.BytesIO()
    dicomcore.write(buffer, ds, transfer_syntax=ts)
    buffer.seek(0)
    return pydicom.dcmread(buffer)


def _pynetdicom_ae(title: str = "PYNETDICOM"):
    ae = pynetdicom.AE(ae_title=title)
    ae.acse_timeout = 10
    ae.dimse_timeout = 20
    ae.network_timeout = 20
    return ae


# --- pynetdicom SCU -> dicomcore SCP -------------------------------------------------------

@pytest.fixture
def scp(tmp_path):
    out = tmp_path / "received"
    seen = []
    ae = dicomcore.ApplicationEntity("DICOMCORE", acse_timeout=10, idle_timeout=20)

    def on_store(instance):
        seen.append(instance)
        return None

    with serving(ae, storage_dir=str(out), on_store=on_store) as server:
        yield server.address[1], out, seen


SYNTAXES = {"implicit": IMPLICIT, "explicit": EXPLICIT, "big": BIG, "deflated": DEFLATED}


def test_pynetdicom_scu_echo_and_store_each_syntax(scp):
    port, out, seen = scp
    ae = _pynetdicom_ae()
    ae.add_requested_context(VERIFICATION)
    for ts in SYNTAXES.values():  # one context per syntax, so each is used on the wire
        ae.add_requested_context(CT, ts)
        ae.add_requested_context(MR, ts)
    assoc = ae.associate(HOST, port, ae_title="DICOMCORE")
    sent = {}
    try:
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0
        for number, ts in enumerate(SYNTAXES.values()):
            for sop_class in (CT, MR):
                ds = make_instance(number, sop_class=sop_class)
                pyds = _pydicom(ds, ts)
                # pynetdicom picks the context by the dataset's syntax
                status = assoc.send_c_store(pyds)
                assert status.Status == 0, (ts, status)
                sent[str(ds.SOPInstanceUID)] = (ds, ts)
    finally:
        if assoc.is_established:
            assoc.release()
        ae.shutdown()
    stored = by_instance_uid(dicom_files(out))
    assert set(stored) == set(sent)
    for uid, (ds, ts) in sent.items():
        assert_same(ds, stored[uid], transfer_syntax=ts)
    assert {i.transfer_syntax for i in seen} == set(SYNTAXES.values())
    assert {i.calling_ae_title for i in seen} == {"PYNETDICOM"}
    assert not leftovers(out)


def test_pynetdicom_scu_store_failure_status_from_on_store(tmp_path):
    ae = dicomcore.ApplicationEntity("DICOMCORE", acse_timeout=10, idle_timeout=20)
    with serving(ae, storage_dir=str(tmp_path), on_store=lambda instance: 0xA701) as server:
        scu = _pynetdicom_ae()
        scu.add_requested_context(CT, EXPLICIT)
        assoc = scu.associate(HOST, server.address[1])
        try:
            assert assoc.is_established
            status = assoc.send_c_store(_pydicom(make_instance(1), EXPLICIT))
            assert status.Status == 0xA701
        finally:
            assoc.release()
            scu.shutdown()


def test_pynetdicom_scu_unaccepted_context_is_refused(tmp_path):
    """A context we do not support is refused with its reason; the others go on."""
    ae = dicomcore.ApplicationEntity("DICOMCORE", acse_timeout=10, idle_timeout=20)
    with serving(ae, storage_dir=str(tmp_path)) as server:
        scu = _pynetdicom_ae()
        scu.add_requested_context(VERIFICATION)
        scu.add_requested_context("1.2.3.4.5.6.7.8")  # no such SOP class
        assoc = scu.associate(HOST, server.address[1])
        try:
            assert assoc.is_established
            results = {c.abstract_syntax: c.result for c in assoc.rejected_contexts}
            assert results == {"1.2.3.4.5.6.7.8": 0x03}  # abstract syntax not supported
            assert assoc.send_c_echo().Status == 0
        finally:
            assoc.release()
            scu.shutdown()


# --- dicomcore SCU -> pynetdicom SCP -------------------------------------------------------

@pytest.fixture
def pynetdicom_scp():
    """A pynetdicom Storage and Verification SCP collecting what it receives."""
    from pynetdicom import AllStoragePresentationContexts, evt
    from pynetdicom.sop_class import Verification

    received = []
    lock = threading.Lock()

    def handle_store(event):
        ds = event.dataset
        ds.file_meta = event.file_meta
        with lock:
            received.append((ds, str(event.context.transfer_syntax)))
        return 0x0000

    ae = _pynetdicom_ae("PYSCP")
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(context.abstract_syntax,
                                 [IMPLICIT, EXPLICIT, BIG, DEFLATED])
    ae.add_supported_context(Verification)
    server = ae.start_server((HOST, 0), block=False,
                             evt_handlers=[(evt.EVT_C_STORE, handle_store)])
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()
        ae.shutdown()


def _as_dicomcore(pyds) -> dicomcore.Dataset:
    buffer = io.BytesIO()
    pyds.save_as(buffer, enforce_file_format=True)
    buffer.seek(0)
    return dicomcore.read(buffer)


@pytest.mark.parametrize("ts", list(SYNTAXES.values()), ids=list(SYNTAXES))
def test_dicomcore_scu_to_pynetdicom_scp(pynetdicom_scp, tmp_path, ts):
    port, received = pynetdicom_scp
    ae = dicomcore.ApplicationEntity("DCSCU", acse_timeout=10, dimse_timeout=20)
    files = []
    for number in range(3):
        path = tmp_path / f"{number}.dcm"
        dicomcore.write(path, make_instance(number, sop_class=(CT, MR)[number % 2]),
                        transfer_syntax=ts)
        files.append(path)
    contexts = [(VERIFICATION, [IMPLICIT]), (CT, [ts]), (MR, [ts])]
    with ae.associate(HOST, port, ae_title="PYSCP", contexts=contexts) as assoc:
        assert assoc.echo() == 0
        for path in files:
            assert assoc.store(str(path)) == 0
        # a Dataset too, encoded in the accepted syntax
        extra = make_instance(9)
        assert assoc.store(extra) == 0
    assert len(received) == 4
    assert {wire for _, wire in received} == {ts}
    got = {str(ds.SOPInstanceUID): ds for ds, _ in received}
    for source in [dicomcore.read(p) for p in files] + [extra]:
        theirs = _as_dicomcore(got[str(source.SOPInstanceUID)])
        assert not differences(source, theirs)
        assert pixel_hash(source) == pixel_hash(theirs)


def test_dicomcore_scu_default_contexts_to_pynetdicom(pynetdicom_scp):
    """associate() with no contexts: Verification and storage classes, uncompressed."""
    port, received = pynetdicom_scp
    ae = dicomcore.ApplicationEntity(acse_timeout=10, dimse_timeout=20)
    with ae.associate(HOST, port, ae_title="PYSCP") as assoc:
        assert len(assoc.accepted_contexts) > 100
        assert assoc.echo() == 0
        assert assoc.store(make_instance(5)) == 0
    assert len(received) == 1


def test_dicomcore_scu_rejected_by_pynetdicom():
    """pynetdicom requiring our called AE title: NetworkError with the reason."""
    ae = _pynetdicom_ae("PICKY")
    ae.require_called_aet = True
    ae.add_supported_context(VERIFICATION)
    server = ae.start_server((HOST, 0), block=False)
    try:
        scu = dicomcore.ApplicationEntity(acse_timeout=10, dimse_timeout=10)
        with pytest.raises(NetworkError) as info:
            scu.associate(HOST, server.server_address[1], ae_title="WRONG")
        assert "called" in str(info.value).lower(), str(info.value)
        with scu.associate(HOST, server.server_address[1], ae_title="PICKY") as assoc:
            assert assoc.echo() == 0
    finally:
        server.shutdown()
        ae.shutdown()
