"""New files beside their final name, with the permissions an ordinary file gets.

Every file dicomcore writes (``write``, ``convert``, the Storage SCP, the
archive, C-GET) is first written to a temporary ``.part`` name in the target
folder and renamed into place when complete.  ``tempfile.mkstemp`` would give
that file mode 0600 whatever the umask, and the rename keeps it: a stored
instance nobody else may read.  Here the file is created as ``open(path, "w")``
creates one, mode 0666 narrowed by the umask (0644 under the usual 022), as
DCMTK's tools write theirs; or with the mode of the file it is to replace, as
writing into that file in place would have kept it.
"""
from __future__ import annotations

import itertools
import os
import secrets
import stat
from typing import Optional

__all__ = ["part_file", "mode_of"]

_serial = itertools.count()
_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_ORDINARY = 0o666  # what open() asks for; the kernel takes the umask off


def part_file(folder: str, mode: Optional[int] = None) -> tuple[int, str]:
    """A new, empty temporary file in ``folder``: ``(descriptor, path)``.

    Exclusive (O_EXCL), named ``.dicomcore-PID-N.part`` from the process ID and a
    counter (no random name to make per instance; a random one only if a leftover
    of an earlier process with our ID is in the way).  ``mode``: the permission
    bits it gets exactly (those of a file it replaces); None: 0666 less the umask.
    """
    # Created with no more than ``mode`` allows (the umask can only take bits off),
    # so the file is never readable by anyone the final mode would refuse.
    asked = _ORDINARY if mode is None else mode & 0o777
    for attempt in range(200):
        name = f".dicomcore-{os.getpid()}-{next(_serial)}" if attempt < 100 else \
            f".dicomcore-{secrets.token_hex(8)}"
        path = os.path.join(folder, name + ".part")
        try:
            fd = os.open(path, _FLAGS, asked)
        except FileExistsError:
            continue
        except OSError as exc:  # named by the folder: the temporary name means nothing
            raise OSError(exc.errno, exc.strerror, folder) from None
        if mode is not None:
            try:
                os.fchmod(fd, asked)  # the umask may have taken bits it had
            except OSError:
                os.close(fd)
                os.unlink(path)
                raise
        return fd, path
    raise FileExistsError(f"no free temporary name in {folder} after 200 attempts")


def mode_of(path: str) -> Optional[int]:
    """The permission bits of an existing regular file at ``path``, else None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mode & 0o777 if stat.S_ISREG(st.st_mode) else None
