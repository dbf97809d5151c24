"""Error Comments (0000,0902) fit LO as whole words (issue #12 point 16), and what
reaches a peer or a user never shows Python internals (a struct format, an exception's
repr)."""
from __future__ import annotations

import string
import sys
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers

import dicomcore  # noqa: E402
from dicomcore.dataset import Dataset  # noqa: E402
from dicomcore.dataset.encode import encode_dataset  # noqa: E402
from dicomcore.dimse import decode as dc  # noqa: E402
from dicomcore.dimse import messages as ms  # noqa: E402
from dicomcore.dimse.status import ERROR_COMMENT_MAX, dimse_error, error_comment  # noqa: E402
from dicomcore.errors import EncodeError  # noqa: E402

# Words of printable ASCII but backslash, joined by single spaces: text already fit for LO.
_word = st.text(alphabet=[c for c in string.printable[:94] if c != "\\"], min_size=1,
                max_size=80)
_sentence = st.lists(_word, max_size=30).map(" ".join)


def _is_lo(text: str) -> bool:
    # PS3.5 Table 6.2-1 LO: 64 characters, no backslash, no control characters
    return len(text) <= 64 and "\\" not in text and all(" " <= c <= "~" for c in text)


@given(_sentence)
def test_fits_as_a_prefix_of_whole_words(text):
    comment = error_comment(text)
    assert len(comment) <= ERROR_COMMENT_MAX and _is_lo(comment)
    words, kept = text.split(" "), comment.split(" ") if comment else []
    if len(text) <= 64:
        assert comment == text
    elif len(words[0]) > 64:  # a single word longer than the value: its start, nothing else
        assert comment == words[0][:64]
    else:  # never cut in a word, and as many words as fit
        assert kept == words[:len(kept)]
        assert len(comment) + 1 + len(words[len(kept)]) > 64


@given(st.text(max_size=300))
def test_any_text_becomes_valid_lo(text):
    comment = error_comment(text)
    assert _is_lo(comment)
    assert comment == comment.strip() and "  " not in comment


def test_examples():
    long = "the Query/Retrieve Level IMAGE needs a unique key at every level above it"
    assert error_comment(long) == "the Query/Retrieve Level IMAGE needs a unique key at every level"
    assert error_comment("line one\nline\\two\t Müller") == "line one line two M?ller"
    assert error_comment("x" * 70) == "x" * 64
    assert error_comment("") == ""


def test_a_rejected_command_is_answered_with_whole_words():
    words = "Affected SOP Instance UID (0000,1000) is missing or empty in this C-STORE-RQ"
    err = dimse_error(words, 0xC000, command_field=0x0001, message_id=3)
    rsp = dc.error_response(err)
    assert isinstance(rsp, ms.CStoreRSP)
    assert rsp.error_comment == "Affected SOP Instance UID (0000,1000) is missing or empty in"
    ms.encode_command(rsp)


def test_a_query_scp_failure_never_sends_python_internals(tmp_path):
    """A bug in the archive (any exception): the peer gets Failure and a plain comment,
    not the exception's text (that goes to the SCP's log)."""
    from dicomcore.ae.archive import Archive
    from dicomcore.ae.query import OperationFailed

    class Broken(Archive):
        def find(self, *args, **kwargs):
            raise RuntimeError("unpack requires a buffer of 4 bytes ('<I')")

    ae = dicomcore.ApplicationEntity("ARCHIVE", acse_timeout=10, dimse_timeout=20)
    server = ae.serve(0, "127.0.0.1", archive=Broken(str(tmp_path / "db")), block=False)
    try:
        from dicomcore.ae.query import qr_contexts

        with dicomcore.ApplicationEntity(acse_timeout=10, dimse_timeout=20).associate(
                "127.0.0.1", server.address[1], ae_title="ARCHIVE",
                **qr_contexts("study", services=("find",))) as assoc:
            query = Dataset()
            query.QueryRetrieveLevel = "STUDY"
            query.StudyInstanceUID = ""
            with pytest.raises(OperationFailed) as failed:
                list(assoc.find(query))
    finally:
        server.shutdown()
    comment = failed.value.response.error_comment
    assert comment == "internal error of the SCP (see its log)"
    assert "unpack" not in str(failed.value) and "RuntimeError" not in str(failed.value)


@pytest.mark.parametrize("vr, value, holds", [
    ("US", 70000, "US holds integers 0 to 65535"),
    ("US", -1, "US holds integers 0 to 65535"),
    ("SS", [1, 40000], "SS holds integers -32768 to 32767"),
    ("UL", "abc", "UL holds integers 0 to 4294967295"),
    ("FL", 1e40, "FL holds 32-bit floats"),
])
def test_binary_numbers_say_what_the_vr_holds_not_a_struct_format(vr, value, holds):
    ds = Dataset()
    ds.add(0x00091010, vr, value)
    with pytest.raises(EncodeError) as caught:
        encode_dataset(ds, True, True)
    text = str(caught.value)
    assert holds in text and "(0009,1010)" in text, text
    assert "format" not in text and "'H'" not in text and "argument" not in text, text
