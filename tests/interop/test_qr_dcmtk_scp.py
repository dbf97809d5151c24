"""dicomcore's Query/Retrieve SCU (API and CLI) against DCMTK dcmqrscp and a pynetdicom SCP.

dcmqrscp runs single-process on a free port with a config file written here (one
storage area, ANY peer; a HostTable entry for the C-MOVE destination, an in-process
dicomcore Storage SCP); its database is filled with ``dcmqridx``.  Every instance
retrieved (C-GET into a folder, C-MOVE to the destination) is compared with what was
stored: dataset equality and pixel hash.  Processes and servers always stopped.
"""
from __future__ import annotations

import argparse
import json
import shutil

import pytest

import dicomcore
from dicomcore.ae.query import qr_contexts
from dicomcore.cli import query as qcli

from .netutil import (CT, HOST, MR, assert_same, by_instance_uid, dcmtk, dicom_files,
                      free_port, have_dcmtk, leftovers, listening, make_instance, run, serving)

STUDY_1 = "1.2.826.0.1.3680043.8.498.2001"
STUDY_2 = "1.2.826.0.1.3680043.8.498.2002"


def _instances():
    first = [make_instance(i, patient_id="QR-1", study_uid=STUDY_1) for i in range(3)]
    second = [make_instance(20 + i, sop_class=MR, patient_id="QR-2", study_uid=STUDY_2)
              for i in range(2)]
    return first + second


INSTANCES = _instances()


def _ae(title: str = "DICOMCORE") -> dicomcore.ApplicationEntity:
    return dicomcore.ApplicationEntity(title, acse_timeout=10, dimse_timeout=20,
                                       network_timeout=10)


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="dicomcore")
    sub = parser.add_subparsers(dest="command", required=True)
    qcli.add_parser(sub)
    args = parser.parse_args([str(a) for a in argv])
    return args.run(args)


class Peer:
    def __init__(self, port: int, aec: str, dest_dir, dest_aet: str):
        self.port, self.aec, self.dest_dir, self.dest_aet = port, aec, dest_dir, dest_aet

    def associate(self, model: str = "study", **kw):
        return _ae().associate(HOST, self.port, ae_title=self.aec, **qr_contexts(model, **kw))


@pytest.fixture(scope="module")
def dcmqrscp(tmp_path_factory):
    if not have_dcmtk():
        pytest.skip("DCMTK is not installed")
    root = tmp_path_factory.mktemp("dcmqrscp")
    (root / "db").mkdir()
    (root / "files").mkdir()
    files = []
    for n, ds in enumerate(INSTANCES):
        path = root / "files" / f"{n}.dcm"
        dicomcore.write(path, ds)
        files.append(path)
    run([dcmtk("dcmqridx"), root / "db", *files], check=True, timeout=30)
    dest_dir = root / "moved"
    with serving(_ae("MOVEDEST"), storage_dir=str(dest_dir)) as dest:
        port = free_port()
        (root / "dcmqrscp.cfg").write_text(f"""
NetworkTCPPort  = {port}
MaxPDUSize      = 16384
MaxAssociations = 16
HostTable BEGIN
movedest = (MOVEDEST, {HOST}, {dest.address[1]})
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
DCMQRSCP {root / 'db'} RW (200, 1024mb) ANY
AETable END
""")
        # Fork mode (the default): in single-process mode (-s) dcmqrscp 3.6.7 here dies with
        # SIGSEGV once a dicomcore association ends (released or aborted; findscu's do not
        # trigger it), so each association gets its own child, which exits when it ends.
        with listening([dcmtk("dcmqrscp"), "-c", root / "dcmqrscp.cfg", port], port,
                       root / "dcmqrscp.log"):
            yield Peer(port, "DCMQRSCP", dest_dir, "MOVEDEST")


@pytest.fixture(scope="module")
def pynetdicom_scp(tmp_path_factory):
    pytest.importorskip("pynetdicom")
    from .qrpeer import PynetdicomQR

    dest_dir = tmp_path_factory.mktemp("pyqr-moved")
    with serving(_ae("MOVEDEST"), storage_dir=str(dest_dir)) as dest:
        with PynetdicomQR(INSTANCES, destinations={"MOVEDEST": dest.address[1]}) as qr:
            yield Peer(qr.port, "PYQRSCP", dest_dir, "MOVEDEST")


@pytest.fixture(params=["dcmqrscp", "pynetdicom"])
def peer(request):
    return request.getfixturevalue("dcmqrscp" if request.param == "dcmqrscp"
                                   else "pynetdicom_scp")


def _uids(datasets, keyword):
    return sorted(str(ds.get(keyword)) for ds in datasets)


# --- C-FIND -----------------------------------------------------------------------------

def test_find_every_level(peer):
    with peer.associate("study") as assoc:
        studies = list(assoc.find({"PatientID": "", "StudyInstanceUID": "",
                                   "PatientName": ""}))
        series = list(assoc.find({"StudyInstanceUID": STUDY_1, "SeriesInstanceUID": "",
                                  "Modality": ""}, level="SERIES"))
        images = list(assoc.find({"StudyInstanceUID": STUDY_2,
                                  "SeriesInstanceUID": str(INSTANCES[3].SeriesInstanceUID),
                                  "SOPInstanceUID": ""}, level="IMAGE"))
    assert _uids(studies, "StudyInstanceUID") == sorted([STUDY_1, STUDY_2])
    names = {str(d.PatientID): str(d.PatientName) for d in studies}
    assert names["QR-1"].startswith("Müller^Jürgen^")  # ISO_IR 100 decoded
    assert _uids(series, "SeriesInstanceUID") == _uids(INSTANCES[:3], "SeriesInstanceUID")
    assert {str(d.Modality) for d in series} == {"CT"}
    assert _uids(images, "SOPInstanceUID") == [str(INSTANCES[3].SOPInstanceUID)]


def test_find_patient_root(peer):
    with peer.associate("patient") as assoc:
        patients = list(assoc.find({"PatientID": "", "PatientName": ""}, model="patient"))
        studies = list(assoc.find({"PatientID": "QR-2", "StudyInstanceUID": ""},
                                  model="patient", level="STUDY"))
    assert _uids(patients, "PatientID") == ["QR-1", "QR-2"]
    assert _uids(studies, "StudyInstanceUID") == [STUDY_2]


# --- C-GET and C-MOVE -------------------------------------------------------------------

def test_get_study_compares_every_instance(peer, tmp_path):
    out = tmp_path / "got"
    with peer.associate("study", storage_classes=[CT, MR]) as assoc:
        operation = assoc.get({"PatientID": "QR-1", "StudyInstanceUID": STUDY_1},
                              out_dir=str(out))
        progress = list(operation)
    assert operation.status == 0, operation.status
    assert operation.result.failed in (0, None) and progress
    stored = by_instance_uid(dicom_files(out))
    assert sorted(stored) == _uids(INSTANCES[:3], "SOPInstanceUID")
    assert not leftovers(out)
    for ds in INSTANCES[:3]:
        assert_same(ds, stored[str(ds.SOPInstanceUID)])


def test_get_patient_root_patient_level(peer, tmp_path):
    out = tmp_path / "got"
    with peer.associate("patient", storage_classes=[CT, MR]) as assoc:
        operation = assoc.get({"PatientID": "QR-2"}, model="patient", level="PATIENT",
                              out_dir=str(out), layout="study")
        operation.wait()
    assert operation.status == 0
    stored = by_instance_uid(dicom_files(out))
    assert sorted(stored) == _uids(INSTANCES[3:], "SOPInstanceUID")
    for ds in INSTANCES[3:]:
        path = stored[str(ds.SOPInstanceUID)]
        assert path.parent.name == STUDY_2 and path.parent.parent.name == "QR-2"
        assert_same(ds, path)


def test_move_study_to_a_dicomcore_storage_scp(peer):
    with peer.associate("study") as assoc:
        operation = assoc.move({"PatientID": "QR-2", "StudyInstanceUID": STUDY_2},
                               peer.dest_aet)
        progress = list(operation)
    assert operation.status == 0 and operation.result.completed == 2
    assert all(p.status.is_pending for p in progress)
    stored = by_instance_uid(dicom_files(peer.dest_dir))
    for ds in INSTANCES[3:]:
        assert_same(ds, stored[str(ds.SOPInstanceUID)])


def test_move_to_unknown_destination_fails(peer):
    with peer.associate("study") as assoc:
        operation = assoc.move({"PatientID": "QR-2", "StudyInstanceUID": STUDY_2},
                               "NOSUCHAE", raise_on_failure=False)
        list(operation)
        assert operation.status == 0xA801, operation.status
        assert list(assoc.find({"PatientID": "QR-1", "StudyInstanceUID": ""}))  # goes on


# --- the command line -------------------------------------------------------------------

def test_cli_find_table_and_json(peer, capsys):
    assert _cli("find", HOST, peer.port, "--aec", peer.aec, "-k", "PatientID=QR-1",
                "-k", "StudyInstanceUID=", "-k", "0010,0010=", "--timeout", "20") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split("\t") == ["QueryRetrieveLevel", "PatientName", "PatientID",
                                    "StudyInstanceUID"]
    assert len(table) == 2 and STUDY_1 in table[1]
    assert _cli("find", HOST, peer.port, "--aec", peer.aec, "--model", "patient",
                "--level", "series", "-k", "PatientID=QR-1", "-k", f"StudyInstanceUID={STUDY_1}",
                "-k", "SeriesInstanceUID=", "--json") == 0
    found = json.loads(capsys.readouterr().out)
    assert sorted(d["0020000E"]["Value"][0] for d in found) == _uids(INSTANCES[:3],
                                                                        "SeriesInstanceUID")


def test_cli_get_and_move(peer, tmp_path, capsys):
    out = tmp_path / "cli-get"
    assert _cli("get", HOST, peer.port, "--aec", peer.aec, "--out", out,
                "-k", "PatientID=QR-1", "-k", f"StudyInstanceUID={STUDY_1}") == 0
    stored = by_instance_uid(dicom_files(out))
    for ds in INSTANCES[:3]:
        assert_same(ds, stored[str(ds.SOPInstanceUID)])
    assert _cli("move", HOST, peer.port, "--aec", peer.aec, "--dest", peer.dest_aet,
                "-k", "PatientID=QR-1", "-k", f"StudyInstanceUID={STUDY_1}") == 0
    assert _cli("move", HOST, peer.port, "--aec", peer.aec, "--dest", "NOSUCHAE",
                "-k", "PatientID=QR-1", "-k", f"StudyInstanceUID={STUDY_1}") != 0
    shutil.rmtree(out)
