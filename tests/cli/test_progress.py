"""``cli.progress.Progress`` and ``ae.summary``: the text the tools print, with a clock
that is data (no sleeps, no timed assertions)."""
from __future__ import annotations

import io

from hypothesis import example, given, strategies as st

from dicomcore.ae.summary import AssociationSummary, format_bytes, peer_text
from dicomcore.cli.progress import Progress


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_nothing_until_one_summary_line():
    out, clock = io.StringIO(), Clock()
    progress = Progress("sent", 3, stream=out, tty=False, clock=clock)
    for size in (1000, 2000):
        clock.now += 0.5
        progress.add(size)
    progress.note("[3/3] bad.dcm: not DICOM", stream=io.StringIO())
    progress.add(failed=True)
    assert out.getvalue() == ""
    clock.now += 1.0
    assert progress.finish() == "sent 2 of 3 file(s), 1 failed; 3.0 kB in 2.00 s, 1.5 kB/s"
    assert out.getvalue() == "sent 2 of 3 file(s), 1 failed; 3.0 kB in 2.00 s, 1.5 kB/s\n"


def test_on_a_terminal_a_live_line_redrawn_at_most_ten_times_a_second():
    out, err, clock = io.StringIO(), io.StringIO(), Clock()
    progress = Progress("received", stream=out, tty=True, clock=clock)
    progress.add(10)  # first file: drawn at once
    clock.now += 0.0625  # (binary fractions: exact sums)
    progress.add(10)  # 62.5 ms later: not drawn again
    assert out.getvalue() == "\r\x1b[Kreceived 1 file(s), 0 failed; 10 bytes in 0.00 s, -"
    clock.now += 0.1875
    progress.add(10)
    assert out.getvalue().count("\r\x1b[K") == 2
    progress.note("stored x.dcm", stream=err)  # cleared, printed, drawn again
    assert err.getvalue() == "stored x.dcm\n"
    assert out.getvalue().count("\r\x1b[K") == 4
    progress.total = 3
    line = progress.finish()
    assert out.getvalue().endswith("\r\x1b[K" + line + "\n")
    assert line == "received 3 of 3 file(s), 0 failed; 30 bytes in 0.25 s, 120 bytes/s"


def test_counts_set_by_the_peer_and_without_bytes():
    out, clock = io.StringIO(), Clock()
    progress = Progress("moved", stream=out, tty=False, clock=clock, counts_bytes=False)
    progress.set(4, 1, total=10)
    clock.now += 2
    assert progress.finish() == "moved 3 of 10 file(s), 1 failed; 2.00 s, 2.0 file(s)/s"


@given(st.integers(0, 10 ** 15))
@example(999_950_000_000)  # rounds up to the next unit: "1.0 TB", never "1000.0 GB"
@example(999_960)
def test_format_bytes_is_short_and_close(count):
    text = format_bytes(count)
    number, unit = text.split(" ")
    scale = {"bytes": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[unit]
    assert abs(float(number) * scale - count) <= 0.05 * scale + 1e-9
    assert unit == "TB" or float(number) < 1000


def test_summary_line_fields():
    summary = AssociationSummary(peer=("127.0.0.1", 4242), calling_ae_title="SENDER",
                                 called_ae_title="ARCHIVE", proposed=3, accepted=2,
                                 instances=2, failed=1, bytes=2500, started=0.0)
    summary.requests.update({"C-STORE": 3, "C-ECHO": 1})
    summary.end("released")
    summary.end("connection closed")  # the first outcome is kept
    line = summary.line()
    assert line.endswith(" association 127.0.0.1:4242 SENDER -> ARCHIVE: 2 of 3 context(s) "
                         "accepted; released; 2 instance(s), 2.5 kB; 1 refused; C-ECHO 1; "
                         f"{summary.duration:.2f} s"), line
    probe = AssociationSummary(peer=("::1", 7, 0, 0))
    probe.end("closed before an A-ASSOCIATE-RQ")
    assert " connection [::1]:7: closed before an A-ASSOCIATE-RQ; " in probe.line()
    assert peer_text(None) == "unknown peer"
