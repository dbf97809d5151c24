"""The same SOP Instance stored at the same moment by several associations into the
archive: each store gets Success (or, with ``on_duplicate="reject"``, Duplicate SOP
Instance 0111H for all but one), never a failure, and the archive holds it once."""
from __future__ import annotations

import threading

import pytest

import dicomcore
from dicomcore.ae.archive import Archive

from interop.netutil import EXPLICIT, HOST, make_instance, serving

THREADS = 6
ROUNDS = 8


def _store_together(port: int, datasets: list) -> list:
    """Each dataset from its own association, all sent at one instant; the statuses."""
    barrier = threading.Barrier(len(datasets), timeout=30)
    statuses: list = [None] * len(datasets)
    errors: list = []

    def client(n: int) -> None:
        ae = dicomcore.ApplicationEntity(f"SCU{n}", acse_timeout=10, dimse_timeout=20)
        try:
            with ae.associate(HOST, port, ae_title="ARCHIVE",
                              contexts=[(str(datasets[n].SOPClassUID), [EXPLICIT])]) as assoc:
                barrier.wait()
                statuses[n] = int(assoc.store(datasets[n]))
        except Exception as exc:  # reported below
            errors.append(repr(exc))
            barrier.abort()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(len(datasets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]
    return statuses


@pytest.mark.parametrize("policy", ["replace", "keep", "reject"])
def test_same_instance_from_several_associations_at_once(tmp_path, policy):
    archive = Archive(str(tmp_path / "db"), on_duplicate=policy, durable=False)
    ae = dicomcore.ApplicationEntity("ARCHIVE", acse_timeout=10, idle_timeout=20)
    study = dicomcore.generate_uid()
    try:
        with serving(ae, archive=archive) as server:
            for round_ in range(ROUNDS):
                ds = make_instance(round_, study_uid=study)
                copies = []
                for n in range(THREADS):  # same UIDs; the content differs a little
                    copy = ds.copy()
                    copy.InstanceNumber = str(n)
                    copies.append(copy)
                statuses = _store_together(server.address[1], copies)
                if policy == "reject":
                    assert sorted(statuses) == [0] + [0x0111] * (THREADS - 1), statuses
                else:
                    assert statuses == [0] * THREADS, [hex(s) for s in statuses]
                path = archive.path_of(str(ds.SOPInstanceUID))
                assert path is not None
                stored = dicomcore.read(path)
                assert str(stored.SOPInstanceUID) == str(ds.SOPInstanceUID)
        assert len(archive) == ROUNDS
        assert [p for p in archive.orphans() if ".incoming" not in p] == []
    finally:
        archive.close()


def test_duplicate_rejected_over_the_network_is_0111(tmp_path):
    archive = Archive(str(tmp_path / "db"), on_duplicate="reject", durable=False)
    ae = dicomcore.ApplicationEntity("ARCHIVE", acse_timeout=10, idle_timeout=20)
    ds = make_instance(1)
    try:
        with serving(ae, archive=archive) as server:
            scu = dicomcore.ApplicationEntity("SCU", acse_timeout=10, dimse_timeout=20)
            with scu.associate(HOST, server.address[1], ae_title="ARCHIVE",
                               contexts=[(str(ds.SOPClassUID), [EXPLICIT])]) as assoc:
                assert int(assoc.store(ds)) == 0
                assert int(assoc.store(ds)) == 0x0111
        assert len(archive) == 1
    finally:
        archive.close()
