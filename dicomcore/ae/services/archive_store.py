"""Storage into the archive: the ``on_store`` handler that files each instance a
Storage SCP completes (``dicomcore qrscp``, ``ae.serve(archive=...)``)."""
from __future__ import annotations

import logging
import os
import threading
import uuid
from typing import Any, Callable, Optional

from ...dimse.status import DUPLICATE_SOP_INSTANCE
from ..archive import ArchiveError, DuplicateInstanceError
from .storage import CANNOT_UNDERSTAND, OUT_OF_RESOURCES

log = logging.getLogger("dicomcore.archive")

DUPLICATE = int(DUPLICATE_SOP_INSTANCE)  # PS3.7 C.5.8: refused by on_duplicate="reject"


def archive_handler(archive: Any, then: Optional[Callable[[Any], Any]] = None
                    ) -> Callable[[Any], Optional[int]]:
    """A Storage SCP ``on_store`` handler that files each complete instance into
    ``archive`` (indexed in the transaction that makes it visible), then calls ``then``
    with the ``StoredInstance`` (its ``path`` now the archived file).

    Statuses: Success, or the result of ``then``; 0111H (Duplicate SOP Instance) when
    the archive's ``on_duplicate`` is "reject" and the UID is stored; C000H for a file
    the archive cannot read or index (no UIDs); A700H when it cannot be written.

    The same SOP Instance UID may arrive on several associations at once: the Storage
    SCP then gives their files one name in the incoming folder.  Handlers for one UID
    take turns, each first renaming the file there to a name of its own; one that
    finds it gone (taken by the handler before) while the UID is archived answers as
    for a duplicate: Success, or 0111H under "reject"; never a failure."""
    turns: dict[str, list] = {}  # SOP Instance UID -> [lock, handlers using it]
    guard = threading.Lock()

    def on_store(instance: Any) -> Optional[int]:
        uid = instance.sop_instance_uid
        with guard:
            turn = turns.setdefault(uid, [threading.Lock(), 0])
            turn[1] += 1
        try:
            with turn[0]:
                status = _file(instance)
        finally:
            with guard:
                turn[1] -= 1
                if not turn[1]:
                    del turns[uid]
        if status is not None:
            return status
        return then(instance) if then is not None else None

    def _file(instance: Any) -> Optional[int]:
        # Claim the file under a name of our own first: another association's file of
        # the same UID may take the shared name while this one is being filed.
        claimed = f"{instance.path}.{uuid.uuid4().hex[:12]}.claimed"
        try:
            os.rename(instance.path, claimed)
        except FileNotFoundError:
            stored = archive.path_of(instance.sop_instance_uid)
            if stored is None:
                log.warning("not archived: %s is gone", instance.path)
                return CANNOT_UNDERSTAND
            # filed by the association that stored the same UID at the same moment
            log.info("%s arrived twice at once; filed once", instance.sop_instance_uid)
            if getattr(archive, "on_duplicate", "replace") == "reject":
                return DUPLICATE
            instance.path = stored
            return None
        except OSError as exc:
            log.error("not archived: %s", exc)
            _remove(instance.path)
            return OUT_OF_RESOURCES
        try:
            instance.path = archive.add(claimed)  # moved into place (or discarded: "keep")
            return None
        except DuplicateInstanceError as exc:
            log.info("not archived: %s", exc)
            status = DUPLICATE
        except ArchiveError as exc:
            log.warning("not archived: %s", exc)
            status = CANNOT_UNDERSTAND  # no UIDs, unreadable
        except OSError as exc:
            log.error("not archived: %s", exc)
            status = OUT_OF_RESOURCES
        _remove(claimed)
        return status

    def _remove(path: str) -> None:
        try:
            os.unlink(path)
        except OSError:
            pass

    return on_store
