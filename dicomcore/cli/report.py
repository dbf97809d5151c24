"""What ``storescp`` and ``qrscp`` print at default verbosity, as DCMTK's servers do
with ``-v`` but shorter: "listening" once the port is bound (on stderr, like the
errors), then on stdout one line per association when it ends (``AssociationSummary``)
and the final path of each stored file.  Associations run in threads of their own:
each line is written whole, under a lock, so lines never interleave.
"""
from __future__ import annotations

import sys
import threading
from typing import Any, Callable, Optional, TextIO

__all__ = ["ServerReport"]


class ServerReport:
    """``serve()`` callbacks that print.  ``verbose``: also connections that closed
    without asking for an association (port probes, health checks), silent otherwise."""

    def __init__(self, *, verbose: bool = False, stream: Optional[TextIO] = None):
        self.verbose = verbose
        self.stream = stream
        self._lock = threading.Lock()

    def _print(self, line: str, stream: Optional[TextIO] = None) -> None:
        out = stream or self.stream or sys.stdout
        with self._lock:
            out.write(line + "\n")
            out.flush()

    def listening(self, describe: Callable[[str, int], str]) -> Callable[[tuple], None]:
        """The ``on_listening`` callback: prints ``describe(host, port)`` on stderr."""
        return lambda address: self._print(describe(address[0], address[1]), sys.stderr)

    def association(self, summary: Any) -> None:
        """The ``on_association`` callback: the summary's one line."""
        if summary.calling_ae_title or self.verbose:
            self._print(summary.line())

    def stored(self, instance: Any) -> None:
        """An ``on_store`` handler: the stored file's final path (status Success)."""
        self._print(f"stored {instance.path}")
