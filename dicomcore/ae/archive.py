"""The archive: stored files plus an SQLite index (stdlib ``sqlite3``) of PS3.4 C.6 keys.

``folder/index.sqlite`` holds four tables, patient -> study -> series ->
instance, with the unique and required keys of the Patient Root and Study
Root models (C.6.1.1, C.6.2.1) and a few optional ones.  Files live under
``folder/<study>/<series>/<instance>.dcm``, names made from sanitised UIDs
(``safe_component``), never from other received values.

Rule 1: a committed row always has its file.  ``add`` runs one transaction:
BEGIN IMMEDIATE, write the rows, move the file into place (``os.replace``),
fsync file and folder, COMMIT last.  A crash before COMMIT rolls the rows
back and can leave only an unindexed file (invisible: queries read the
index); a crash after leaves both.  A file never takes the place of a file a
row still names: a duplicate goes to a fresh name and the old file is deleted
after COMMIT (a crash there leaves an unindexed old file, never a wrong row).
``orphans()`` lists unindexed files.

Rule 2: duplicates (same SOP Instance UID) follow ``on_duplicate``:
``"replace"`` (default, like dcmqrscp: the newest file and its attributes
win), ``"keep"`` (the stored instance stays, the incoming file is discarded)
or ``"reject"`` (``DuplicateInstanceError``).  Patient, study and series rows
take the non-empty values of the latest instance added; entities left empty
are deleted.

Rule 3: one SQLite connection per thread (WAL: readers never block the
writer; a thread that ends leaves its connection to the next), writers
serialised by a lock and BEGIN IMMEDIATE, so 20 associations may store and
query at once.  ``find`` and ``instances`` stream from a cursor: memory does
not grow with the number of matches.  Consume an iterator in one thread.

Queries: keys with a column are matched by SQL (``matching.to_sql``, values
always as parameters); the rest (sequences, other attributes) by
``matching.match_dataset`` on the header of the entity's latest instance,
read from its file only when such keys are asked for.  Hierarchical queries
(C.4.1.3.1.1) need one value of each unique key above the level; relational
ones (C.4.1.3.2.2) do not.  ``find_encoded`` gives the identifiers as bytes,
written straight from the index rows when it can (``rows``): the C-FIND SCP's
path, byte for byte what encoding ``find``'s Datasets gives.
"""
from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import threading
import uuid
import weakref
from typing import Any, Iterator, Optional

from ..dataset import Dataset, dictionary
from ..dataset.encode import encode_dataset
from ..dataset.part10 import read
from ..dataset.partfile import part_file
from ..dataset.vr import coerce
from ..errors import DicomError
from .archive_schema import (ATTRIBUTES, COLUMNS, KEYED_VRS, LATEST_PATH, MODELS, PARENT,
                             TABLES, UNIQUE, schema, vr_of_keyword)
from .matching import (LEVELS, NOT_MATCHED, QueryError, _values, index_key,
                       index_value, match_dataset, return_keys, to_sql)
from .rows import RowEncoder, sql_decides
from .services.storage import safe_component

log = logging.getLogger("dicomcore.archive")

_SOP_CLASS, _SOP_INSTANCE, _QR_LEVEL = 0x00080016, 0x00080018, 0x00080052
SCHEMA_VERSION = 1
POLICIES = ("replace", "keep", "reject")


class ArchiveError(DicomError):
    """A file that cannot be archived (no UIDs, unreadable), or an unusable folder."""


class DuplicateInstanceError(ArchiveError):
    """``on_duplicate="reject"`` and the SOP Instance UID is already stored."""

    def __init__(self, sop_instance_uid: str, path: str):
        super().__init__(f"SOP Instance {sop_instance_uid} is already stored as {path}")
        self.sop_instance_uid = sop_instance_uid
        self.path = path


_IDLE_CONNECTIONS = 8  # kept for the next threads (an association's thread each)


class _Connection:
    """One thread's connection.  When the thread's storage goes it waits in ``idle``
    for the next thread (opening one costs more than a small query), or is closed."""

    def __init__(self, path: str, idle: list):
        self.idle: Optional[list] = idle
        try:
            self.db = idle.pop()
        except IndexError:
            self.db = sqlite3.connect(path, timeout=60, isolation_level=None,
                                      check_same_thread=False)
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self.idle = None
        self.db.close()

    def __del__(self) -> None:
        idle, self.idle = self.idle, None
        if idle is not None and len(idle) < _IDLE_CONNECTIONS and not self.db.in_transaction:
            idle.append(self.db)
        else:
            self.db.close()


class Archive:
    """Files under ``folder`` and their index ``folder/index.sqlite``.

    ``on_duplicate``: "replace", "keep" or "reject" (module Rule 2).
    ``durable``: fsync each file and its folder before the row commits.
    """

    def __init__(self, folder: str, *, on_duplicate: str = "replace", durable: bool = True):
        if on_duplicate not in POLICIES:
            raise ValueError(f"on_duplicate must be one of {POLICIES}")
        self.folder = os.path.realpath(folder)
        os.makedirs(self.folder, exist_ok=True)
        self.db_path = os.path.join(self.folder, "index.sqlite")
        self.on_duplicate = on_duplicate
        self.durable = durable
        self._local = threading.local()
        self._open: "weakref.WeakSet[_Connection]" = weakref.WeakSet()
        self._idle: list[sqlite3.Connection] = []  # of threads that ended
        self._plans: dict = {}  # find_encoded's last queries, planned (``_keep``)
        self._write = threading.Lock()
        db = self._db()
        try:
            if db.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
                log.warning("%s: WAL journal mode unavailable", self.db_path)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise ArchiveError(f"{self.db_path}: index schema {version}, "
                                   f"this dicomcore knows {SCHEMA_VERSION}")
            db.execute("BEGIN IMMEDIATE")
            for statement in schema().split(";\n"):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise ArchiveError(f"{self.db_path}: {exc}") from None

    # --- connections ---------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _Connection(self.db_path, self._idle)
            self._local.conn = conn
            self._open.add(conn)
        return conn.db

    def close(self) -> None:
        """Close every thread's connection (call when no thread uses the archive)."""
        for conn in list(self._open):
            conn.close()
        while self._idle:
            self._idle.pop().close()
        self._local = threading.local()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __len__(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM instance").fetchone()[0]

    def held_syntaxes(self) -> set[tuple[str, str]]:
        """Every (SOP Class UID, Transfer Syntax UID) stored: what a retrieve could send,
        known before any request (read from an index, not the table)."""
        rows = self._db().execute("SELECT DISTINCT SOPClassUID, TransferSyntaxUID "
                                  "FROM instance")
        return {(str(c), str(t)) for c, t in rows}

    def path_of(self, sop_instance_uid: str) -> Optional[str]:
        """The stored file of an instance, or None."""
        row = self._db().execute("SELECT path FROM instance WHERE SOPInstanceUID = ?",
                                 (sop_instance_uid,)).fetchone()
        return os.path.join(self.folder, row[0]) if row else None

    # --- adding ----------------------------------------------------------------------------

    def add(self, path: str, *, copy: bool = False) -> str:
        """Index the complete Part 10 file ``path`` and move it (``copy``: copy it) into
        the archive, in one transaction (module Rule 1).  Returns the stored path."""
        try:
            header = read(path, stop_before_pixels=True)
        except (OSError, DicomError) as exc:
            raise ArchiveError(f"{path}: cannot read: {exc}") from None
        rows = _rows_of(header)
        meta = header.file_meta or Dataset()
        sop = rows["IMAGE"]["SOPInstanceUID"] or str(meta.get(0x00020003) or "")
        rows["IMAGE"]["SOPInstanceUID"] = sop
        if not rows["IMAGE"]["SOPClassUID"]:
            rows["IMAGE"]["SOPClassUID"] = str(meta.get(0x00020002) or "")
        for level in ("STUDY", "SERIES", "IMAGE"):
            if not rows[level][UNIQUE[level]]:
                raise ArchiveError(f"{path}: no {UNIQUE[level]}")
        ts = str(meta.get(0x00020010) or header.transfer_syntax or "")
        if not ts:
            raise ArchiveError(f"{path}: no Transfer Syntax UID")
        source = os.path.realpath(path)
        with self._write:
            return self._add(source, rows, ts, copy)

    def _add(self, source: str, rows: dict, ts: str, copy: bool) -> str:
        db = self._db()
        sop = rows["IMAGE"]["SOPInstanceUID"]
        db.execute("BEGIN IMMEDIATE")
        placed: Optional[str] = None
        moved = False
        try:
            old = db.execute("SELECT id, series, path FROM instance WHERE SOPInstanceUID = ?",
                             (sop,)).fetchone()
            if old is not None:
                old_path = os.path.join(self.folder, old[2])
                if self.on_duplicate == "reject":
                    raise DuplicateInstanceError(sop, old_path)
                if self.on_duplicate == "keep":
                    db.execute("ROLLBACK")
                    if not copy and source != old_path:
                        _remove(source)
                    log.info("kept %s; discarded the duplicate %s", old_path, source)
                    return old_path
                db.execute("DELETE FROM instance WHERE id = ?", (old[0],))
            patient = self._upsert(db, "PATIENT", rows["PATIENT"], None)
            study = self._upsert(db, "STUDY", rows["STUDY"], patient)
            series = self._upsert(db, "SERIES", rows["SERIES"], study)
            relative = self._place_for(db, rows, old[2] if old else None)
            final = os.path.join(self.folder, relative)
            values = dict(rows["IMAGE"], series=series, TransferSyntaxUID=ts, path=relative,
                          size=os.path.getsize(source))
            names = ", ".join(values)
            db.execute(f"INSERT INTO instance ({names}) VALUES "
                       f"({', '.join('?' * len(values))})", list(values.values()))
            os.makedirs(os.path.dirname(final), exist_ok=True)
            moved = self._place(source, final, copy)
            placed = final
            if self.durable:
                _fsync(final)
                _fsync(os.path.dirname(final), directory=True)
            self._prune(db)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if placed is not None:  # put things back as they were
                if moved:
                    _restore(placed, source)
                else:
                    _remove(placed)
            raise
        if old is not None and old[2] != relative:
            _remove(old_path)
        if not copy and not moved:
            _remove(source)  # copied across file systems: the source goes now
        return final

    def _upsert(self, db: sqlite3.Connection, level: str, values: dict,
                parent: Optional[int]) -> int:
        """The id of the entity with these values; non-empty values update it."""
        table = TABLES[level]
        unique = UNIQUE[level]
        found = db.execute(f"SELECT id FROM {table} WHERE {unique} = ?",
                           (values[unique],)).fetchone()
        row = {name: value for name, value in values.items()}
        if table in PARENT:
            row[PARENT[table]] = parent
        if found is None:
            names = ", ".join(row)
            cursor = db.execute(f"INSERT INTO {table} ({names}) VALUES "
                                f"({', '.join('?' * len(row))})", list(row.values()))
            return cursor.lastrowid
        # a value and its key change together, and only to a known (non-empty) value
        changed = {name: value for name, value in row.items()
                   if row.get(name[:-4] if name.endswith("_key") else name, "") != ""
                   or name == PARENT.get(table)}
        if changed:
            sets = ", ".join(f"{name} = ?" for name in changed)
            db.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*changed.values(), found[0]])
        return found[0]

    def _prune(self, db: sqlite3.Connection) -> None:
        """Delete entities with nothing below them (a replaced or moved instance)."""
        db.execute("DELETE FROM series WHERE NOT EXISTS "
                   "(SELECT 1 FROM instance WHERE instance.series = series.id)")
        db.execute("DELETE FROM study WHERE NOT EXISTS "
                   "(SELECT 1 FROM series WHERE series.study = study.id)")
        db.execute("DELETE FROM patient WHERE NOT EXISTS "
                   "(SELECT 1 FROM study WHERE study.patient = patient.id)")

    def _place_for(self, db: sqlite3.Connection, rows: dict, old: Optional[str]) -> str:
        """A free relative path: study/series/instance.dcm from sanitised UIDs."""
        parts = [_name(rows["STUDY"]["StudyInstanceUID"]),
                 _name(rows["SERIES"]["SeriesInstanceUID"])]
        base = _name(rows["IMAGE"]["SOPInstanceUID"])
        relative = os.path.join(*parts, base + ".dcm")
        while relative == old or db.execute("SELECT 1 FROM instance WHERE path = ?",
                                            (relative,)).fetchone():
            relative = os.path.join(*parts, f"{base}-{uuid.uuid4().hex[:8]}.dcm")
        final = os.path.realpath(os.path.join(self.folder, relative))
        if os.path.commonpath([final, self.folder]) != self.folder:  # belt and braces
            raise ArchiveError(f"refusing to write outside {self.folder}: {final}")
        return relative

    def _place(self, source: str, final: str, copy: bool) -> bool:
        """Put the file at ``final``; True if it was moved (renamed), False if copied."""
        moved = not copy
        if moved:
            try:
                os.replace(source, final)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                moved = False
        if not moved:
            fd, temp = part_file(os.path.dirname(final))  # 0666 less the umask
            try:
                with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.replace(temp, final)
            except BaseException:
                _remove(temp)
                raise
        return moved

    # --- queries ---------------------------------------------------------------------------

    def find(self, query: Dataset, level: Optional[str] = None, model: str = "study", *,
             relational: bool = False, case_insensitive_pn: bool = True,
             combined_datetime: bool = False) -> Iterator[Dataset]:
        """Response Identifiers of the entities at ``level`` that match ``query``
        (C-FIND, PS3.4 C.4.1.3), streamed.  ``level`` defaults to the query's
        Query/Retrieve Level; ``model`` is "patient" or "study" (root)."""
        plan = self._plan(query, level, model, relational, case_insensitive_pn,
                          combined_datetime)
        return self._find(plan)

    def find_encoded(self, query: Dataset, level: Optional[str] = None,
                     model: str = "study", *, relational: bool = False,
                     case_insensitive_pn: bool = True, combined_datetime: bool = False,
                     explicit: bool = True) -> Iterator[bytes]:
        """``find``'s Response Identifiers already encoded in Little Endian (``explicit``
        or implicit VR), the same bytes ``encode_dataset`` gives for them, streamed.

        When no key needs a file, each identifier is written straight from its index
        row (``rows.RowEncoder``), and Python re-matches a row only for keys that SQL
        may not decide alone (``rows.sql_decides``); a row with a value that is not ASCII
        (it needs Specific Character Set) goes the general way, and so does every
        identifier of a subclass that overrides ``find``.  The last queries' plans
        (SQL, encoder) are kept: a query asked again is not planned again."""
        if type(self).find is not Archive.find:  # a subclass decides what matches
            found = self.find(query, level, model, relational=relational,
                              case_insensitive_pn=case_insensitive_pn,
                              combined_datetime=combined_datetime)
            return (b"".join(encode_dataset(ds, True, explicit)) for ds in found)
        shape = _shape(query)
        key = None if shape is None else (shape, level, model, relational,
                                          case_insensitive_pn, combined_datetime, explicit)
        planned = self._plans.get(key) if key is not None else None
        if planned is None:
            plan = self._plan(query, level, model, relational, case_insensitive_pn,
                              combined_datetime)
            encoder = None if plan.needs_file else RowEncoder.of(plan, COLUMNS, explicit)
            recheck = not sql_decides(plan.keys, COLUMNS, combined_datetime)
            planned = (plan, encoder, recheck)
            if key is not None:
                _keep(self._plans, key, planned)
        plan, encoder, recheck = planned
        if encoder is None:
            return (b"".join(encode_dataset(found, True, explicit))
                    for found in self._find(plan))
        return self._find_encoded(plan, encoder, recheck, explicit)

    def _plan(self, query: Dataset, level: Optional[str], model: str, relational: bool,
              case_insensitive_pn: bool, combined_datetime: bool) -> "_Plan":
        level = self._check(query, level, model, relational)
        keys = _for_level(query, level)
        where, params = to_sql(keys, level, COLUMNS, case_insensitive_pn=case_insensitive_pn,
                               combined_datetime=combined_datetime)
        above = [UNIQUE[lv] for lv in MODELS[model][:MODELS[model].index(level) + 1]]
        # only the columns a key or the identifier needs (derived values when asked for)
        wanted = {elem.keyword for elem in keys} | set(above)
        shown = [kw for kw, col in COLUMNS.items()
                 if LEVELS.index(col.level) <= LEVELS.index(level) and kw in wanted]
        needs_file = any(elem.vr == "SQ" or elem.keyword not in COLUMNS
                         for elem in _matched(keys))
        select = [f"{COLUMNS[kw].value}" for kw in shown]
        if needs_file:
            select.append(LATEST_PATH[level])
        sql = (f"SELECT {', '.join(select)} FROM {_joins(level)} WHERE {where} "
               f"ORDER BY {TABLES[level]}.id")
        return _Plan(sql, params, shown, needs_file, keys, level, above,
                     case_insensitive_pn, combined_datetime)

    def _find(self, plan: "_Plan") -> Iterator[Dataset]:
        for row in self._stream(plan.sql, plan.params):
            candidate = self._candidate(plan, row)
            if plan.matches(candidate):
                yield plan.identifier(candidate)

    def _find_encoded(self, plan: "_Plan", encoder: RowEncoder, recheck: bool,
                      explicit: bool) -> Iterator[bytes]:
        encode = encoder.encode
        for row in self._stream(plan.sql, plan.params):
            candidate = None
            if recheck:
                candidate = self._candidate(plan, row)
                if not plan.matches(candidate):
                    continue
            data = encode(row)
            if data is None:  # a value that is not plain ASCII: the general way
                if candidate is None:
                    candidate = self._candidate(plan, row)
                data = b"".join(encode_dataset(plan.identifier(candidate), True, explicit))
            yield data

    def _candidate(self, plan: "_Plan", row: tuple) -> Dataset:
        candidate = Dataset()
        if plan.needs_file and row[-1]:
            try:
                candidate = read(os.path.join(self.folder, row[-1]), stop_before_pixels=True)
            except (OSError, DicomError) as exc:
                log.warning("cannot read %s for matching: %s", row[-1], exc)
        for keyword, value in zip(plan.shown, row):
            _set(candidate, keyword, value)
        return candidate

    def instances(self, query: Dataset, level: Optional[str] = None, model: str = "study",
                  *, relational: bool = False) -> Iterator[tuple[str, str, str, str]]:
        """(SOP Class UID, SOP Instance UID, Transfer Syntax UID, path) of every stored
        instance below the entities the unique keys of ``query`` select (C-MOVE,
        C-GET: C.4.2.3.1).  Other keys are ignored (C.2.2.1.2: not allowed there)."""
        level = self._check(query, level, model, relational)
        if not _values(query.get(UNIQUE[level]), vr_of_keyword(UNIQUE[level])):
            raise QueryError(f"a retrieve at {level} level needs {UNIQUE[level]}")
        keys = Dataset()
        for lv in LEVELS[:LEVELS.index(level) + 1]:
            tag = dictionary.tag_for(UNIQUE[lv])
            if tag in query:
                keys[tag] = query[tag]
        where, params = to_sql(keys, level, COLUMNS)
        sql = (f"SELECT instance.SOPClassUID, instance.SOPInstanceUID, "
               f"instance.TransferSyntaxUID, instance.path FROM {_joins('IMAGE')} "
               f"WHERE {where} ORDER BY instance.id")
        return self._instances(sql, params)

    def _instances(self, sql: str, params: list) -> Iterator[tuple[str, str, str, str]]:
        for sop_class, sop_instance, ts, path in self._stream(sql, params):
            yield sop_class, sop_instance, ts, os.path.join(self.folder, path)

    def _stream(self, sql: str, params: list) -> Iterator[tuple]:
        cursor = self._db().execute(sql, params)  # the consuming thread's connection
        try:
            yield from cursor
        finally:
            cursor.close()

    def _check(self, query: Dataset, level: Optional[str], model: str,
               relational: bool) -> str:
        if model not in MODELS:
            raise ValueError(f"model must be one of {tuple(MODELS)}")
        level = str(level or query.get(_QR_LEVEL) or "").strip().upper()
        if level not in MODELS[model]:
            raise QueryError(f"Query/Retrieve Level {level!r} is not one of "
                             f"{MODELS[model]} ({model} root)")
        if not relational:  # C.4.1.2.1: one value of each unique key above the level
            for above in MODELS[model][:MODELS[model].index(level)]:
                keyword = UNIQUE[above]
                values = _values(query.get(keyword), vr_of_keyword(keyword))
                if len(values) != 1 or "*" in values[0] or "?" in values[0]:
                    raise QueryError(f"a hierarchical query at {level} level needs one "
                                     f"{keyword} value")
        return level

    def orphans(self) -> Iterator[str]:
        """Files under the folder that no row names (left by a crash or a failed add)."""
        known = {row[0] for row in self._db().execute("SELECT path FROM instance")}
        for root, dirs, files in os.walk(self.folder):
            for name in files:
                relative = os.path.relpath(os.path.join(root, name), self.folder)
                if name.startswith("index.sqlite") or relative in known:
                    continue
                yield os.path.join(root, name)


# --- helpers -----------------------------------------------------------------------------

class _Plan:
    """One query, planned: its SQL, the columns selected (``shown``), the keys left at
    its level, and the unique keys every identifier carries (``above``)."""

    __slots__ = ("sql", "params", "shown", "needs_file", "keys", "level", "above",
                 "case_insensitive_pn", "combined_datetime")

    def __init__(self, sql: str, params: list, shown: list, needs_file: bool,
                 keys: Dataset, level: str, above: list, case_insensitive_pn: bool,
                 combined_datetime: bool):
        self.sql, self.params, self.shown, self.needs_file = sql, params, shown, needs_file
        self.keys, self.level, self.above = keys, level, above
        self.case_insensitive_pn = case_insensitive_pn
        self.combined_datetime = combined_datetime

    def matches(self, candidate: Dataset) -> bool:
        return match_dataset(self.keys, candidate,
                             case_insensitive_pn=self.case_insensitive_pn,
                             combined_datetime=self.combined_datetime)

    def identifier(self, candidate: Dataset) -> Dataset:
        found = return_keys(self.keys, candidate)
        for keyword in self.above:  # C.4.1.3.1.1: the unique keys of the levels above (and
            # of this level, which a request is to contain anyway: C.4.1.2.1)
            if keyword not in found:
                found.add(dictionary.tag_for(keyword), vr_of_keyword(keyword),
                          candidate.get(keyword, ""))
        found.add(_QR_LEVEL, "CS", self.level)
        return found


def _rows_of(header: Dataset) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for level, keywords in ATTRIBUTES.items():
        row: dict[str, Any] = {}
        for keyword in keywords:
            elem = header.get(keyword)
            vr = header[keyword].vr if keyword in header else vr_of_keyword(keyword)
            row[keyword] = index_value(elem, vr)
            if vr_of_keyword(keyword) in KEYED_VRS:
                row[f"{keyword}_key"] = index_key(elem, vr)
        rows[level] = row
    return rows


def _name(uid: str) -> str:
    """A file name from a UID; a UID that needed cleaning gets a digest (no collisions)."""
    name = safe_component(uid)
    if name != uid:
        name = f"{name[:40]}-{hashlib.sha256(uid.encode()).hexdigest()[:16]}"
    return name


def _joins(level: str) -> str:
    tables = ["patient"]
    for lv in LEVELS[1:LEVELS.index(level) + 1]:
        table = TABLES[lv]
        tables.append(f"JOIN {table} ON {table}.{PARENT[table]} = {PARENT[table]}.id")
    return " ".join(tables)


def _matched(query: Dataset) -> Iterator:
    for elem in query:
        if elem.tag not in NOT_MATCHED and elem.tag >> 16 >= 0x0008 and elem.tag & 0xFFFF:
            yield elem


_PLANS_KEPT = 64  # a query asked again (a viewer polling, a study per association)


def _shape(query: Dataset) -> Optional[tuple]:
    """A query as a hashable key: (tag, VR, type and text of each value); None for one
    with sequences (not kept)."""
    parts = []
    for elem in query:
        value = elem.value
        if elem.vr == "SQ":
            return None
        if isinstance(value, list):
            value = tuple((type(v).__name__, str(v)) for v in value)
        else:
            value = (type(value).__name__, str(value))
        parts.append((elem.tag, elem.vr, value))
    return tuple(parts)


def _keep(plans: dict, key: tuple, planned: tuple) -> None:
    """Keep ``planned`` for ``key``; past ``_PLANS_KEPT`` the oldest goes."""
    if len(plans) >= _PLANS_KEPT:
        try:
            del plans[next(iter(plans))]
        except (StopIteration, KeyError, RuntimeError):  # another thread got there first
            pass
    plans[key] = planned


def _for_level(query: Dataset, level: str) -> Dataset:
    """The query without the indexed keys of levels below ``level`` (not keys there)."""
    keys = Dataset()
    depth = LEVELS.index(level)
    for elem in query:
        column = COLUMNS.get(elem.keyword)
        if column is None or LEVELS.index(column.level) <= depth:
            keys[elem.tag] = elem
    return keys


def _set(candidate: Dataset, keyword: str, value: Any) -> None:
    tag = dictionary.tag_for(keyword)
    vr = vr_of_keyword(keyword)
    if value in (None, "", "[]"):
        if tag in candidate:
            del candidate[tag]
        return
    if COLUMNS[keyword].multi:
        value = json.loads(value)
    candidate.add(tag, vr, coerce(vr, value))


def _fsync(path: str, directory: bool = False) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        return  # platforms that cannot open folders (Windows)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _restore(placed: str, source: str) -> None:
    try:
        os.replace(placed, source)
    except OSError:
        log.error("could not move %s back to %s", placed, source)
