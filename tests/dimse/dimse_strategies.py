"""hypothesis strategies for DIMSE messages: every message type, every field, by VR."""
from __future__ import annotations

from hypothesis import strategies as st

from dicomcore.dataset import DataElement
from dicomcore.dimse.commands import BY_KEYWORD, SPECS
from dicomcore.dimse.messages import MESSAGE_CLASSES

# PS3.5 6.2: the default repertoire without backslash; no leading/trailing spaces,
# which decoding strips (AE and LO pad and trim with spaces).
_TEXT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\\"),
                min_size=1, max_size=10)


def _words(max_size: int) -> st.SearchStrategy[str]:
    return st.lists(_TEXT, min_size=1, max_size=4).map(" ".join).filter(
        lambda s: len(s) <= max_size)


uids = st.lists(st.integers(0, 10 ** 6), min_size=1, max_size=8).map(
    lambda parts: ".".join(map(str, parts)))
values_by_vr = {
    "UI": uids,
    "AE": _words(16),
    "LO": _words(64),
    "US": st.integers(0, 0xFFFF),
    "AT": st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=5),
}
# A retired command element (PS3.7 Table E.2-1) that decoding keeps in ``extra``.
extras = st.lists(st.integers(0, 0xFFFF).map(lambda n: DataElement(0x00000850, "US", n)),
                  max_size=1)


@st.composite
def messages(draw, command_field: int | None = None):
    """A valid message of any (or the given) type; ``dataset`` is bytes or None."""
    if command_field is None:
        command_field = draw(st.sampled_from(sorted(SPECS)))
    spec = SPECS[command_field]
    kwargs = {}
    for keyword, usage in spec.fields:
        element = BY_KEYWORD[keyword]
        strategy = values_by_vr[element.vr]
        if usage == "M":
            kwargs[element.attr] = draw(strategy)
        else:
            kwargs[element.attr] = draw(st.none() | strategy)
    if spec.data_set == "required" or spec.data_set == "optional" and draw(st.booleans()):
        kwargs["dataset"] = draw(st.binary(max_size=40).map(lambda b: b + b"\0" * (len(b) & 1)))
    else:
        kwargs["dataset"] = None
    kwargs["extra"] = draw(extras)
    return MESSAGE_CLASSES[command_field](**kwargs)
