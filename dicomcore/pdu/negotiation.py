"""Association negotiation, both sides, as pure functions (PS3.8 9.3.2-9.3.4, PS3.7 Annex D).

The acceptor calls ``negotiate(policy, indication)`` and sends ``.response``; the
requestor builds its request with ``propose(...)`` and reads the answer with
``interpret(request, confirmation)``.  Both return a ``Negotiation``: what was
agreed (contexts, transfer syntaxes, roles, window, PDU lengths) and why, so
``report()`` can answer "why was my context rejected?" in one block of text.

Rules kept here:

* Every proposed context gets exactly one answer (PS3.8 9.3.3.2); a repeated
  Presentation-context-ID is answered once (the first) and noted.
* The accepted transfer syntax is the first of the *acceptor's* preference list
  that the requestor proposed (as DCMTK's preferred-syntax acceptance does): the
  acceptor knows what it stores and decodes cheaply.  Except where the requestor
  takes the SCP role alone (PS3.7 D.3.3.4: C-GET's C-STORE sub-operations come
  to it): there only the acceptor sends and the requestor receives, so the
  *requestor's* order decides among the syntaxes we support, or
  ``sending_choice`` ranks them (an archive knows what it holds).  A name that
  is not a valid UID (PS3.5 9.1) is never accepted, whatever the policy says.
* Sub-items are answered only when proposed: async window, role selection,
  extended negotiation, user identity (PS3.7 D.3.3.3-D.3.3.7).
* The requestor believes only what it proposed: an answer for a context it did
  not propose, or a transfer syntax it did not offer, counts as not accepted.

Only ``dicomcore.errors`` is imported from the rest of dicomcore (DESIGN): UID
names reach ``report()`` as an optional callable (the AE layer passes the
registry's), and the two implementation constants below are checked against
``dicomcore.dataset.uid`` by a test rather than imported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Collection, Mapping, Sequence, TypeVar

from dicomcore.errors import EncodeError

from .items import (CONTEXT_RESULTS, AsynchronousOperationsWindow, ImplementationClassUID,
                    ImplementationVersionName, Item, MaximumLength, PresentationContextAC,
                    PresentationContextRQ, RoleSelection, SOPClassCommonExtendedNegotiation,
                    SOPClassExtendedNegotiation, UserIdentityAC, UserIdentityRQ)
from .pdus import DICOM_APPLICATION_CONTEXT, RJ_RESULTS, RJ_SOURCES
from .primitives import (ACCEPTED, REJECTED_PERMANENT, REJECTED_TRANSIENT, AssociateConfirmation,
                         AssociateIndication, AssociateRequest, AssociateResponse, clean_uid)

__all__ = ["AcceptorPolicy", "ContextOutcome", "Negotiation", "negotiate", "propose", "interpret",
           "reject_reason_text", "IMPLEMENTATION_CLASS_UID", "IMPLEMENTATION_VERSION_NAME",
           "MAX_CONTEXTS"]

# Same values as dicomcore.dataset.uid (tests/pdu/test_negotiation.py keeps them equal).
IMPLEMENTATION_CLASS_UID = "2.25.272768943174767627066181401423268278400"
IMPLEMENTATION_VERSION_NAME = "DICOMCORE_010"
IMPLICIT_VR_LE = "1.2.840.10008.1.2"  # PS3.5 10.1: the default transfer syntax
MAX_CONTEXTS = 128  # PS3.8 9.3.2.2: odd IDs 1-255

# PS3.8 Table 9-21 Reason/Diag., per Source.
RJ_REASONS = {
    1: {1: "no-reason-given", 2: "application-context-name-not-supported",
        3: "calling-AE-title-not-recognized", 7: "called-AE-title-not-recognized"},
    2: {1: "no-reason-given", 2: "protocol-version-not-supported"},
    3: {0: "reserved", 1: "temporary-congestion", 2: "local-limit-exceeded"},
}

UIDName = Callable[[str], str | None]
_I = TypeVar("_I", bound=Item)


def reject_reason_text(result: int, source: int, reason: int) -> str:
    """An A-ASSOCIATE-RJ in words (PS3.8 Table 9-21)."""
    words = RJ_REASONS.get(source, {}).get(reason, f"reserved reason {reason}")
    return (f"{RJ_RESULTS.get(result, f'result {result}')} by "
            f"{RJ_SOURCES.get(source, f'source {source}')}: {words}")


@lru_cache(maxsize=1024)  # the same few dozen syntaxes, proposed in every context
def _valid_uid(text: str) -> bool:
    """PS3.5 9.1: digits and dots, no empty or zero-led component, at most 64 characters."""
    if not 0 < len(text) <= 64:
        return False
    return all(p.isascii() and p.isdigit() and (len(p) == 1 or p[0] != "0") for p in text.split("."))


def _bound(theirs: int, ours: int) -> int:
    """The smaller of two window sizes where 0 means unlimited (PS3.7 D.3.3.3)."""
    if ours == 0:
        return theirs
    if theirs == 0:
        return ours
    return min(theirs, ours)


def _roles_text(scu: bool, scp: bool) -> str:
    return "/".join(r for r, on in (("SCU", scu), ("SCP", scp)) if on) or "no role"


# ---------------------------------------------------------------- acceptor policy
@dataclass
class AcceptorPolicy:
    """What an acceptor agrees to.

    ``contexts`` maps an abstract syntax to our transfer syntaxes, most preferred
    first.  With ``accept_any_abstract`` every other abstract syntax is accepted
    with ``transfer_syntaxes`` (a promiscuous store SCP); the AE layer builds
    ``contexts`` from ``STORAGE_SOP_CLASSES`` for "every storage class".

    Roles are named as the role selection item names them, i.e. the
    *requestor's* roles (PS3.7 D.3.3.4): ``scu_roles`` are the abstract syntaxes
    for which the requestor may be SCU (None: all we accept, the default role);
    ``scp_roles`` those for which it may be SCP, i.e. we act as SCU (C-GET's
    C-STORE sub-operations back to the requestor).

    ``sending_choice`` picks the transfer syntax of the contexts on which only we
    send (the requestor granted the SCP role and not the SCU role): called once per
    negotiation with (abstract syntax, candidates) pairs, the candidates being the
    proposed syntaxes we support, in the requestor's order; it returns one choice
    (a candidate) per pair.  Without it the requestor's first candidate is taken.

    ``max_operations_invoked``/``performed`` bound the async window we answer
    (0 = unlimited); ``max_associations`` with ``negotiate(active_associations=)``
    gives the transient local-limit-exceeded rejection.
    """

    contexts: dict[str, list[str]] = field(default_factory=dict)
    accept_any_abstract: bool = False
    transfer_syntaxes: list[str] = field(default_factory=list)
    scu_roles: Collection[str] | None = None
    scp_roles: Collection[str] = frozenset()
    ae_title: str = "DICOMCORE"
    require_called_ae_title: bool = False
    allowed_calling_ae_titles: Collection[str] | None = None
    max_pdu_length: int = 16384
    max_operations_invoked: int = 1
    max_operations_performed: int = 1
    max_associations: int = 0
    reject_when_none_accepted: bool = False
    extended_negotiation: Callable[[SOPClassExtendedNegotiation], bytes | None] | None = None
    sending_choice: Callable[[list[tuple[str, list[str]]]], Sequence[str]] | None = None
    user_identity: Callable[[UserIdentityRQ], tuple[bool, bytes | None]] | None = None
    implementation_class_uid: str = IMPLEMENTATION_CLASS_UID
    implementation_version_name: str | None = IMPLEMENTATION_VERSION_NAME

    def transfer_syntaxes_for(self, abstract: str) -> list[str] | None:
        """Our preference list for an abstract syntax, None if we do not support it."""
        if abstract in self.contexts:
            return list(self.contexts[abstract])
        return list(self.transfer_syntaxes) if self.accept_any_abstract else None

    def allows(self, abstract: str) -> tuple[bool, bool]:
        """(requestor may be SCU, requestor may be SCP) for an abstract syntax."""
        scu = self.scu_roles is None or abstract in self.scu_roles
        return scu, abstract in self.scp_roles


# ---------------------------------------------------------------- the outcome
@dataclass
class ContextOutcome:
    """One proposed presentation context and what became of it.

    ``result`` is the PS3.8 Table 9-18 value, None when no answer exists (the
    association was rejected, or the acceptor left the context out).
    """

    context_id: int
    abstract_syntax: str
    proposed: list[str]
    result: int | None = None
    transfer_syntax: str | None = None
    why: str = ""

    @property
    def accepted(self) -> bool:
        return self.result == 0 and self.transfer_syntax is not None


@dataclass
class Negotiation:
    """What both sides agreed, seen from ``side`` ("acceptor" or "requestor").

    ``roles`` holds the requestor's roles (SCU, SCP) per accepted abstract
    syntax, as the role selection item states them; ``local_roles()`` gives
    ours.  ``max_operations_*`` are the agreed window in the item's terms
    (PS3.7 D.3.3.3, 1/1 when none was negotiated).  ``response`` is the
    A-ASSOCIATE response to send (acceptor side only).
    """

    side: str
    calling_ae_title: str
    called_ae_title: str
    result: int = ACCEPTED
    source: int = 0
    reason: int = 0
    why: str = ""
    contexts: list[ContextOutcome] = field(default_factory=list)
    roles: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    max_pdu_length: int = 0
    peer_max_pdu_length: int = 0
    max_operations_invoked: int = 1
    max_operations_performed: int = 1
    user_identity_response: bytes | None = None
    extended: dict[str, bytes] = field(default_factory=dict)
    peer_implementation_class_uid: str = ""
    peer_implementation_version_name: str = ""
    notes: list[str] = field(default_factory=list)
    response: AssociateResponse | None = None

    @property
    def is_accepted(self) -> bool:
        return self.result == ACCEPTED

    @property
    def accepted(self) -> dict[int, tuple[str, str]]:
        """context_id -> (abstract syntax, transfer syntax) for the usable contexts."""
        if not self.is_accepted:
            return {}
        return {c.context_id: (c.abstract_syntax, c.transfer_syntax) for c in self.contexts
                if c.accepted and c.transfer_syntax is not None}

    def local_roles(self, abstract: str) -> tuple[bool, bool]:
        """Our (SCU, SCP) roles for an accepted abstract syntax; the requestor's mirrored."""
        scu, scp = self.roles.get(abstract, (False, False))
        return (scu, scp) if self.side == "requestor" else (scp, scu)

    def find_context(self, abstract: str, transfer_syntax: str | None = None) -> int | None:
        """The first accepted context id for an abstract (and transfer) syntax, or None."""
        for cid, (a, t) in self.accepted.items():
            if a == abstract and transfer_syntax in (None, t):
                return cid
        return None

    def report(self, uid_name: UIDName | None = None) -> str:
        """One readable block: association result, limits, every context and why."""
        def named(uid: str) -> str:
            name = uid_name(uid) if uid_name else None
            return f"{uid} ({name})" if name else uid

        head = f"{self.calling_ae_title} -> {self.called_ae_title} (seen by the {self.side}): "
        if self.is_accepted:
            lines = [head + "association accepted"]
        else:
            lines = [head + "association " + reject_reason_text(self.result, self.source, self.reason)]
        if self.why:
            lines.append(f"  why: {self.why}")
        mine, theirs = (("requestor", "acceptor") if self.side == "requestor"
                        else ("acceptor", "requestor"))
        lines.append(f"  max PDU length: {mine} (us) {self.max_pdu_length or 'no limit'}, "
                     f"{theirs} {self.peer_max_pdu_length or 'no limit'}")
        if self.is_accepted:
            lines.append(f"  async operations window: invoked {self.max_operations_invoked or 'unlimited'}, "
                         f"performed {self.max_operations_performed or 'unlimited'}")
        if self.peer_implementation_class_uid:
            version = self.peer_implementation_version_name
            lines.append(f"  {theirs} implementation: {self.peer_implementation_class_uid}"
                         + (f" {version}" if version else ""))
        n_ok = len(self.accepted)
        lines.append(f"  presentation contexts: {len(self.contexts)} proposed, {n_ok} accepted")
        for c in self.contexts:
            lines.append(f"  [{c.context_id}] {named(c.abstract_syntax)}")
            lines.append(f"      proposed: {', '.join(named(t) for t in c.proposed) or '(none)'}")
            if c.result is None:
                lines.append("      result: no answer")
            else:
                lines.append(f"      result: {c.result} {CONTEXT_RESULTS.get(c.result, 'unknown')}"
                             + (f", transfer syntax {named(c.transfer_syntax)}"
                                if c.accepted and c.transfer_syntax else ""))
            if c.accepted and c.abstract_syntax in self.roles:
                lines.append(f"      roles: requestor {_roles_text(*self.roles[c.abstract_syntax])}")
            if c.why:
                lines.append(f"      why: {c.why}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _first(items: Sequence[Item], kind: type[_I]) -> _I | None:
    return next((i for i in items if isinstance(i, kind)), None)


def _per_sop_class(items: Sequence[Item], kind: type[_I], notes: list[str]) -> dict[str, _I]:
    """Sub-items keyed by SOP class; PS3.7 D.3.3.4/5/6 allow one per class: later ones noted."""
    out: dict[str, _I] = {}
    for item in items:
        if isinstance(item, kind):
            uid = clean_uid(item.sop_class_uid)  # type: ignore[attr-defined]
            if uid in out:
                notes.append(f"second {item.title} for {uid} ignored")
            else:
                out[uid] = item
    return out


def _peer_identity(neg: Negotiation, items: Sequence[Item]) -> None:
    maximum = _first(items, MaximumLength)
    neg.peer_max_pdu_length = maximum.maximum_length if maximum else 0
    impl = _first(items, ImplementationClassUID)
    version = _first(items, ImplementationVersionName)
    neg.peer_implementation_class_uid = clean_uid(impl.name) if impl else ""
    neg.peer_implementation_version_name = version.name.strip() if version else ""


# ---------------------------------------------------------------- acceptor
def negotiate(policy: AcceptorPolicy, indication: AssociateIndication, *,
              active_associations: int = 0) -> Negotiation:
    """Answer an A-ASSOCIATE indication according to ``policy``.

    Association-level checks come first, in this order: application context
    (PS3.7 A.2.1), called and calling AE titles, the association limit, user
    identity (PS3.7 D.3.3.7.3).  A rejection still lists the proposed contexts
    (unanswered) so the report shows what was asked.
    """
    ind = indication
    neg = Negotiation("acceptor", ind.calling_ae_title, ind.called_ae_title,
                      max_pdu_length=policy.max_pdu_length)
    _peer_identity(neg, ind.user_information)
    neg.contexts = [ContextOutcome(pc.context_id, clean_uid(pc.abstract_syntax),
                                   [clean_uid(t) for t in pc.transfer_syntaxes])
                    for pc in ind.presentation_contexts]

    def reject(result: int, source: int, reason: int, why: str) -> Negotiation:
        neg.result, neg.source, neg.reason, neg.why = result, source, reason, why
        for c in neg.contexts:  # judged contexts keep their reasons for the report
            c.why = (f"{c.why}; " if c.why else "") + "not answered: the association was rejected"
        neg.response = AssociateResponse(result=result, source=source, reason=reason)
        return neg

    app = clean_uid(ind.application_context_name)
    if app != DICOM_APPLICATION_CONTEXT:
        return reject(REJECTED_PERMANENT, 1, 2, f"application context {app!r} is not "
                      f"{DICOM_APPLICATION_CONTEXT} (PS3.7 A.2.1)")
    if policy.require_called_ae_title and ind.called_ae_title != policy.ae_title:
        return reject(REJECTED_PERMANENT, 1, 7, f"called AE title {ind.called_ae_title!r} "
                      f"is not ours ({policy.ae_title!r})")
    allowed = policy.allowed_calling_ae_titles
    if allowed is not None and ind.calling_ae_title not in allowed:
        return reject(REJECTED_PERMANENT, 1, 3, f"calling AE title {ind.calling_ae_title!r} "
                      f"is not among the {len(allowed)} allowed")
    if policy.max_associations and active_associations >= policy.max_associations:
        return reject(REJECTED_TRANSIENT, 3, 2, f"{active_associations} associations active, "
                      f"limit {policy.max_associations}")
    identity = _first(ind.user_information, UserIdentityRQ)
    identity_reply: UserIdentityAC | None = None
    if identity is not None and policy.user_identity is not None:
        ok, server_response = policy.user_identity(identity)
        if not ok:
            # PS3.7 D.3.3.7.3: rejected-permanent, source "service provider (ACSE related)".
            return reject(REJECTED_PERMANENT, 2, 1, "user identity refused by the user_identity hook")
        if identity.positive_response_requested:
            identity_reply = UserIdentityAC(server_response or b"")
            neg.user_identity_response = identity_reply.server_response
    elif identity is not None:
        neg.notes.append("user identity ignored: no user_identity hook (PS3.7 D.3.3.7: "
                         "accepted without a response)")

    proposed_roles = _per_sop_class(ind.user_information, RoleSelection, neg.notes)
    wanted: dict[str, tuple[bool, bool]] = {}
    granted: dict[str, tuple[bool, bool]] = {}
    for uid, item in proposed_roles.items():
        want = (bool(item.scu_role), bool(item.scp_role))
        if want == (False, False):  # not one of D.3.3.4's three values: defaults apply
            neg.notes.append(f"role selection for {uid} proposes no role: ignored, default roles")
            continue
        may = policy.allows(uid)
        wanted[uid], granted[uid] = want, (want[0] and may[0], want[1] and may[1])

    seen: set[int] = set()
    answered: list[ContextOutcome] = []
    for c in neg.contexts:
        if c.context_id in seen:  # PS3.8 7.1.1.13: IDs are unique; answer once
            c.why = "duplicate Presentation-context-ID: only the first is answered"
            neg.notes.append(f"context {c.context_id} proposed twice; the second is not answered")
            continue
        seen.add(c.context_id)
        _judge(policy, c, wanted, granted)
        answered.append(c)
    _choose_sending(policy, [c for c in answered if c.accepted and
                             granted.get(c.abstract_syntax) == (False, True)])
    answers: list[PresentationContextAC] = []
    for c in answered:
        echo = next((t for t in c.proposed if _valid_uid(t)), IMPLICIT_VR_LE)
        answers.append(PresentationContextAC(c.context_id, c.result or 0,
                                             c.transfer_syntax if c.accepted else echo))

    accepted_abstracts = {c.abstract_syntax for c in neg.contexts if c.accepted}
    if not accepted_abstracts and policy.reject_when_none_accepted:
        return reject(REJECTED_PERMANENT, 1, 1, "no presentation context was acceptable")

    # PS3.7 D.3.3.4: no item means requestor SCU, acceptor SCP.
    neg.roles = {a: granted.get(a, (True, False)) for a in accepted_abstracts}
    user: list[Item] = [MaximumLength(policy.max_pdu_length),
                        ImplementationClassUID(policy.implementation_class_uid)]
    window = _first(ind.user_information, AsynchronousOperationsWindow)
    if window is not None:  # PS3.7 D.3.3.3: answered only when proposed, never above it
        neg.max_operations_invoked = _bound(window.max_operations_invoked,
                                            policy.max_operations_invoked)
        neg.max_operations_performed = _bound(window.max_operations_performed,
                                              policy.max_operations_performed)
        user.append(AsynchronousOperationsWindow(neg.max_operations_invoked, neg.max_operations_performed))
    user += [RoleSelection(uid, int(r[0]), int(r[1]))
             for uid, r in granted.items() if uid in accepted_abstracts]
    if policy.implementation_version_name:
        user.append(ImplementationVersionName(policy.implementation_version_name))
    if policy.extended_negotiation is not None:
        for uid, item in _per_sop_class(ind.user_information, SOPClassExtendedNegotiation,
                                        neg.notes).items():
            reply = policy.extended_negotiation(item) if uid in accepted_abstracts else None
            if reply is not None:
                neg.extended[uid] = bytes(reply)
                user.append(SOPClassExtendedNegotiation(uid, bytes(reply)))
    if identity_reply is not None:
        user.append(identity_reply)
    neg.response = AssociateResponse(presentation_contexts=answers, user_information=user)
    return neg


def _judge(policy: AcceptorPolicy, c: ContextOutcome, wanted: dict[str, tuple[bool, bool]],
           granted: dict[str, tuple[bool, bool]]) -> None:
    """Fill result, transfer syntax and why for one context (PS3.8 Table 9-18)."""
    ours = policy.transfer_syntaxes_for(c.abstract_syntax) if _valid_uid(c.abstract_syntax) else None
    if ours is None:
        c.result, c.why = 3, "abstract syntax not in policy" + (
            "" if _valid_uid(c.abstract_syntax) else " (not a valid UID)")
        return
    usable = [t for t in c.proposed if _valid_uid(t)]
    choice = next((t for t in ours if t in usable), None)
    if choice is None:
        c.result = 4
        c.why = (f"none of the proposed transfer syntaxes [{', '.join(c.proposed)}] is in "
                 f"the accepted list [{', '.join(ours)}]" if c.proposed
                 else "no transfer syntax was proposed (PS3.8 9.3.2.2 requires one or more)")
        bad = [t for t in c.proposed if not _valid_uid(t)]
        if bad:
            c.why += f"; not valid UIDs, never accepted: {bad}"
        return
    if c.abstract_syntax in granted and granted[c.abstract_syntax] == (False, False):
        c.result = 1
        c.why = (f"role {_roles_text(*wanted[c.abstract_syntax])} not allowed for this abstract "
                 "syntax, and the requestor proposed no other role (PS3.7 D.3.3.4)")
        return
    c.result, c.transfer_syntax = 0, choice
    c.why = "" if choice == next((t for t in usable), None) else \
        f"our preference chose {choice} over the requestor's first {usable[0]}"


def _choose_sending(policy: AcceptorPolicy, contexts: list[ContextOutcome]) -> None:
    """Re-choose the transfer syntax of the accepted contexts on which only we send (the
    requestor is SCP alone, PS3.7 D.3.3.4): the receiver's order, or ``sending_choice``."""
    if not contexts:
        return
    pairs = []
    for c in contexts:
        ours = set(policy.transfer_syntaxes_for(c.abstract_syntax) or ())
        pairs.append((c.abstract_syntax, [t for t in c.proposed if _valid_uid(t) and t in ours]))
    choices: Sequence[str] = [candidates[0] for _, candidates in pairs]
    how = "the requestor's first"
    if policy.sending_choice is not None:
        choices, how = list(policy.sending_choice(pairs)), "sending_choice"
    for n, (c, (_, candidates)) in enumerate(zip(contexts, pairs)):
        choice, why = (choices[n] if n < len(choices) else None), how
        if choice not in candidates:  # a hook's slip never accepts what was not proposed
            choice, why = candidates[0], "the requestor's first (sending_choice chose none)"
        c.transfer_syntax = choice
        c.why = (f"we send on this context (the requestor is SCP only): {choice}, "
                 f"{why} of the proposed syntaxes we support")


# ---------------------------------------------------------------- requestor
def propose(contexts: Sequence[tuple[str, Sequence[str]]], *, called_ae_title: str = "ANY-SCP",
            calling_ae_title: str = "DICOMCORE", roles: Mapping[str, tuple[bool, bool]] | None = None,
            max_pdu_length: int = 16384, max_operations: tuple[int, int] | None = None,
            user_identity: UserIdentityRQ | None = None,
            extended_negotiation: Mapping[str, bytes] | None = None,
            common_extended_negotiation: Sequence[SOPClassCommonExtendedNegotiation] = (),
            implementation_class_uid: str = IMPLEMENTATION_CLASS_UID,
            implementation_version_name: str | None = IMPLEMENTATION_VERSION_NAME) -> AssociateRequest:
    """An A-ASSOCIATE request proposing ``(abstract syntax, [transfer syntaxes])`` pairs.

    Context ids are 1, 3, 5, ... in the order given; past 128 contexts the ids
    run out (PS3.8 9.3.2.2), so this raises ``EncodeError``.  ``roles`` maps an
    abstract syntax to the (SCU, SCP) roles we propose (D.3.3.4);
    ``max_operations`` is the (invoked, performed) window, omitted when None.
    """
    if len(contexts) > MAX_CONTEXTS:
        raise EncodeError(f"{len(contexts)} presentation contexts proposed; at most {MAX_CONTEXTS} "
                          "fit the odd Presentation-context-IDs 1-255 (PS3.8 9.3.2.2)")
    pcs = []
    for n, (abstract, syntaxes) in enumerate(contexts):
        if not syntaxes:
            raise EncodeError(f"{abstract}: a presentation context needs one or more transfer "
                              "syntaxes (PS3.8 9.3.2.2)")
        pcs.append(PresentationContextRQ(2 * n + 1, abstract, list(syntaxes)))
    abstracts = {a for a, _ in contexts}
    for uid in list(roles or ()) + list(extended_negotiation or ()):
        if uid not in abstracts:
            raise EncodeError(f"{uid}: role selection or extended negotiation for an abstract "
                              "syntax that is not proposed (PS3.7 D.3.3.4-5)")
    user: list[Item] = [MaximumLength(max_pdu_length), ImplementationClassUID(implementation_class_uid)]
    if max_operations is not None:
        user.append(AsynchronousOperationsWindow(*max_operations))
    for uid, (scu, scp) in (roles or {}).items():
        if not (scu or scp):
            raise EncodeError(f"{uid}: role selection must propose SCU, SCP or both (PS3.7 D.3.3.4)")
        user.append(RoleSelection(uid, int(scu), int(scp)))
    if implementation_version_name:
        user.append(ImplementationVersionName(implementation_version_name))
    user += [SOPClassExtendedNegotiation(uid, bytes(info)) for uid, info in (extended_negotiation or {}).items()]
    user += list(common_extended_negotiation)
    if user_identity is not None:
        user.append(user_identity)
    return AssociateRequest(called_ae_title, calling_ae_title, pcs, user)


def interpret(request: AssociateRequest, confirmation: AssociateConfirmation) -> Negotiation:
    """The requestor's view of the acceptor's answer: usable contexts, roles, limits.

    Tolerant where PS3.8 lets the peer be sloppy (a rejected context without a
    transfer syntax sub-item), strict where a mistake would corrupt data: a
    context id we did not propose, a transfer syntax we did not offer, or a
    missing answer leave the context unusable, and the report says so.
    """
    conf = confirmation
    own = _first(request.user_information, MaximumLength)
    neg = Negotiation("requestor", request.calling_ae_title, request.called_ae_title,
                      max_pdu_length=own.maximum_length if own else 0)
    neg.contexts = [ContextOutcome(pc.context_id, clean_uid(pc.abstract_syntax),
                                   [clean_uid(t) for t in pc.transfer_syntaxes])
                    for pc in request.presentation_contexts]
    if not conf.accepted:
        neg.result, neg.source, neg.reason = conf.result, conf.source, conf.reason
        for c in neg.contexts:
            c.why = "not answered: the association was rejected"
        return neg
    _peer_identity(neg, conf.user_information)

    answers: dict[int, PresentationContextAC] = {}
    proposed_ids = {c.context_id for c in neg.contexts}
    for pc in conf.presentation_contexts:
        if pc.context_id not in proposed_ids:
            neg.notes.append(f"the acceptor answered context {pc.context_id}, which was not proposed: ignored")
        elif pc.context_id in answers:
            neg.notes.append(f"the acceptor answered context {pc.context_id} twice: the first answer counts")
        else:
            answers[pc.context_id] = pc
    for c in neg.contexts:
        ac = answers.get(c.context_id)
        if ac is None:
            c.why = "the A-ASSOCIATE-AC has no answer for it (PS3.8 9.3.3.2 requires one)"
            neg.notes.append(f"context {c.context_id} was not answered: treated as rejected")
            continue
        c.result = ac.result
        ts = clean_uid(ac.transfer_syntax) if ac.transfer_syntax is not None else None
        if ac.result != 0:
            c.why = f"rejected by the acceptor: {CONTEXT_RESULTS.get(ac.result, 'unknown result')}"
        elif ts is None or ts not in c.proposed:
            c.why = (f"accepted with transfer syntax {ts!r}, which was not proposed for it: "
                     "treated as not accepted")
            neg.notes.append(f"context {c.context_id}: {c.why}")
        else:
            c.transfer_syntax = ts

    accepted_abstracts = {c.abstract_syntax for c in neg.contexts if c.accepted}
    ours = _per_sop_class(request.user_information, RoleSelection, [])
    theirs = _per_sop_class(conf.user_information, RoleSelection, neg.notes)
    for uid in theirs:
        if uid not in ours:
            neg.notes.append(f"role selection reply for {uid}, which we did not propose: ignored")
    for abstract in accepted_abstracts:
        rq, ac = ours.get(abstract), theirs.get(abstract)
        if rq is None or ac is None:  # D.3.3.4 note 2: no reply, default roles
            neg.roles[abstract] = (True, False)
            continue
        # A role we did not propose cannot be granted, whatever the reply says.
        scu = bool(rq.scu_role) and bool(ac.scu_role)
        scp = bool(rq.scp_role) and bool(ac.scp_role)
        neg.roles[abstract] = (scu, scp)
        if not (scu or scp):
            neg.notes.append(f"{abstract}: the acceptor refused every role we proposed")

    window_rq = _first(request.user_information, AsynchronousOperationsWindow)
    window_ac = _first(conf.user_information, AsynchronousOperationsWindow)
    if window_rq is not None and window_ac is not None:
        for name in ("max_operations_invoked", "max_operations_performed"):
            asked, got = getattr(window_rq, name), getattr(window_ac, name)
            agreed = _bound(got, asked)
            if agreed != got:
                neg.notes.append(f"the acceptor's {name} {got} exceeds ours ({asked}): {agreed} used")
            setattr(neg, name, agreed)
    elif window_ac is not None:
        neg.notes.append("async operations window reply without a proposal: ignored (1/1)")

    identity_rq = _first(request.user_information, UserIdentityRQ)
    identity_ac = _first(conf.user_information, UserIdentityAC)
    if identity_ac is not None:
        neg.user_identity_response = identity_ac.server_response
        if identity_rq is None:
            neg.notes.append("user identity response without a request (PS3.7 D.3.3.7)")
    elif identity_rq is not None and identity_rq.positive_response_requested:
        neg.notes.append("positive user identity response requested but none received")
    for uid, item in _per_sop_class(conf.user_information, SOPClassExtendedNegotiation, neg.notes).items():
        neg.extended[uid] = item.service_class_application_information
    return neg
