"""PEP 249 module interface: globals, the exception hierarchy, type objects
and constructors (no server needed)."""

from __future__ import annotations

import datetime
import time

import pytest

from dqlite_shell import dbapi
from dqlite_shell.dbapi import Connection

EXCEPTIONS = ["Warning", "Error", "InterfaceError", "DatabaseError", "DataError",
              "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
              "NotSupportedError"]


def test_globals():
    assert dbapi.apilevel == "2.0"
    assert dbapi.threadsafety == 1
    assert dbapi.paramstyle == "qmark"
    assert callable(dbapi.connect)


def test_exception_hierarchy():
    assert issubclass(dbapi.Warning, Exception)
    assert issubclass(dbapi.Error, Exception)
    assert not issubclass(dbapi.Warning, dbapi.Error)
    assert issubclass(dbapi.InterfaceError, dbapi.Error)
    assert issubclass(dbapi.DatabaseError, dbapi.Error)
    assert not issubclass(dbapi.InterfaceError, dbapi.DatabaseError)
    for name in ["DataError", "OperationalError", "IntegrityError", "InternalError",
                 "ProgrammingError", "NotSupportedError"]:
        cls = getattr(dbapi, name)
        assert issubclass(cls, dbapi.DatabaseError), name
        assert issubclass(cls, dbapi.Error), name
        assert cls is not dbapi.DatabaseError


@pytest.mark.parametrize("name", EXCEPTIONS)
def test_connection_exposes_exceptions(name):
    # PEP 249 optional extension: Connection.Error etc.
    assert getattr(Connection, name) is getattr(dbapi, name)


def test_errors_carry_sqlite_codes_attributes():
    e = dbapi.OperationalError("x")
    assert e.sqlite_errorcode is None and e.sqlite_errorname is None


def test_all_names_exported():
    for name in dbapi.__all__:
        assert hasattr(dbapi, name), name
    for name in EXCEPTIONS + ["Date", "Time", "Timestamp", "DateFromTicks", "TimeFromTicks",
                              "TimestampFromTicks", "Binary", "STRING", "BINARY", "NUMBER",
                              "DATETIME", "ROWID"]:
        assert name in dbapi.__all__, name


def test_constructors():
    assert dbapi.Date(2024, 2, 29) == datetime.date(2024, 2, 29)
    assert dbapi.Time(23, 59, 58) == datetime.time(23, 59, 58)
    assert dbapi.Timestamp(2024, 2, 29, 23, 59, 58) == datetime.datetime(2024, 2, 29, 23, 59, 58)
    assert dbapi.Binary(b"\x00\xff") == b"\x00\xff"
    assert dbapi.Binary(bytearray(b"ab")) == b"ab"
    assert type(dbapi.Binary(bytearray(b"ab"))) is bytes


def test_from_ticks():
    ticks = 1_700_000_000.75
    local = time.localtime(ticks)
    assert dbapi.DateFromTicks(ticks) == datetime.date(local.tm_year, local.tm_mon, local.tm_mday)
    assert dbapi.TimeFromTicks(ticks) == datetime.time(local.tm_hour, local.tm_min, local.tm_sec)
    assert dbapi.TimestampFromTicks(ticks) == datetime.datetime(*local[:6])
    assert dbapi.TimestampFromTicks(0) == datetime.datetime.fromtimestamp(0)


@pytest.mark.parametrize("type_object, matches, others", [
    (dbapi.STRING, ["TEXT", "text", "VARCHAR", "CHAR", "CLOB"], ["BLOB", "INTEGER"]),
    (dbapi.BINARY, ["BLOB", "blob"], ["TEXT", "INTEGER"]),
    (dbapi.NUMBER, ["INTEGER", "int", "REAL", "FLOAT", "DOUBLE", "NUMERIC", "BOOLEAN"],
     ["TEXT", "BLOB", "DATETIME"]),
    (dbapi.DATETIME, ["DATETIME", "date", "TIMESTAMP"], ["TEXT", "INTEGER"]),
    (dbapi.ROWID, ["ROWID"], ["INTEGER", "TEXT"]),
])
def test_type_objects(type_object, matches, others):
    for name in matches:
        assert type_object == name, name
        assert name == type_object, name
    for name in others:
        assert type_object != name, name
    hash(type_object)  # usable as a dict key


def test_type_objects_are_distinct():
    objects = [dbapi.STRING, dbapi.BINARY, dbapi.NUMBER, dbapi.DATETIME, dbapi.ROWID]
    for i, a in enumerate(objects):
        for b in objects[i + 1:]:
            assert a != b


def test_connect_without_servers_is_interface_error():
    with pytest.raises(dbapi.InterfaceError):
        dbapi.connect([])
    with pytest.raises(dbapi.InterfaceError):
        dbapi.connect(" , ")
