"""Hypothesis strategies for every item and PDU of dicomcore.pdu (valid, canonical values).

Canonical means: what the encoder produces, so decode(encode(x)) == x and the
bytes re-encode identical (AE titles without leading/trailing spaces, unknown
sub-items after the known ones).
"""
from __future__ import annotations

from hypothesis import strategies as st

from dicomcore.pdu import items as it
from dicomcore.pdu import pdus as pd

uids = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255), max_size=64)
dotted = st.from_regex(r"[1-9][0-9]{0,5}(\.(0|[1-9][0-9]{0,5})){1,8}", fullmatch=True)
ae_titles = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\\"),
                    min_size=1, max_size=16).map(lambda s: s.strip(" ")).filter(bool)
context_ids = st.integers(0, 127).map(lambda n: 2 * n + 1)
u8, u16, u32 = st.integers(0, 0xFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)
small_bytes = st.binary(max_size=300)


def unknown_items(excluded: set[int]) -> st.SearchStrategy[it.UnknownItem]:
    types = st.integers(0, 255).filter(lambda t: t not in excluded)
    return st.builds(it.UnknownItem, types, small_bytes, u8)


sub_items = st.one_of(
    st.builds(it.MaximumLength, u32),
    st.builds(it.ImplementationClassUID, uids),
    st.builds(it.AsynchronousOperationsWindow, u16, u16),
    st.builds(it.RoleSelection, uids, u8, u8),
    st.builds(it.ImplementationVersionName,
              st.text(alphabet=st.characters(max_codepoint=127), min_size=1, max_size=16)),
    st.builds(it.SOPClassExtendedNegotiation, uids, small_bytes),
    st.builds(it.SOPClassCommonExtendedNegotiation, uids, uids, st.lists(uids, max_size=4), u8, small_bytes),
    st.builds(it.UserIdentityRQ, st.integers(1, 5), small_bytes, small_bytes, u8),
    st.builds(it.UserIdentityAC, small_bytes),
    unknown_items(set(it.ALL_ITEMS)),
)

user_information = st.builds(it.UserInformation, st.lists(sub_items, max_size=6))

contexts_rq = st.builds(it.PresentationContextRQ, context_ids, uids, st.lists(uids, max_size=4),
                        st.lists(unknown_items({0x30, 0x40}), max_size=2))
contexts_ac = st.builds(it.PresentationContextAC, context_ids, st.integers(0, 4), uids,
                        st.lists(unknown_items({0x40}), max_size=2)) | \
    st.builds(it.PresentationContextAC, context_ids, st.integers(1, 4), st.none())

items = st.one_of(
    st.builds(it.ApplicationContext, uids), st.builds(it.AbstractSyntax, uids),
    st.builds(it.TransferSyntax, uids), contexts_rq, contexts_ac, user_information, sub_items,
)


def _associate(cls, contexts):
    return st.builds(cls, ae_titles, ae_titles, st.lists(contexts, max_size=5),
                     st.none() | user_information, uids, u16,
                     st.lists(unknown_items({0x10, 0x20, 0x21, 0x50}), max_size=2))


pdvs = st.builds(pd.PDV, context_ids, u8, st.binary(max_size=2000))
pdus = st.one_of(
    _associate(pd.AAssociateRQ, contexts_rq),
    _associate(pd.AAssociateAC, contexts_ac),
    st.builds(pd.AAssociateRJ, u8, u8, u8),
    st.builds(pd.PDataTF, st.lists(pdvs, min_size=1, max_size=5)),
    st.builds(pd.AReleaseRQ), st.builds(pd.AReleaseRP),
    st.builds(pd.AAbort, u8, u8),
)
