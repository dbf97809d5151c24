"""``find``'s keys: plain, tags, and paths into sequences (``Seq[0].Key=VALUE``),
checked as identifiers and end to end against an in-process archive."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers

import dicomcore
from dicomcore import Dataset
from dicomcore.ae.archive import Archive
from dicomcore.ae.query import set_key
from dicomcore.cli import query as qcli
from dicomcore.cli.query import set_path

from interop.netutil import CT, EXPLICIT, HOST, make_instance, serving  # noqa: E402


def _keys(*paths: str) -> Dataset:
    ds = Dataset()
    for text in paths:
        key, _, value = text.partition("=")
        set_path(ds, key, value, set_key)
    return ds


@pytest.mark.parametrize("paths, expected", [
    (["PatientID=P1"], {0x00100020: "P1"}),
    (["(0010,0020)=P1"], {0x00100020: "P1"}),
    (["ReferencedImageSequence="], {0x00081140: []}),
])
def test_plain_keys(paths, expected):
    ds = _keys(*paths)
    assert {tag: ds.get(tag) for tag in expected} == expected


def test_sequence_paths_make_items_in_order():
    ds = _keys("ReferencedImageSequence[0].ReferencedSOPClassUID=1.2.3",
               "ReferencedImageSequence.ReferencedSOPInstanceUID=",
               "(0008,1140)[1].(0008,1150)=4.5")
    items = ds.ReferencedImageSequence
    assert len(items) == 2
    assert str(items[0].ReferencedSOPClassUID) == "1.2.3"
    assert 0x00081155 in items[0] and items[0].get(0x00081155) in (None, "")
    assert str(items[1].ReferencedSOPClassUID) == "4.5"


@pytest.mark.parametrize("path", ["PatientName[0].PatientID", "ReferencedImageSequence[1000].X",
                                  "ReferencedImageSequence[0].Nonsense", "Seq[x].Key"])
def test_bad_paths_say_what_is_wrong(path):
    with pytest.raises(ValueError):
        _keys(path + "=")


def test_an_item_takes_no_value():
    with pytest.raises(ValueError, match="takes keys"):
        _keys("ReferencedImageSequence[0]=1.2")


def _cli(*argv) -> int:
    parser = argparse.ArgumentParser(prog="dicomcore")
    qcli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return args.run(args)


def test_find_with_a_sequence_key_end_to_end(tmp_path, capsys):
    """IMAGE level, matching on a key inside ReferencedImageSequence (PS3.4 C.2.2.2.6):
    only the instance whose item matches comes back, with the sequence filled in."""
    instances = [make_instance(n, patient_id="SEQ") for n in range(3)]
    folder = tmp_path / "db"
    with Archive(str(folder), durable=False) as archive:
        for n, ds in enumerate(instances):
            path = tmp_path / f"{n}.dcm"
            dicomcore.write(path, ds, transfer_syntax=EXPLICIT)
            archive.add(str(path), copy=True)
    wanted = instances[1]
    ref = wanted.ReferencedImageSequence[0]
    ae = dicomcore.ApplicationEntity("ARCHIVE", acse_timeout=10, idle_timeout=20)
    with serving(ae, archive=str(folder)) as server:
        code = _cli("find", HOST, server.address[1], "--level", "IMAGE", "--json",
                    "-k", "PatientID=SEQ", "-k", f"StudyInstanceUID={wanted.StudyInstanceUID}",
                    "-k", f"SeriesInstanceUID={wanted.SeriesInstanceUID}",
                    "-k", "SOPInstanceUID=",
                    "-k", f"ReferencedImageSequence[0].ReferencedSOPInstanceUID="
                          f"{ref.ReferencedSOPInstanceUID}",
                    "-k", "ReferencedImageSequence[0].ReferencedSOPClassUID=")
    assert code == 0
    matches = json.loads(capsys.readouterr().out)
    assert [m["00080018"]["Value"] for m in matches] == [[str(wanted.SOPInstanceUID)]]
    [item] = matches[0]["00081140"]["Value"]
    assert item["00081150"]["Value"] == [CT]
    assert item["00081155"]["Value"] == [str(ref.ReferencedSOPInstanceUID)]
