"""ApplicationEntity: our AE title and settings, and the two ways to meet a peer.

``associate()`` is the requestor side (returns an established
``Association``); ``serve()`` the acceptor side (a threaded ``Server`` whose
associations negotiate with an ``AcceptorPolicy`` and hand requests to the
services: Verification always, Storage when a folder or handler is given,
DIMSE-N and others to user handlers).
"""
from __future__ import annotations

import logging
import ssl
from typing import Any, Callable, Optional, Sequence

from ..dataset.uid import STORAGE_SOP_CLASSES, UID
from ..errors import NetworkError
from ..pdu.negotiation import AcceptorPolicy, interpret, propose, reject_reason_text
from ..pdu.primitives import AssociateConfirmation
from ..transport import Server, connect
from .acceptor import serve_association
from .association import VERIFICATION, Association
from .services.storage import NATIVE_SYNTAXES, StorageSCP, storable_transfer_syntaxes
from .summary import AssociationSummary

log = logging.getLogger("dicomcore.ae")

IMPLICIT_VR_LE = "1.2.840.10008.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
EXPLICIT_VR_BE = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
# storescu's default offer: the uncompressed syntaxes, explicit little endian first.
UNCOMPRESSED = [EXPLICIT_VR_LE, IMPLICIT_VR_LE, EXPLICIT_VR_BE]
# What an acceptor takes, in preference order: anything it can store as is.
ACCEPTED_SYNTAXES = list(NATIVE_SYNTAXES)


def default_contexts() -> list[tuple[str, list[str]]]:
    """Verification and the first 127 storage SOP classes, uncompressed (128 contexts)."""
    return [(VERIFICATION, [IMPLICIT_VR_LE, EXPLICIT_VR_LE])] + [
        (str(uid), list(UNCOMPRESSED)) for uid in STORAGE_SOP_CLASSES[:127]]


class ApplicationEntity:
    """Our side of the conversation.  Defaults are those of DCMTK's tools."""

    def __init__(self, ae_title: str = "DICOMCORE", *, max_pdu_length: int = 262144,
                 acse_timeout: float = 30.0, dimse_timeout: Optional[float] = 30.0,
                 network_timeout: float = 30.0, idle_timeout: Optional[float] = 60.0):
        self.ae_title = ae_title
        self.max_pdu_length = max_pdu_length
        self.acse_timeout = acse_timeout
        self.dimse_timeout = dimse_timeout
        self.network_timeout = network_timeout
        self.idle_timeout = idle_timeout

    # --- requestor -----------------------------------------------------------------------

    def associate(self, host: str, port: int, *, ae_title: str = "ANY-SCP",
                  contexts: Optional[Sequence[tuple[str, Sequence[str]]]] = None,
                  roles: Optional[dict[str, tuple[bool, bool]]] = None,
                  tls: Optional[ssl.SSLContext] = None, max_pdu_length: Optional[int] = None,
                  **propose_options: Any) -> Association:
        """Open an association; raises NetworkError if refused (with the reason).

        ``contexts``: (abstract syntax, [transfer syntaxes]) pairs; by default
        Verification and the common storage classes, uncompressed.
        """
        request = propose(list(contexts or default_contexts()), called_ae_title=ae_title,
                          calling_ae_title=self.ae_title, roles=roles,
                          max_pdu_length=self.max_pdu_length if max_pdu_length is None
                          else max_pdu_length, **propose_options)
        conn = connect(host, port, request, timeout=self.network_timeout,
                       artim_timeout=self.acse_timeout, tls=tls)
        try:
            confirmation = conn.next_event(self.acse_timeout)
        except TimeoutError:
            conn.close()
            raise NetworkError(f"no A-ASSOCIATE response from {host}:{port} within "
                               f"{self.acse_timeout} s") from None
        if not isinstance(confirmation, AssociateConfirmation):
            conn.close()
            raise NetworkError(f"association with {host}:{port} failed: {confirmation}")
        negotiation = interpret(request, confirmation)
        if not confirmation.accepted:
            conn.close()
            # The requestor's view has no ``why`` of its own: the A-ASSOCIATE-RJ's
            # result, source and reason are the reason (PS3.8 Table 9-21).
            why = negotiation.why or reject_reason_text(confirmation.result,
                                                        confirmation.source, confirmation.reason)
            raise NetworkError(f"association rejected by {host}:{port}: {why}")
        log.info("association with %s:%d (%s) accepted: %d of %d presentation context(s)",
                 host, port, ae_title, len(negotiation.accepted), len(negotiation.contexts))
        return Association(conn, negotiation, dimse_timeout=self.dimse_timeout)

    # --- acceptor ------------------------------------------------------------------------

    def policy(self, *, storage: bool = True, extra: Sequence[str] = (),
               query_retrieve: bool = False, **overrides: Any) -> AcceptorPolicy:
        """The acceptor policy: Verification, every storage class when ``storage``, and
        the ``extra`` abstract syntaxes, each in every syntax it can be kept in.

        ``query_retrieve``: also the Patient and Study Root FIND/MOVE/GET classes (with
        their extended negotiation: relational queries), and the SCP role for every
        storage class to a requestor that asks for it (C-GET sub-operations)."""
        contexts = {VERIFICATION: [EXPLICIT_VR_LE, IMPLICIT_VR_LE, EXPLICIT_VR_BE]}
        if query_retrieve:
            from .services import qr as _qr

            for uid in _qr.QR_SOP_CLASSES:
                contexts[uid] = [EXPLICIT_VR_LE, IMPLICIT_VR_LE, EXPLICIT_VR_BE]
            overrides.setdefault("scp_roles", frozenset(str(u) for u in STORAGE_SOP_CLASSES))
            overrides.setdefault("extended_negotiation", _qr.extended_negotiation)
        if storage:
            # Compressed syntaxes are stored untouched, so every registered one is fine.
            syntaxes = storable_transfer_syntaxes()
            for uid in STORAGE_SOP_CLASSES:
                contexts[str(uid)] = list(syntaxes)
        for uid in extra:
            contexts[uid] = list(ACCEPTED_SYNTAXES)
        options = dict(ae_title=self.ae_title, contexts=contexts,
                       max_pdu_length=self.max_pdu_length)
        if not query_retrieve:
            # Requests are served one after another, in order, so a requestor may have
            # any number outstanding (PS3.7 D.3.3.3): TCP holds them until their turn.
            # Not with Q/R, whose C-CANCEL watch would have to set other requests aside.
            options["max_operations_invoked"] = 0
        options.update(overrides)
        return AcceptorPolicy(**options)

    def serve(self, port: int, host: str = "0.0.0.0", *, storage_dir: Optional[str] = None,
              layout: str = "flat", on_store: Any = None, handlers: Optional[dict] = None,
              policy: Optional[AcceptorPolicy] = None, max_associations: int = 20,
              tls: Optional[ssl.SSLContext] = None, max_instance_size: Optional[int] = None,
              block: bool = True, archive: Any = None,
              destinations: Optional[dict] = None,
              on_association: Optional[Callable[[AssociationSummary], None]] = None,
              on_listening: Optional[Callable[[tuple[str, int]], None]] = None) -> Server:
        """Serve on ``host:port`` (port 0: any free one, see ``server.address``).

        Storage is offered when ``storage_dir`` or ``on_store`` is given; ``handlers``
        maps "C-ECHO", "N-ACTION", ... to callables (request, dataset, association)
        -> status or (status, reply dataset).  With ``block=False`` returns the
        running server (call ``shutdown()``), otherwise serves until interrupted.

        ``archive`` (a folder or an ``Archive``): Storage into the archive and the
        Query/Retrieve SCP over it; ``destinations`` maps C-MOVE destination AE
        titles to (host, port).

        ``on_association`` is called with an ``AssociationSummary`` as each connection
        ends (from its own thread); ``on_listening`` with the bound (host, port), once
        the port is bound and before the first connection is accepted: a port in use
        raises ``ListenError`` (an OSError) and never reaches it.
        """
        storing = storage_dir is not None or on_store is not None
        qr = None
        if archive is not None:
            import os

            from .archive import Archive
            from .services.archive_store import archive_handler
            from .services.qr import QueryRetrieveSCP

            if not isinstance(archive, Archive):
                archive = Archive(archive)
            qr = QueryRetrieveSCP(archive, destinations, ae_title=self.ae_title,
                                  dimse_timeout=self.dimse_timeout)
            storing = True
            storage_dir = storage_dir or os.path.join(archive.folder, ".incoming")
            on_store = archive_handler(archive, on_store)
        storage = StorageSCP(storage_dir, layout=layout, handler=on_store,
                             ae_title=self.ae_title, max_instance_size=max_instance_size
                             ) if storing else None
        if policy is None:
            chooser = {"sending_choice": qr.sending_choice} if qr is not None else {}
            policy = self.policy(storage=storing, query_retrieve=qr is not None,
                                 extra=[k for k in (handlers or {}) if k.count(".") > 2],
                                 **chooser)
        server: Server

        def handle(conn: Any) -> None:
            serve_association(conn, policy, storage=storage, handlers=handlers,
                              acse_timeout=self.acse_timeout, idle_timeout=self.idle_timeout,
                              active=lambda: server.active - 1, qr=qr, on_end=on_association)

        def rejected(peer: Any, indication: Any) -> None:
            summary = AssociationSummary(peer=peer, calling_ae_title=indication.calling_ae_title,
                                         called_ae_title=indication.called_ae_title,
                                         proposed=len(indication.presentation_contexts))
            summary.end(f"rejected: {max_associations} association(s) already active "
                        "(local limit exceeded)")
            on_association(summary)  # type: ignore[misc]

        server = Server(host, port, handle, max_associations=max_associations, tls=tls,
                        artim_timeout=self.acse_timeout, idle_timeout=self.idle_timeout,
                        on_rejected=rejected if on_association is not None else None)
        if on_listening is not None:
            on_listening(server.address)
        if not block:
            return server.start()
        try:
            server.serve_forever()
        finally:
            server.shutdown()
        return server


def uid_name(uid: str) -> str:
    return UID(uid).name or uid
