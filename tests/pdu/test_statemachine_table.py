"""TRANSITIONS against PS3.8 Table 9-10 itself, cell by cell, parsed from the standard's text."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from dicomcore.pdu.statemachine import EVENTS, STATES, TRANSITIONS

# copied into the repository by tools/copy_standard.py
PS38 = Path(__file__).resolve().parents[1] / "data" / "standard" / "PS3.8.md"


def parse_table_9_10(text: str) -> dict[tuple[str, str], str]:
    """{(state, event): cell text} for all 13 x 19 cells, empty ones included."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Table 9-10:"))
    rows = []
    for ln in lines[start + 1:]:
        if not ln.startswith("|"):
            if rows:
                break
            continue
        rows.append([c.strip() for c in ln.strip().strip("|").split("|")])
    header = next(r for r in rows if r[0] == "EVENTS")
    states = header[1:]
    body = rows[rows.index(header) + 1:]
    assert states == [f"Sta{i}" for i in range(1, 14)]
    assert len(body) == 19, "Table 9-10 has one row per event Evt1..Evt19"
    cells = {}
    for n, row in enumerate(body, start=1):
        assert len(row) == 14, row
        for state, cell in zip(states, row[1:]):
            cells[state, f"Evt{n}"] = cell
    return cells, [r[0] for r in body]


@pytest.fixture(scope="module")
def table():
    return parse_table_9_10(PS38.read_text(encoding="utf-8"))


def test_states_and_events_are_the_standards(table):
    _, row_titles = table
    assert list(EVENTS) == [f"Evt{i}" for i in range(1, 20)]
    assert list(STATES) == [f"Sta{i}" for i in range(1, 14)]
    for title, (event, description) in zip(row_titles, EVENTS.items()):
        assert title == description, event


def _expected(cell: str) -> tuple[str, set[str]] | None:
    if not cell:
        return None
    m = re.fullmatch(r"(A[AER]-\d+|DT-\d+) Sta(\d+)(?: or (\d+))?", cell)
    assert m, f"unparsed cell {cell!r}"
    states = {f"Sta{m.group(2)}"} | ({f"Sta{m.group(3)}"} if m.group(3) else set())
    return m.group(1), states


def test_every_cell(table):
    cells, _ = table
    assert len(cells) == 13 * 19
    for (state, event), cell in cells.items():
        expected = _expected(cell)
        got = TRANSITIONS.get((state, event))
        if expected is None:
            assert got is None, f"{state}/{event}: empty in PS3.8, {got} here"
            continue
        assert got is not None, f"{state}/{event}: {cell!r} missing"
        action, fixed = got
        label, states = expected
        assert action.label == label, f"{state}/{event}"
        if len(states) == 1:
            assert fixed == next(iter(states)), f"{state}/{event}"
        else:  # "or" cells: the action chooses, among exactly these
            assert fixed is None and set(action.next_states) == states, f"{state}/{event}"


def test_no_extra_cells(table):
    cells, _ = table
    filled = {k for k, v in cells.items() if v}
    assert set(TRANSITIONS) == filled


def test_action_names_follow_ps38():
    for action, _ in TRANSITIONS.values():
        assert action.__name__ == action.label.lower().replace("-", "_")
        assert action.__doc__
