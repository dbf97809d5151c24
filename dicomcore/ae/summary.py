"""What happened on one accepted connection, told once it has ended.

An acceptor serves many associations at once, so a log of single events from
all of them interleaves into something nobody can read.  Instead each
connection fills one ``AssociationSummary`` as it goes (who, what was agreed,
what was stored, how it ended) and hands it to ``serve(on_association=...)``
when it is over: ``dicomcore storescp`` and ``qrscp`` print it as one line.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

__all__ = ["AssociationSummary", "format_bytes", "peer_text"]


@dataclass
class AssociationSummary:
    """One connection's story.  ``outcome`` says how it ended: "released",
    "aborted by the peer", "aborted by us: ...", "rejected: ...", "closed by the
    peer without release", ...; ``instances`` counts the C-STOREs stored (Success
    or Warning), ``failed`` those refused, ``bytes`` their data sets' bytes."""

    peer: Optional[tuple] = None
    calling_ae_title: str = ""
    called_ae_title: str = ""
    proposed: int = 0
    accepted: int = 0
    outcome: str = ""
    instances: int = 0
    failed: int = 0
    bytes: int = 0
    requests: Counter = field(default_factory=Counter)  # "C-FIND" -> how many
    started: float = field(default_factory=time.time)
    _clock: float = field(default_factory=time.monotonic, repr=False)
    duration: float = 0.0

    def end(self, outcome: str) -> None:
        """The connection is over: the first outcome given (and its time) is kept."""
        if not self.outcome:
            self.outcome = outcome
            self.duration = time.monotonic() - self._clock

    def line(self) -> str:
        """One line: time, peer, titles, contexts, outcome, instances and bytes, duration."""
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        peer = peer_text(self.peer)
        if not self.calling_ae_title:  # no A-ASSOCIATE-RQ came: a probe, a scanner
            return f"{when} connection {peer}: {self.outcome}; {self.duration:.2f} s"
        titles = f"{self.calling_ae_title or '?'} -> {self.called_ae_title or '?'}"
        parts = [f"{self.accepted} of {self.proposed} context(s) accepted", self.outcome,
                 f"{self.instances} instance(s), {format_bytes(self.bytes)}"]
        if self.failed:
            parts.append(f"{self.failed} refused")
        others = {k: v for k, v in self.requests.items() if k != "C-STORE"}
        if others:
            parts.append(", ".join(f"{k} {v}" for k, v in sorted(others.items())))
        parts.append(f"{self.duration:.2f} s")
        return f"{when} association {peer} {titles}: " + "; ".join(parts)


def peer_text(peer: Optional[tuple]) -> str:
    """``("127.0.0.1", 4242)`` -> ``127.0.0.1:4242`` (IPv6: ``[::1]:4242``)."""
    if not peer:
        return "unknown peer"
    host = f"[{peer[0]}]" if ":" in str(peer[0]) else peer[0]
    return f"{host}:{peer[1]}"


def format_bytes(count: float) -> str:
    """``1234567`` -> ``1.2 MB`` (powers of 1000, as ``ls --si``); small counts exact."""
    if count < 1000:
        return f"{int(count)} bytes"
    for unit in ("kB", "MB", "GB", "TB"):
        count /= 1000
        if round(count, 1) < 1000 or unit == "TB":  # 999.96 kB shows as 1.0 MB
            return f"{count:.1f} {unit}"
    raise AssertionError("unreachable")
