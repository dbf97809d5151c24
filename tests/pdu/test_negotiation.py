"""Association negotiation: PS3.8 Tables 9-18/9-21, PS3.7 D.3.3 sub-items, both sides."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomcore.dataset import uid as uid_registry
from dicomcore.errors import DicomError, EncodeError
from dicomcore.pdu.items import (CONTEXT_RESULTS, AsynchronousOperationsWindow, ImplementationClassUID,
                                 MaximumLength, PresentationContextAC, PresentationContextRQ,
                                 RoleSelection, SOPClassExtendedNegotiation, UserIdentityAC,
                                 UserIdentityRQ)
from dicomcore.pdu.negotiation import (IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME,
                                       AcceptorPolicy, interpret, negotiate, propose)
from dicomcore.pdu.pdus import AAssociateRJ, decode_pdu
from dicomcore.pdu.primitives import (AssociateConfirmation, AssociateIndication, AssociateResponse,
                                      confirmation_from_pdu, indication_from_pdu, request_to_pdu,
                                      response_to_pdu)
from dicomcore.pdu.upperlayer import UpperLayer

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
GET = "1.2.840.10008.5.1.4.1.2.2.3"  # Study Root Q/R GET
IMPLICIT, EXPLICIT, BIG = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"
JPEG = "1.2.840.10008.1.2.4.50"


def name_of(uid: str) -> str | None:
    info = uid_registry.REGISTRY.get(uid)
    return info.name if info else None


def policy(**kw) -> AcceptorPolicy:
    contexts = kw.pop("contexts", {VERIFICATION: [IMPLICIT], CT: [EXPLICIT, IMPLICIT], MR: [IMPLICIT]})
    return AcceptorPolicy(contexts=contexts, ae_title="ANY-SCP", **kw)


def indication(contexts=((VERIFICATION, [IMPLICIT]),), *, user=None, called="ANY-SCP",
               calling="STORESCU", app="1.2.840.10008.3.1.1.1", **kw) -> AssociateIndication:
    """What the acceptor sees: built through propose() and the wire, as a peer would send it."""
    rq = propose(list(contexts), called_ae_title=called, calling_ae_title=calling, **kw)
    rq.application_context_name = app
    if user is not None:
        rq.user_information += user
    return indication_from_pdu(decode_pdu(request_to_pdu(rq).encode()))


def user_items(resp: AssociateResponse, kind: type) -> list:
    return [i for i in resp.user_information if isinstance(i, kind)]


def test_implementation_identity_matches_the_uid_registry():
    # negotiation may not import dicomcore.dataset (DESIGN), so the constants are pinned here.
    assert IMPLEMENTATION_CLASS_UID == uid_registry.IMPLEMENTATION_CLASS_UID
    assert IMPLEMENTATION_VERSION_NAME == uid_registry.IMPLEMENTATION_VERSION_NAME


# ---------------------------------------------------------------- PS3.8 Table 9-18
@pytest.mark.parametrize("abstract, syntaxes, pol, result, ts, why", [
    (VERIFICATION, [IMPLICIT], {}, 0, IMPLICIT, ""),
    (CT, [IMPLICIT, EXPLICIT], {}, 0, EXPLICIT, "our preference chose"),
    ("1.2.3.4", [IMPLICIT], {}, 3, None, "abstract syntax not in policy"),
    ("not a uid", [IMPLICIT], {"accept_any_abstract": True, "transfer_syntaxes": [IMPLICIT]}, 3, None,
     "not a valid UID"),
    (MR, [JPEG, BIG], {}, 4, None,
     f"none of the proposed transfer syntaxes [{JPEG}, {BIG}] is in the accepted list [{IMPLICIT}]"),
    (CT, [IMPLICIT], {"scu_roles": set(), "role": (True, False)}, 1, None, "role SCU not allowed"),
    (CT, [IMPLICIT], {"role": (False, True)}, 1, None, "role SCP not allowed"),
], ids=["accept", "preference", "abstract", "invalid-abstract", "transfer", "role-scu", "role-scp"])
def test_context_results(abstract, syntaxes, pol, result, ts, why):
    role = pol.pop("role", None)
    ind = indication([(abstract, syntaxes)], roles={abstract: role} if role else None)
    neg = negotiate(policy(**pol), ind)
    assert neg.is_accepted and neg.response.accepted
    [ac] = neg.response.presentation_contexts
    assert (ac.context_id, ac.result) == (1, result)
    assert neg.contexts[0].transfer_syntax == ts and why in neg.contexts[0].why
    if result == 0:
        assert ac.transfer_syntax == ts and neg.accepted == {1: (abstract, ts)}
    else:
        assert neg.accepted == {}
        # PS3.8 Table 9-18: the sub-item is still sent (its value is not tested).
        assert ac.transfer_syntax is not None
    response_to_pdu(neg.response, ind).encode()  # the answer is always encodable
    assert CONTEXT_RESULTS[result] in neg.report()


@pytest.mark.parametrize("result", sorted(CONTEXT_RESULTS))
def test_requestor_reads_every_result_value(result):
    rq = propose([(CT, [IMPLICIT])])
    ts = IMPLICIT if result == 0 else None  # rejected without a Transfer Syntax Sub-Item
    conf = AssociateConfirmation(presentation_contexts=[PresentationContextAC(1, result, ts)])
    neg = interpret(rq, conf)
    assert neg.accepted == ({1: (CT, IMPLICIT)} if result == 0 else {})
    assert neg.contexts[0].result == result
    assert CONTEXT_RESULTS[result] in neg.report()


def test_every_context_is_answered_once_in_order():
    proposals = [(VERIFICATION, [IMPLICIT]), (CT, [JPEG]), ("1.2.3", [IMPLICIT]), (CT, [IMPLICIT]),
                 (MR, [EXPLICIT, IMPLICIT]), (MR, ["1.2.840.10008.1.2.01"])]
    neg = negotiate(policy(), indication(proposals))
    answers = neg.response.presentation_contexts
    assert [a.context_id for a in answers] == [1, 3, 5, 7, 9, 11]
    assert [a.result for a in answers] == [0, 4, 3, 0, 0, 4]
    assert neg.accepted == {1: (VERIFICATION, IMPLICIT), 7: (CT, IMPLICIT), 9: (MR, IMPLICIT)}
    assert neg.find_context(CT) == 7 and neg.find_context(CT, EXPLICIT) is None


def test_invalid_transfer_syntax_is_never_accepted_even_if_listed():
    bad = "1.2.840.10008.1.2.01"  # leading zero: not a UID (PS3.5 9.1)
    neg = negotiate(policy(contexts={CT: [bad, IMPLICIT]}), indication([(CT, [bad])]))
    assert neg.response.presentation_contexts[0].result == 4
    assert "never accepted" in neg.contexts[0].why


def test_accept_any_abstract():
    pol = policy(contexts={}, accept_any_abstract=True, transfer_syntaxes=[EXPLICIT, IMPLICIT])
    neg = negotiate(pol, indication([("1.2.3.4.5", [IMPLICIT, EXPLICIT]), (CT, [BIG])]))
    assert [a.result for a in neg.response.presentation_contexts] == [0, 4]
    assert neg.accepted == {1: ("1.2.3.4.5", EXPLICIT)}


def test_duplicate_context_ids_are_answered_once():
    ind = indication([(CT, [IMPLICIT])])
    ind.presentation_contexts.append(PresentationContextRQ(1, MR, [IMPLICIT]))
    neg = negotiate(policy(), ind)
    assert [a.context_id for a in neg.response.presentation_contexts] == [1]
    assert neg.accepted == {1: (CT, IMPLICIT)} and "proposed twice" in neg.report()


def test_reject_when_none_accepted_is_optional():
    ind = indication([("1.2.3", [IMPLICIT])])
    neg = negotiate(policy(), ind)
    assert neg.response.accepted and neg.accepted == {}  # the AC tells the requestor why
    neg = negotiate(policy(reject_when_none_accepted=True), ind)
    assert (neg.response.result, neg.response.source, neg.response.reason) == (1, 1, 1)
    assert "abstract syntax not in policy" in neg.report()


# ---------------------------------------------------------------- PS3.8 Table 9-21
@pytest.mark.parametrize("pol, ind_kw, active, expected, words", [
    ({}, {"app": "1.2.3.4"}, 0, (1, 1, 2), "application-context-name-not-supported"),
    ({"require_called_ae_title": True}, {"called": "OTHER"}, 0, (1, 1, 7), "called-AE-title-not-recognized"),
    ({"allowed_calling_ae_titles": {"A", "B"}}, {"calling": "C"}, 0, (1, 1, 3),
     "calling-AE-title-not-recognized"),
    ({"max_associations": 2}, {}, 2, (2, 3, 2), "local-limit-exceeded"),
    ({"user_identity": lambda item: (False, None)},
     {"user_identity": UserIdentityRQ(1, b"mallory")}, 0, (1, 2, 1), "no-reason-given"),
], ids=["app-context", "called", "calling", "busy", "user-identity"])
def test_association_rejections(pol, ind_kw, active, expected, words):
    ind = indication(**ind_kw)
    neg = negotiate(policy(**pol), ind, active_associations=active)
    resp = neg.response
    assert not resp.accepted and (resp.result, resp.source, resp.reason) == expected
    assert (neg.result, neg.source, neg.reason) == expected and neg.accepted == {}
    assert response_to_pdu(resp, ind) == AAssociateRJ(*expected)
    text = neg.report()
    assert words in text and neg.why in text
    assert {1: "rejected-permanent", 2: "rejected-transient"}[expected[0]] in text
    # the requestor reads the same words from the A-ASSOCIATE-RJ
    back = interpret(propose([(VERIFICATION, [IMPLICIT])]), confirmation_from_pdu(AAssociateRJ(*expected)))
    assert not back.is_accepted and words in back.report() and back.accepted == {}


def test_ae_titles_accepted_when_not_checked_or_matching():
    assert negotiate(policy(), indication(called="WHATEVER")).is_accepted
    pol = policy(require_called_ae_title=True, allowed_calling_ae_titles={"STORESCU"})
    neg = negotiate(pol, indication())
    assert neg.is_accepted
    assert "STORESCU -> ANY-SCP" in neg.report()


# ---------------------------------------------------------------- PS3.7 D.3.3.4 roles
# (requestor proposes SCU, SCP) x (policy lets the requestor be SCU, SCP)
#   -> (role selection reply, or None when the context is refused, requestor's roles)
ROLE_TABLE = [
    ((1, 0), (1, 0), (1, 0), (True, False)),
    ((1, 0), (1, 1), (1, 0), (True, False)),
    ((1, 0), (0, 1), None, None),
    ((1, 0), (0, 0), None, None),
    ((0, 1), (0, 1), (0, 1), (False, True)),
    ((0, 1), (1, 1), (0, 1), (False, True)),   # SCU not proposed: cannot be granted
    ((0, 1), (1, 0), None, None),
    ((0, 1), (0, 0), None, None),
    ((1, 1), (1, 1), (1, 1), (True, True)),
    ((1, 1), (1, 0), (1, 0), (True, False)),
    ((1, 1), (0, 1), (0, 1), (False, True)),
    ((1, 1), (0, 0), None, None),
]


@pytest.mark.parametrize("proposed, allowed, reply, roles", ROLE_TABLE)
def test_role_selection_table(proposed, allowed, reply, roles):
    pol = policy(scu_roles={CT} if allowed[0] else set(), scp_roles={CT} if allowed[1] else set())
    ind = indication([(CT, [IMPLICIT]), (VERIFICATION, [IMPLICIT])], roles={CT: tuple(map(bool, proposed))})
    neg = negotiate(pol, ind)
    replies = user_items(neg.response, RoleSelection)
    if reply is None:
        assert neg.response.presentation_contexts[0].result == 1 and replies == []
        assert "not allowed" in neg.report()
    else:
        assert [(r.sop_class_uid, r.scu_role, r.scp_role) for r in replies] == [(CT, *reply)]
        assert neg.roles[CT] == roles
        # the requestor, reading the same AC, agrees
        rq = propose([(CT, [IMPLICIT]), (VERIFICATION, [IMPLICIT])], roles={CT: tuple(map(bool, proposed))},
                     called_ae_title="ANY-SCP", calling_ae_title="STORESCU")
        back = interpret(rq, _through_the_wire(neg.response, ind))
        assert back.roles[CT] == roles and back.local_roles(CT) == roles
        assert neg.local_roles(CT) == roles[::-1]
    # Verification had no role item: defaults, and no reply for it
    assert neg.roles[VERIFICATION] == (True, False)


@pytest.mark.parametrize("proposed, reply, roles", [
    ((1, 0), None, (True, False)),   # no reply: defaults (D.3.3.4 note 2)
    ((0, 1), None, (True, False)),
    ((0, 1), (0, 1), (False, True)),
    ((0, 1), (1, 1), (False, True)),  # reply grants SCU we never proposed: ignored
    ((1, 0), (1, 1), (True, False)),
    ((1, 1), (0, 1), (False, True)),
    ((1, 1), (0, 0), (False, False)),
])
def test_requestor_role_interpretation(proposed, reply, roles):
    rq = propose([(CT, [IMPLICIT])], roles={CT: tuple(map(bool, proposed))})
    user = [RoleSelection(CT, *reply)] if reply else []
    neg = interpret(rq, AssociateConfirmation(presentation_contexts=[PresentationContextAC(1, 0, IMPLICIT)],
                                              user_information=user))
    assert neg.roles == {CT: roles}


def test_role_items_without_context_or_without_role_get_no_reply():
    ind = indication([(CT, [IMPLICIT])], user=[RoleSelection(MR, 0, 1), RoleSelection(CT, 0, 0)])
    neg = negotiate(policy(scp_roles={CT, MR}), ind)
    assert user_items(neg.response, RoleSelection) == []
    assert neg.roles == {CT: (True, False)} and "proposes no role" in neg.report()


@pytest.mark.parametrize("role, hook, chosen", [
    ((False, True), None, IMPLICIT),            # we send, it receives: its order decides
    ((True, True), None, EXPLICIT),             # it may send too: our preference, as ever
    (None, None, EXPLICIT),                     # no role item: requestor SCU, ours
    ((False, True), lambda pairs: [EXPLICIT for _ in pairs], EXPLICIT),  # the hook ranks
    ((False, True), lambda pairs: [JPEG for _ in pairs], IMPLICIT),  # not proposed: never
    ((False, True), lambda pairs: [], IMPLICIT),  # no answer: the requestor's first
], ids=["requestor-scp", "both-roles", "default-roles", "hook", "hook-slip", "hook-short"])
def test_requestor_scp_context_takes_the_requestors_order(role, hook, chosen):
    """PS3.7 D.3.3.4: on a context where only the requestor is SCP (C-GET's C-STORE
    sub-operations) we are the sender, so the receiver's preference decides among the
    syntaxes we support (BIG is proposed first but not ours: skipped)."""
    seen = []

    def spy(pairs):
        seen.extend(pairs)
        return hook(pairs)

    pol = policy(contexts={GET: [IMPLICIT], CT: [EXPLICIT, IMPLICIT]}, scp_roles={CT},
                 sending_choice=spy if hook else None)
    ind = indication([(GET, [IMPLICIT]), (CT, [BIG, IMPLICIT, EXPLICIT])],
                     roles={CT: role} if role else None)
    neg = negotiate(pol, ind)
    assert neg.accepted[3] == (CT, chosen)
    assert {ac.context_id: ac.transfer_syntax for ac in neg.response.presentation_contexts} \
        == {1: IMPLICIT, 3: chosen}
    if hook and role == (False, True):
        assert seen == [(CT, [IMPLICIT, EXPLICIT])]  # only ours, in the requestor's order
    if role == (False, True):
        assert "we send on this context" in neg.contexts[1].why


def test_c_get_storage_role_round():
    """C-GET: the requestor asks to be SCP for the storage classes it will receive."""
    pol = policy(contexts={GET: [IMPLICIT], CT: [EXPLICIT, IMPLICIT]}, scp_roles={CT})
    rq = propose([(GET, [IMPLICIT]), (CT, [EXPLICIT])], roles={CT: (False, True)})
    ind = indication_from_pdu(request_to_pdu(rq))
    neg = negotiate(pol, ind)
    assert neg.local_roles(CT) == (True, False) and neg.local_roles(GET) == (False, True)
    back = interpret(rq, _through_the_wire(neg.response, ind))
    assert back.local_roles(CT) == (False, True) and back.accepted == neg.accepted


# ---------------------------------------------------------------- PS3.7 D.3.3.3 window
@pytest.mark.parametrize("proposed, ours, agreed", [
    (None, (1, 1), None),
    (None, (5, 5), None),
    ((5, 5), (1, 1), (1, 1)),
    ((0, 0), (1, 1), (1, 1)),
    ((0, 0), (3, 0), (3, 0)),
    ((2, 3), (0, 0), (2, 3)),
    ((0, 0), (0, 0), (0, 0)),
    ((1, 1), (4, 4), (1, 1)),
    ((8, 2), (4, 4), (4, 2)),
])
def test_async_window_is_bounded(proposed, ours, agreed):
    ind = indication(max_operations=proposed)
    neg = negotiate(policy(max_operations_invoked=ours[0], max_operations_performed=ours[1]), ind)
    windows = user_items(neg.response, AsynchronousOperationsWindow)
    if agreed is None:
        assert windows == [] and (neg.max_operations_invoked, neg.max_operations_performed) == (1, 1)
        return
    assert [(w.max_operations_invoked, w.max_operations_performed) for w in windows] == [agreed]
    assert (neg.max_operations_invoked, neg.max_operations_performed) == agreed
    rq = propose([(VERIFICATION, [IMPLICIT])], max_operations=proposed)
    back = interpret(rq, _through_the_wire(neg.response, ind))
    assert (back.max_operations_invoked, back.max_operations_performed) == agreed


def test_requestor_clamps_a_window_above_its_proposal():
    rq = propose([(CT, [IMPLICIT])], max_operations=(2, 2))
    conf = AssociateConfirmation(presentation_contexts=[PresentationContextAC(1, 0, IMPLICIT)],
                                 user_information=[AsynchronousOperationsWindow(9, 0)])
    neg = interpret(rq, conf)
    assert (neg.max_operations_invoked, neg.max_operations_performed) == (2, 2)
    assert "exceeds ours" in neg.report()


# ---------------------------------------------------------------- PS3.7 D.3.3.7 identity
@pytest.mark.parametrize("positive, hook, reply", [
    (1, (True, b"ticket"), b"ticket"),
    (1, (True, None), b""),
    (0, (True, b"ticket"), None),   # no response unless requested
    (1, None, None),                # no hook: accepted without response
])
def test_user_identity(positive, hook, reply):
    seen = []

    def check(item: UserIdentityRQ):
        seen.append(item)
        return hook

    pol = policy(user_identity=check if hook else None)
    neg = negotiate(pol, indication(user_identity=UserIdentityRQ(2, b"alice", b"secret", positive)))
    assert neg.is_accepted
    got = user_items(neg.response, UserIdentityAC)
    assert [g.server_response for g in got] == ([] if reply is None else [reply])
    assert neg.user_identity_response == reply
    if hook:
        assert seen[0].primary_field == b"alice" and seen[0].secondary_field == b"secret"
    assert "secret" not in neg.report()


def test_user_identity_hook_not_called_without_item():
    pol = policy(user_identity=lambda item: pytest.fail("called"))
    neg = negotiate(pol, indication())
    assert neg.is_accepted and user_items(neg.response, UserIdentityAC) == []


# ---------------------------------------------------------------- D.3.3.5 and the rest
def test_extended_negotiation_hook():
    calls = []

    def hook(item: SOPClassExtendedNegotiation) -> bytes | None:
        calls.append(item.sop_class_uid)
        return b"\x01" if item.sop_class_uid == CT else None

    ind = indication([(CT, [IMPLICIT]), (MR, [IMPLICIT]), ("1.2.3", [IMPLICIT])],
                     extended_negotiation={CT: b"\x01\x01", MR: b"\x00", "1.2.3": b"\x01"})
    neg = negotiate(policy(extended_negotiation=hook), ind)
    assert calls == [CT, MR]  # not for the rejected abstract syntax
    assert [(i.sop_class_uid, i.service_class_application_information)
            for i in user_items(neg.response, SOPClassExtendedNegotiation)] == [(CT, b"\x01")]
    rq = propose([(CT, [IMPLICIT]), (MR, [IMPLICIT]), ("1.2.3", [IMPLICIT])],
                 extended_negotiation={CT: b"\x01\x01", MR: b"\x00", "1.2.3": b"\x01"})
    assert interpret(rq, _through_the_wire(neg.response, ind)).extended == {CT: b"\x01"}


def test_response_user_information_and_pdu_lengths():
    ind = indication(max_pdu_length=0)
    neg = negotiate(policy(max_pdu_length=32768), ind)
    types = [i.item_type for i in neg.response.user_information]
    assert types == sorted(types) and types[:2] == [0x51, 0x52]  # PS3.8 9.3.3.3 note: ascending
    assert user_items(neg.response, MaximumLength)[0].maximum_length == 32768
    assert user_items(neg.response, ImplementationClassUID)[0].name == IMPLEMENTATION_CLASS_UID
    assert (neg.max_pdu_length, neg.peer_max_pdu_length) == (32768, 0)
    assert neg.peer_implementation_class_uid == IMPLEMENTATION_CLASS_UID
    assert "no limit" in neg.report()


# ---------------------------------------------------------------- propose()
def test_propose_numbers_contexts_and_limits_them():
    rq = propose([(f"1.2.3.{n}", [IMPLICIT]) for n in range(128)])
    ids = [pc.context_id for pc in rq.presentation_contexts]
    assert ids == list(range(1, 256, 2))
    request_to_pdu(rq).encode()
    with pytest.raises(DicomError, match="at most 128"):
        propose([(f"1.2.3.{n}", [IMPLICIT]) for n in range(129)])


@pytest.mark.parametrize("kw", [
    {"contexts": [(CT, [])]},
    {"roles": {MR: (True, True)}},
    {"roles": {CT: (False, False)}},
    {"extended_negotiation": {MR: b""}},
])
def test_propose_refuses_what_cannot_be_negotiated(kw):
    with pytest.raises(EncodeError):
        propose(kw.pop("contexts", [(CT, [IMPLICIT])]), **kw)


# ---------------------------------------------------------------- interpret()
def test_requestor_copes_with_a_sloppy_acceptor():
    rq = propose([(VERIFICATION, [IMPLICIT]), (CT, [EXPLICIT]), (MR, [IMPLICIT]), (CT, [IMPLICIT])])
    conf = AssociateConfirmation(presentation_contexts=[
        PresentationContextAC(1, 0, IMPLICIT + "\0"),   # padded: still fine
        PresentationContextAC(3, 0, IMPLICIT),          # a syntax we did not offer for 3
        PresentationContextAC(5, 3, None),              # rejected, no Transfer Syntax Sub-Item
        PresentationContextAC(9, 0, IMPLICIT),          # never proposed
        PresentationContextAC(1, 4, None),              # a second answer for 1
    ], user_information=[MaximumLength(4096)])
    neg = interpret(rq, conf)
    assert neg.accepted == {1: (VERIFICATION, IMPLICIT)}
    assert neg.peer_max_pdu_length == 4096 and neg.max_pdu_length == 16384
    assert [c.result for c in neg.contexts] == [0, 0, 3, None]
    text = neg.report()
    for words in ("which was not proposed", "context 9, which was not proposed", "twice",
                  "context 7 was not answered", "abstract-syntax-not-supported"):
        assert words in text, words


# ---------------------------------------------------------------- report()
def test_report_names_uids_and_reasons():
    ind = indication([(VERIFICATION, [IMPLICIT]), (CT, [JPEG]), ("1.2.3.4", [IMPLICIT])])
    text = negotiate(policy(), ind).report(uid_name=name_of)
    assert "STORESCU -> ANY-SCP" in text and "association accepted" in text
    assert f"[3] {CT} (CT Image Storage)" in text
    assert "JPEG Baseline" in text
    assert (f"none of the proposed transfer syntaxes [{JPEG}] is in the accepted list "
            f"[{EXPLICIT}, {IMPLICIT}]") in text
    assert "abstract syntax not in policy" in text
    assert "max PDU length: acceptor (us) 16384, requestor 16384" in text
    assert "3 proposed, 1 accepted" in text
    assert "roles: requestor SCU" in text


# ---------------------------------------------------------------- properties
uid_text = st.sampled_from([IMPLICIT, EXPLICIT, BIG, JPEG, "1.2.840.10008.1.2.01", "", "1.2.3.4"])
abstracts = st.sampled_from([VERIFICATION, CT, MR, GET, "1.2.3", "x"])
proposals = st.lists(st.tuples(abstracts, st.lists(uid_text, min_size=1, max_size=4)), max_size=20)
policies = st.builds(
    dict, contexts=st.dictionaries(abstracts, st.lists(uid_text, max_size=4, unique=True), max_size=5),
    accept_any_abstract=st.booleans(), transfer_syntaxes=st.lists(uid_text, max_size=3),
    scu_roles=st.none() | st.sets(abstracts), scp_roles=st.sets(abstracts))
role_proposals = st.dictionaries(abstracts, st.sampled_from([(True, False), (False, True), (True, True)]))


@settings(max_examples=300, deadline=None)
@given(proposals, policies, role_proposals)
def test_every_context_answered_and_accepted_ts_is_proposed_and_allowed(props, pol_kw, roles):
    roles = {a: r for a, r in roles.items() if a in {p[0] for p in props}}
    pol = AcceptorPolicy(**pol_kw)
    rq = propose(props, roles=roles, calling_ae_title="REQ", called_ae_title="ACC")
    ind = indication_from_pdu(decode_pdu(request_to_pdu(rq).encode()))
    neg = negotiate(pol, ind)
    answers = neg.response.presentation_contexts
    assert sorted(a.context_id for a in answers) == [pc.context_id for pc in rq.presentation_contexts]
    for pc, ac in zip(rq.presentation_contexts, answers):
        assert ac.context_id == pc.context_id and ac.result in CONTEXT_RESULTS
        if ac.result == 0:
            assert ac.transfer_syntax in pc.transfer_syntaxes
            assert ac.transfer_syntax in pol.transfer_syntaxes_for(pc.abstract_syntax)
    # what the acceptor thinks it accepted is what the requestor reads
    back = interpret(rq, _through_the_wire(neg.response, ind))
    assert back.accepted == neg.accepted and back.roles == neg.roles
    assert back.notes == []
    neg.report(uid_name=name_of)
    back.report()


# ---------------------------------------------------------------- two machines
def _through_the_wire(resp: AssociateResponse, ind: AssociateIndication) -> AssociateConfirmation:
    pdu = response_to_pdu(resp, ind)
    return confirmation_from_pdu(decode_pdu(pdu.encode()))


def test_round_trip_through_two_upper_layers():
    req, acc = UpperLayer(artim_timeout=30), UpperLayer(artim_timeout=30)
    rq = propose([(VERIFICATION, [IMPLICIT]), (CT, [JPEG, IMPLICIT, EXPLICIT]), (MR, [BIG])],
                 called_ae_title="ANY-SCP", calling_ae_title="ECHOSCU", max_pdu_length=8192,
                 max_operations=(3, 3), roles={CT: (True, True)},
                 user_identity=UserIdentityRQ(1, b"bob", b"", 1))
    pol = policy(scp_roles={CT}, max_operations_invoked=2, user_identity=lambda i: (True, b""))
    now = 0.0

    def pump():
        nonlocal now
        while True:
            a, b = req.data_to_send(), acc.data_to_send()
            if not a and not b:
                return
            now += 1
            if a:
                acc.receive_data(a, now)
            if b:
                req.receive_data(b, now)

    req.send(rq, now)
    acc.connection_open(now)
    req.connection_confirmed(now)
    pump()
    [ind] = acc.events()
    neg = negotiate(pol, ind)
    acc.send(neg.response, now)
    pump()
    [conf] = req.events()
    assert isinstance(conf, AssociateConfirmation) and conf.accepted
    assert req.state == acc.state == "Sta6"
    back = interpret(rq, conf)
    assert back.accepted == neg.accepted == {1: (VERIFICATION, IMPLICIT), 3: (CT, EXPLICIT)}
    assert back.roles[CT] == neg.roles[CT] == (True, True)
    assert (back.max_operations_invoked, back.max_operations_performed) == (2, 1)
    assert back.user_identity_response == b""
    assert back.peer_max_pdu_length == req.peer_max_pdu_length == 16384
    assert neg.peer_max_pdu_length == acc.peer_max_pdu_length == 8192
    assert req.accepted_contexts == acc.accepted_contexts == frozenset(back.accepted)
    assert "transfer-syntaxes-not-supported" in back.report()
