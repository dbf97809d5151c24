"""The archive's SQLite schema: one table per Query/Retrieve level, the attributes
each indexes (PS3.4 C.6.1.1.2-5 unique, required and some optional keys), and the
queryable columns, stored or computed (C.3.4 additional attributes).

``Archive`` creates the tables from ``schema()``; ``matching.to_sql`` matches keys
on ``COLUMNS``.  Every name here is fixed text: no received value is ever part
of it (values travel as SQL parameters).
"""
from __future__ import annotations

from ..dataset import dictionary
from .matching import LEVELS, Column

TABLES = {"PATIENT": "patient", "STUDY": "study", "SERIES": "series", "IMAGE": "instance"}
PARENT = {"study": "patient", "series": "study", "instance": "series"}
UNIQUE = {"PATIENT": "PatientID", "STUDY": "StudyInstanceUID",
          "SERIES": "SeriesInstanceUID", "IMAGE": "SOPInstanceUID"}
MODELS = {"patient": LEVELS, "study": LEVELS[1:]}
# The indexed attributes of each level (C.6.1.1.2-5 unique, required and some optional keys).
ATTRIBUTES = {
    "PATIENT": ("PatientID", "PatientName", "PatientBirthDate", "PatientSex"),
    "STUDY": ("StudyInstanceUID", "StudyDate", "StudyTime", "AccessionNumber", "StudyID",
              "StudyDescription", "ReferringPhysicianName"),
    "SERIES": ("SeriesInstanceUID", "Modality", "SeriesNumber", "SeriesDescription"),
    "IMAGE": ("SOPInstanceUID", "SOPClassUID", "InstanceNumber"),
}
KEYED_VRS = frozenset({"PN", "DA", "TM", "DT", "IS", "DS"})


def vr_of_keyword(keyword: str) -> str:
    return dictionary.vr_of(dictionary.tag_for(keyword))


def schema() -> str:
    parts = []
    for level, table in TABLES.items():
        cols = ["id INTEGER PRIMARY KEY"]
        if table in PARENT:
            cols.append(f"{PARENT[table]} INTEGER NOT NULL REFERENCES {PARENT[table]}(id)")
        for keyword in ATTRIBUTES[level]:
            unique = " UNIQUE" if keyword == UNIQUE[level] else ""
            cols.append(f"{keyword} TEXT NOT NULL DEFAULT ''{unique}")
            if vr_of_keyword(keyword) in KEYED_VRS:
                cols.append(f"{keyword}_key")
        if table == "instance":
            cols += ["TransferSyntaxUID TEXT NOT NULL", "path TEXT NOT NULL UNIQUE",
                     "size INTEGER NOT NULL"]
        parts.append(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})")
        if table in PARENT:
            parts.append(f"CREATE INDEX IF NOT EXISTS {table}_{PARENT[table]} "
                         f"ON {table}({PARENT[table]})")
    # What the archive holds per class and syntax: a C-GET acceptor's choice (qr.py).
    parts.append("CREATE INDEX IF NOT EXISTS instance_class_syntax "
                 "ON instance(SOPClassUID, TransferSyntaxUID)")
    for table, column in (("patient", "PatientName_key"), ("study", "StudyDate_key"),
                          ("study", "AccessionNumber"), ("series", "Modality")):
        parts.append(f"CREATE INDEX IF NOT EXISTS {table}_{column} ON {table}({column})")
    return ";\n".join(parts)


def columns() -> dict[str, Column]:
    """Every queryable keyword: stored columns and values derived by subqueries."""
    columns = {}
    for level, table in TABLES.items():
        for keyword in ATTRIBUTES[level]:
            key = f"{table}.{keyword}_key" if vr_of_keyword(keyword) in KEYED_VRS else None
            columns[keyword] = Column(f"{table}.{keyword}", level, key)
    # C.3.4 additional attributes, computed when asked for.
    counts = {
        "NumberOfPatientRelatedStudies": ("PATIENT", "study WHERE study.patient = patient.id"),
        "NumberOfPatientRelatedSeries": ("PATIENT", "series JOIN study s2 ON series.study = "
                                         "s2.id WHERE s2.patient = patient.id"),
        "NumberOfPatientRelatedInstances": ("PATIENT", "instance JOIN series s3 ON "
                                            "instance.series = s3.id JOIN study s2 ON "
                                            "s3.study = s2.id WHERE s2.patient = patient.id"),
        "NumberOfStudyRelatedSeries": ("STUDY", "series WHERE series.study = study.id"),
        "NumberOfStudyRelatedInstances": ("STUDY", "instance JOIN series s3 ON "
                                          "instance.series = s3.id WHERE s3.study = study.id"),
        "NumberOfSeriesRelatedInstances": ("SERIES", "instance WHERE instance.series = "
                                           "series.id"),
    }
    for keyword, (level, source) in counts.items():
        count = f"(SELECT COUNT(*) FROM {source})"
        columns[keyword] = Column(f"CAST({count} AS TEXT)", level, count)
    columns["ModalitiesInStudy"] = Column(
        "(SELECT json_group_array(m) FROM (SELECT DISTINCT s3.Modality AS m FROM series s3 "
        "WHERE s3.study = study.id AND s3.Modality != '' ORDER BY m))", "STUDY", multi=True)
    columns["SOPClassesInStudy"] = Column(
        "(SELECT json_group_array(c) FROM (SELECT DISTINCT i3.SOPClassUID AS c FROM instance "
        "i3 JOIN series s3 ON i3.series = s3.id WHERE s3.study = study.id ORDER BY c))",
        "STUDY", multi=True)
    return columns


COLUMNS = columns()
LATEST_PATH = {  # the path of an entity's latest instance, for keys without a column
    "PATIENT": "(SELECT i4.path FROM instance i4 JOIN series s4 ON i4.series = s4.id JOIN "
               "study t4 ON s4.study = t4.id WHERE t4.patient = patient.id "
               "ORDER BY i4.id DESC LIMIT 1)",
    "STUDY": "(SELECT i4.path FROM instance i4 JOIN series s4 ON i4.series = s4.id "
             "WHERE s4.study = study.id ORDER BY i4.id DESC LIMIT 1)",
    "SERIES": "(SELECT i4.path FROM instance i4 WHERE i4.series = series.id "
              "ORDER BY i4.id DESC LIMIT 1)",
    "IMAGE": "instance.path",
}
