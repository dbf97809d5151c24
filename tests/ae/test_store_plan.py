"""``ae.storeplan``: files spread over associations of at most 128 presentation contexts.

The planner's invariants by hypothesis; real files of many SOP classes x syntaxes
(more than 128 pairs) sent over several associations to dicomcore's own SCP and to
DCMTK's storescp, with the API and with ``dicomcore store``.  127.0.0.1 only, free
ports, every server stopped by the test that started it.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore.ae import storeplan
from dicomcore.ae.entity import UNCOMPRESSED
from dicomcore.dataset.uid import STORAGE_SOP_CLASSES
from dicomcore.errors import DicomError
from dicomcore.pdu.negotiation import MAX_CONTEXTS

from interop.netutil import (BIG, EXPLICIT, HOST, IMPLICIT, by_instance_uid, cli_env, dcmtk,
                             dicom_files, dicomcore_cmd, free_port, listening,
                             make_instance, run, serving)

SYNTAXES = [IMPLICIT, EXPLICIT, BIG]


def _ae() -> dicomcore.ApplicationEntity:
    return dicomcore.ApplicationEntity("DICOMCORE", acse_timeout=10, dimse_timeout=20,
                                       idle_timeout=20)


def _many(folder: Path, classes: int, syntaxes=SYNTAXES) -> list[Path]:
    """One small file per (SOP class, syntax): ``classes`` x len(syntaxes) files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, sop_class in enumerate(str(u) for u in STORAGE_SOP_CLASSES[:classes]):
        for syntax in syntaxes:
            ds = make_instance(n, sop_class=sop_class, rows=2, columns=2)
            path = folder / f"{n:03d}-{syntax}.dcm"
            dicomcore.write(path, ds, transfer_syntax=syntax)
            paths.append(path)
    return paths


# --- the plan ----------------------------------------------------------------------------

_CONTEXTS = st.tuples(st.sampled_from([f"1.2.{n}" for n in range(90)]),
                      st.sampled_from([(IMPLICIT,), (EXPLICIT,), (BIG,), tuple(UNCOMPRESSED)]))


@settings(max_examples=200, deadline=None)
@given(needs=st.lists(st.one_of(st.none(), st.lists(_CONTEXTS, min_size=1, max_size=3,
                                                     unique=True)), max_size=120),
       limit=st.integers(2, MAX_CONTEXTS))
def test_plan_invariants(needs, limit):
    """Every file in exactly one batch; no batch over the limit; each file's contexts in
    its batch; the given order kept within a batch; a file that cannot be sent (None
    here) refused without a context; no batch opened that an earlier one had room for."""
    def contexts_of(i):
        if needs[i] is None:
            raise DicomError(f"file {i}: unreadable")
        return list(needs[i])

    batches = storeplan.plan(range(len(needs)), limit, contexts_of=contexts_of)
    placed = [i for b in batches for i in b.files] + [i for b in batches for i, _ in b.refused]
    assert sorted(placed) == list(range(len(needs)))
    for batch in batches:
        assert len(batch.contexts) <= limit
        assert len(set(batch.contexts)) == len(batch.contexts)
        assert batch.files == sorted(batch.files)
        for i in batch.files:
            assert set(needs[i][:limit]) <= set(batch.contexts)
        for i, exc in batch.refused:
            assert needs[i] is None and "unreadable" in str(exc)
    for n, batch in enumerate(batches[1:], 1):  # first-fit: its first file fitted nowhere
        if batch.files:
            first = needs[batch.files[0]][:limit]
            for earlier in batches[:n]:
                before = [c for i in earlier.files if i < batch.files[0] for c in needs[i]]
                assert len(set(before) | set(first)) > limit


def test_plan_of_real_files_more_than_128_pairs(tmp_path):
    """70 classes x 3 syntaxes: 4 contexts a class (3 own, 1 fallback) = 280, so three
    associations; files of one class stay together."""
    paths = _many(tmp_path, 70)
    batches = storeplan.plan(paths)
    assert [len(b.contexts) for b in batches] == [128, 128, 24]
    assert sum(len(b.files) for b in batches) == len(paths) == 210
    for batch in batches:
        classes = {c for c, _ in batch.contexts}
        assert all(len([c for c, _ in batch.contexts if c == k]) == 4 for k in classes)


def test_plan_refuses_what_cannot_be_sent_and_names_why(tmp_path):
    good = _many(tmp_path / "good", 1, [EXPLICIT])[0]
    no_uids = tmp_path / "no-uids.dcm"
    ds = dicomcore.Dataset()
    ds.PatientName = "Doe^Jane"
    no_uids.write_bytes(dicomcore.dataset.encode.encode_dataset_bytes(ds, True, False))
    missing = tmp_path / "missing.dcm"
    batches = storeplan.plan([no_uids, good, missing])
    assert [b.files for b in batches] == [[good]]
    reasons = {p: str(e) for p, e in batches[0].refused}
    assert "no SOP Class UID (0008,0016) and SOP Instance UID (0008,0018)" in reasons[no_uids]
    assert "No such file" in reasons[missing]


def test_store_files_with_nothing_to_send_needs_no_peer(tmp_path):
    """Only unreadable files: each error is reported, no association is attempted."""
    missing = tmp_path / "missing.dcm"
    results = list(storeplan.store_files(_ae(), HOST, free_port(), [missing]))
    assert [(p, type(e)) for p, e in results] == [(missing, FileNotFoundError)]


def test_plan_does_not_warn_about_stale_meta(tmp_path, caplog):
    """The warning about a stale meta is given once, when the file is sent."""
    ds = make_instance(0)
    path = tmp_path / "a.dcm"
    dicomcore.write(path, ds)
    data = path.read_bytes()
    uid = str(ds.SOPInstanceUID).encode()
    path.write_bytes(data.replace(uid, uid[:-1] + (b"7" if uid[-1:] != b"7" else b"8"), 1))
    with caplog.at_level(logging.WARNING, logger="dicomcore"):
        storeplan.plan([path])
    assert not caplog.records


# --- over the network --------------------------------------------------------------------

def test_store_files_over_several_associations_to_dicomcore(tmp_path):
    """More than 128 pairs through the API: every file stored, on three associations."""
    paths = _many(tmp_path / "in", 70)
    out = tmp_path / "out"
    opened = []
    ae = _ae()
    real_associate = ae.associate

    def counting(*args, **kwargs):
        opened.append(len(kwargs["contexts"]))
        return real_associate(*args, **kwargs)

    ae.associate = counting
    with serving(_ae(), storage_dir=str(out)) as server:
        results = list(storeplan.store_files(ae, HOST, server.address[1], paths, window=8))
    assert opened == [128, 128, 24]
    assert sorted(p for p, _ in results) == sorted(paths)
    assert all(status == 0 for _, status in results), results
    stored = by_instance_uid(dicom_files(out))
    assert len(stored) == len(paths)


def test_cli_store_more_than_128_pairs_to_dcmtk_storescp(tmp_path):
    """``dicomcore store`` of 210 files in 280 contexts into DCMTK's storescp: every file
    accepted and written, over three associations (storescp's log counts them)."""
    paths = _many(tmp_path / "in", 70)
    out = tmp_path / "out"
    out.mkdir()
    port = free_port()
    log = tmp_path / "storescp.log"
    # -pm: DCMTK 3.6.7 does not know every class dicomcore's registry has
    with listening([dcmtk("storescp"), "-v", "-pm", "+xa", "-ta", "10", "-td", "20",
                    "-aet", "STORESCP", "-od", out, port], port, log):
        proc = run(dicomcore_cmd("store", HOST, port, "--aec", "STORESCP", "-r",
                                 tmp_path / "in"), env=cli_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"sent {len(paths)} of {len(paths)} file(s), 0 failed" in proc.stdout
    assert len(re.findall(r"Association Acknowledged", log.read_text())) == 3  # not the probe
    stored = by_instance_uid(dicom_files(out))
    sent = {str(dicomcore.read(p).SOPInstanceUID) for p in paths}
    assert set(stored) == sent
