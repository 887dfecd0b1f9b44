"""Protocol numbers, checked against libdqlite 1.11.1 src/protocol.h."""

import pytest

from dqlite_shell.wire import (
    HEADER_SIZE,
    MAX_BODY_SIZE,
    PROTOCOL_VERSION,
    ROWS_DONE,
    ROWS_PART,
    RequestType,
    ResponseType,
    Role,
    ValueType,
)


def test_request_codes():
    assert {t.name: t.value for t in RequestType} == {
        "LEADER": 0, "CLIENT": 1, "HEARTBEAT": 2, "OPEN": 3, "PREPARE": 4, "EXEC": 5, "QUERY": 6,
        "FINALIZE": 7, "EXEC_SQL": 8, "QUERY_SQL": 9, "INTERRUPT": 10, "CONNECT": 11, "ADD": 12,
        "ASSIGN": 13, "REMOVE": 14, "DUMP": 15, "CLUSTER": 16, "TRANSFER": 17, "DESCRIBE": 18,
        "WEIGHT": 19,
    }


def test_response_codes():
    assert {t.name: t.value for t in ResponseType} == {
        "FAILURE": 0, "SERVER": 1, "WELCOME": 2, "SERVERS": 3, "DB": 4, "STMT": 5, "RESULT": 6,
        "ROWS": 7, "EMPTY": 8, "FILES": 9, "METADATA": 10,
    }


def test_value_type_codes():
    assert {t.name: t.value for t in ValueType} == {
        "INTEGER": 1, "FLOAT": 2, "TEXT": 3, "BLOB": 4, "NULL": 5, "UNIXTIME": 9, "ISO8601": 10,
        "BOOLEAN": 11,
    }


def test_misc_constants():
    assert PROTOCOL_VERSION == 1
    assert HEADER_SIZE == 8
    assert ROWS_PART == 0xEEEEEEEEEEEEEEEE
    assert ROWS_DONE == 0xFFFFFFFFFFFFFFFF
    assert MAX_BODY_SIZE == 256 * 1024 * 1024


def test_role_names():
    assert [(r.label, int(r)) for r in Role] == [("voter", 0), ("standby", 1), ("spare", 2)]
    assert Role.from_name("voter") is Role.VOTER
    assert Role.from_name(" StandBy ") is Role.STANDBY
    assert Role.from_name("SPARE") is Role.SPARE
    assert Role.describe(2) == "spare"
    assert Role.describe(7) == "unknown(7)"


def test_from_name_unknown_lists_choices():
    with pytest.raises(ValueError,
                       match=r"unknown Role 'leader' \(expected one of: voter, standby, spare\)"):
        Role.from_name("leader")


def test_request_type_from_name_accepts_dashes():
    assert RequestType.from_name("query-sql") is RequestType.QUERY_SQL
    assert RequestType.QUERY_SQL.label == "query_sql"
    assert ResponseType.describe(42) == "unknown(42)"
