"""Sending many files: the presentation contexts each one needs, and how they are
spread over associations of at most 128 contexts (PS3.8 9.3.2.2: odd IDs 1-255).

Rules of this module:
1. A file needs a context for its SOP class in its own transfer syntax (so it goes
   as stored) and one with the uncompressed syntaxes (so it can be converted when
   that one is refused), each judged alone by the acceptor, as storescu proposes.
2. Files are placed first-fit: each goes with the first association that already
   proposes its contexts or has room for them, so files of one class and syntax
   share an association and no more associations open than the contexts need
   (DCMTK's storescu, too, opens another association when it runs out of contexts).
   Within an association the files keep the order given.
3. A file that cannot be summarised (unreadable, no SOP UIDs in its data set) needs
   no context: its error is reported where it stands, without the network.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence, Union

from ..errors import DicomError
from ..pdu.negotiation import MAX_CONTEXTS
from .association import Association, _summarise, sop_uids_to_send
from .entity import UNCOMPRESSED

Context = tuple[str, tuple[str, ...]]
Path = Union[str, os.PathLike]


def contexts_for_file(path: Path) -> list[Context]:
    """The contexts ``path`` needs (rule 1); raises OSError or DicomError for a file
    that cannot be sent, with the message ``Association.store`` would give."""
    with open(path, "rb") as f:
        summary = _summarise(f)[2]
    sop_class, _ = sop_uids_to_send(summary, os.fspath(path), warn=False)  # warns on sending
    own: Context = (sop_class, (summary.transfer_syntax.uid,))
    return [own, (sop_class, tuple(UNCOMPRESSED))]


@dataclass
class Batch:
    """One association's worth: the contexts to propose and the files sent on it.
    ``refused``: files that need no association, each with the reason it cannot go."""

    contexts: list[Context] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    refused: list[tuple[Path, Exception]] = field(default_factory=list)

    def room_for(self, needs: Sequence[Context], limit: int) -> bool:
        return len(self.contexts) + sum(1 for c in needs if c not in self.contexts) <= limit

    def add(self, path: Path, needs: Sequence[Context]) -> None:
        self.contexts += [c for c in needs if c not in self.contexts]
        self.files.append(path)


def plan(paths: Iterable[Path], limit: int = MAX_CONTEXTS, *,
         contexts_of: Callable[[Path], list[Context]] = contexts_for_file) -> list[Batch]:
    """The associations to open for ``paths`` and the files each carries (rules 2-3).
    Every path appears in exactly one batch, as a file to send or as refused.
    ``contexts_of``: what a file needs (``contexts_for_file``; others for tests)."""
    if not 1 <= limit <= MAX_CONTEXTS:
        raise ValueError(f"limit: 1 to {MAX_CONTEXTS} contexts per association, not {limit}")
    batches: list[Batch] = []
    for path in paths:
        try:
            needs = contexts_of(path)
        except (OSError, DicomError) as exc:
            if not batches:
                batches.append(Batch())
            batches[-1].refused.append((path, exc))
            continue
        needs = needs[:limit]  # its own syntax first: the fallback goes if one must
        for batch in batches:
            if batch.room_for(needs, limit):
                batch.add(path, needs)
                break
        else:
            batches.append(Batch())
            batches[-1].add(path, needs)
    return batches


def store_files(ae: Any, host: str, port: int, paths: Iterable[Path], *,
                ae_title: str = "ANY-SCP", window: int = 1, limit: int = MAX_CONTEXTS,
                **associate_options: Any
                ) -> Iterator[tuple[Path, Union[Any, DicomError, OSError]]]:
    """C-STORE every file in ``paths`` over as many associations as their contexts need
    (``plan``), one after another; yields (path, status or error) as each is answered.

    ``window``: C-STOREs in flight on each association, when the acceptor agrees
    (``Association.store_all``).  A file that cannot be sent yields its error and
    the others go on; a network failure (refused association, abort) raises, as
    storescu halts.
    """
    window = max(window, 1)
    for batch in plan(paths, limit):
        for path, exc in batch.refused:
            yield path, exc
        if not batch.files:
            continue
        assoc: Association
        with ae.associate(host, port, ae_title=ae_title, contexts=batch.contexts,
                          max_operations=(window, 1) if window > 1 else None,
                          **associate_options) as assoc:
            yield from assoc.store_all(batch.files)

