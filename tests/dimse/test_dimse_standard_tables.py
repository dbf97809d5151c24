"""The tables of dimse.status and dimse.commands checked against the standard's own text.

PS3.7 Annex C (status classes and codes), Annex E (command dictionary), 9.3 and
10.3 (the fields of each message) and PS3.4 B.2.3, C.4 (service statuses) are
parsed from shared/dicom-standard and compared row by row.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from dicomcore.dimse import commands
from dicomcore.dimse.status import GENERAL, Status, category_of, meaning_of

# copied into the repository by tools/copy_standard.py
STANDARD = Path(__file__).resolve().parents[1] / "data" / "standard"


def _text(part: str) -> list[str]:
    return (STANDARD / f"{part}.md").read_text(encoding="utf-8").splitlines()


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _section(lines: list[str], start: str, stop: str) -> list[str]:
    begin = next(i for i, ln in enumerate(lines) if ln.startswith(start))
    end = next(i for i, ln in enumerate(lines) if i > begin and ln.startswith(stop))
    return lines[begin:end]


# ---------------------------------------------------------------- PS3.7 Annex C
ANNEX_C = None


def _annex_c() -> list[str]:
    global ANNEX_C
    if ANNEX_C is None:
        ANNEX_C = _section(_text("PS3.7"), "# C Status Type Encoding", "# D ")
    return ANNEX_C


def _annex_c_codes() -> list[tuple[str, str, int]]:
    """(class, heading, code) for every Annex C status whose code PS3.7 fixes."""
    found, klass, heading = [], "", ""
    for line in _annex_c():
        if m := re.match(r"## C\.\d (\w+) Status Class", line):
            klass = m.group(1)
        elif m := re.match(r"### C\.\d+\.\d+ (.+)", line):
            heading = m.group(1).strip()
        elif m := re.search(r"shall be set to ([0-9A-F]{4})H", line):
            found.append((klass, heading, int(m.group(1), 16)))
    return found


def test_annex_c_fixed_codes():
    rows = _annex_c_codes()
    assert len(rows) >= 20
    for klass, heading, code in rows:
        assert category_of(code) == klass, (heading, hex(code))
        assert GENERAL[code] == heading, hex(code)
        assert Status(code).meaning == heading


def test_annex_c_class_table():
    # Table C-1: Success 0000; Warning 0001 or Bxxx; Failure Axxx or Cxxx; Cancel FE00;
    # Pending FF00 and FF01.  Every code of each pattern falls in its class.
    table = {}
    for line in _annex_c():
        cells = _cells(line)
        if len(cells) == 2 and cells[0] in ("Success", "Warning", "Failure", "Cancel", "Pending"):
            table[cells[0]] = re.findall(r"[0-9A-Fx]{4}", cells[1])
    assert set(table) == {"Success", "Warning", "Failure", "Cancel", "Pending"}
    for klass, patterns in table.items():
        for pattern in patterns:
            low, high = int(pattern.replace("x", "0"), 16), int(pattern.replace("x", "F"), 16)
            for code in range(low, high + 1):
                assert category_of(code) == klass, hex(code)


def test_every_code_has_a_category_and_a_meaning():
    for code in range(0x10000):
        status = Status(code)
        assert status.category in ("Success", "Warning", "Failure", "Cancel", "Pending")
        assert status.meaning
    with pytest.raises(ValueError):
        Status(0x10000)


# ---------------------------------------------------------------- PS3.4 service statuses
SERVICE_TABLES = {"Table B.2-1": "storage", "Table C.4-1": "find", "Table C.4-2": "move",
                  "Table C.4-3": "get"}


def _service_rows() -> list[tuple[str, str, str, str]]:
    """(service, class, further meaning, code pattern) for each PS3.4 status row."""
    rows, service, klass = [], None, ""
    for line in _text("PS3.4"):
        title = next((s for t, s in SERVICE_TABLES.items() if line.startswith(t + ":")), None)
        if title:
            service = title
            continue
        if service and line.startswith("|"):
            cells = _cells(line)
            if cells[0] == "Service Status":
                continue
            klass = cells[0] or klass
            rows.append((service, klass, cells[1], cells[2]))
        elif service and line.strip() and not line.startswith("|"):
            service = None
    return rows


def test_ps34_service_statuses():
    rows = _service_rows()
    assert {r[0] for r in rows} == set(SERVICE_TABLES.values())
    assert len(rows) == 7 + 7 + 9 + 8
    for service, klass, meaning, pattern in rows:
        low, high = int(pattern.replace("x", "0"), 16), int(pattern.replace("x", "F"), 16)
        for code in {low, (low + high) // 2, high}:
            assert category_of(code) == klass, (service, pattern)
            if meaning:
                assert meaning_of(code, service).lower() == meaning.rstrip(".").lower(), \
                    (service, pattern)


# ---------------------------------------------------------------- PS3.7 Annex E
def test_command_dictionary_is_table_e1():
    rows = [_cells(ln) for ln in _section(_text("PS3.7"), "## E.1", "## E.2")
            if re.match(r"\| \(0000,", ln)]
    assert len(rows) == len(commands.ELEMENTS)
    for tag, name, keyword, vr, vm, _ in rows:
        element = commands.ELEMENTS[int(tag[1:5] + tag[6:10], 16)]
        assert (element.name, element.keyword, element.vr, element.vm) == (name, keyword, vr, vm)
    field_row = next(r for r in rows if r[2] == "CommandField")
    listed = {name.replace("C-MOVE-RQ", "C-MOVE-RQ"): int(code, 16) for code, name in
              re.findall(r"([0-9A-F]{4})H ?([CN]-[A-Z-]+?-(?:RQ|RSP))", field_row[5])}
    assert listed == {s.name: s.command_field for s in commands.SPECS.values()}


def test_retired_fields_are_table_e2():
    rows = [_cells(ln) for ln in _section(_text("PS3.7"), "## E.2", "# F ")
            if re.match(r"\| \(0000,", ln)]
    assert {int(r[0][1:5] + r[0][6:10], 16): (r[2], r[3]) for r in rows} == commands.RETIRED


# ---------------------------------------------------------------- PS3.7 9.3 and 10.3
# Status fields PS3.7 Annex C lets any response carry, beyond the 9.3/10.3 tables;
# and Message ID, which a DIMSE-C response may carry (9.1.1.1.1 Note 1).
ANNEX_C_EXTRAS = {"OffendingElement", "ErrorComment", "ErrorID", "AttributeIdentifierList",
                  "MessageID"}


def _message_tables() -> dict[str, list[list[str]]]:
    tables, current = {}, None
    for line in _text("PS3.7"):
        if m := re.match(r"Table (?:9|10)\.3-\d+: (\S+) Message Fields", line):
            current = tables.setdefault(m.group(1), [])
        elif current is not None and line.startswith("|"):
            current.append(_cells(line))
        elif line.startswith("#"):
            current = None
    return tables


def test_message_tables():
    tables = _message_tables()
    assert len(tables) == 25  # 13 DIMSE-C (three C-CANCELs) + 12 DIMSE-N
    for title, rows in tables.items():
        spec = commands.BY_NAME[re.sub(r"C-CANCEL-\w+-RQ", "C-CANCEL-RQ", title)]
        fields = {r[0]: r for r in rows[1:]}
        keywords = {commands.ELEMENTS[int(r[1][1:5] + r[1][6:10], 16)].keyword
                    for r in rows[1:] if r[1].startswith("(0000")}
        ours = {k for k, _ in spec.fields} | {"CommandGroupLength", "CommandField",
                                              "CommandDataSetType"}
        assert keywords <= ours, (title, keywords - ours)
        assert ours - keywords <= ANNEX_C_EXTRAS, (title, ours - keywords)
        value = re.search(r"set to ([0-9A-F]{4})H", fields["Command Field"][4]).group(1)
        assert int(value, 16) == spec.command_field, title
        data_rule = fields["Command Data Set Type"][4]
        expected = ("required" if "other than 0101H" in data_rule else
                    "optional" if "if no Data Set is present" in data_rule else "none")
        assert spec.data_set == expected, title
        has_data_row = any(r[1] == "(no tag)" for r in rows[1:])
        assert has_data_row == (spec.data_set != "none"), title
