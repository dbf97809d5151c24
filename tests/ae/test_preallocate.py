"""Blocks reserved before a value is written: best effort, never changing what is stored."""
from __future__ import annotations

import os
import sys

from dicomcore.ae.services import preallocate as module
from dicomcore.ae.services.preallocate import preallocate


def test_reserves_blocks_without_changing_the_size(tmp_path):
    path = tmp_path / "value.bin"
    with open(path, "wb", buffering=0) as file:
        file.write(b"head")
        done = preallocate(file.fileno(), 4, 1 << 20)
        assert os.fstat(file.fileno()).st_size == 4  # KEEP_SIZE: nothing appears yet
        if done:  # a file system that can (ext4, xfs, tmpfs, btrfs)
            assert os.fstat(file.fileno()).st_blocks * 512 >= 1 << 20
        file.write(b"x" * 5000)
    assert path.read_bytes() == b"head" + b"x" * 5000
    if sys.platform.startswith("linux"):  # where the call exists, it was found
        assert module._fallocate is not None


def test_what_cannot_be_reserved_is_left_to_the_write():
    read_end, write_end = os.pipe()
    try:
        assert preallocate(write_end, 0, 4096) is False  # a pipe: ESPIPE, not raised
        assert preallocate(write_end, 0, 0) is False
    finally:
        os.close(read_end)
        os.close(write_end)


def test_without_the_call_nothing_happens(tmp_path, monkeypatch):
    monkeypatch.setattr(module, "_fallocate", None)
    with open(tmp_path / "f", "wb") as file:
        assert preallocate(file.fileno(), 0, 4096) is False
        assert os.fstat(file.fileno()).st_blocks == 0
