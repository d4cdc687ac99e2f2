"""The subscriber CSV without I/O: the format, each row's rules with its line, the file's
limits, the export's rows, and arbitrary text never crashing the parser."""

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.notifier.domain import migration
from services.notifier.domain.migration import (
    COLUMNS,
    EXPORT_COLUMNS,
    MAX_IMPORT_BYTES,
    ParsedFile,
    export_fields,
    parse_subscribers,
)
from services.notifier.domain.models import Consent, Subscriber
from shared.contracts.errors import DomainError, Invalid, Malformed, TooLarge

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
HEADER = "email,sections,consent_source,consented_at,language\r\n"


def parse(text: str, encoding: str = "utf-8") -> ParsedFile:
    return parse_subscribers(text.encode(encoding), ZONE, NOW)


def reasons(parsed: ParsedFile) -> dict[int, str]:
    return {refusal.line: refusal.reason for refusal in parsed.refusals}


def test_a_file_with_a_bom_and_both_separators_of_sections() -> None:
    parsed = parse(
        "\ufeff" + HEADER + "Ban.Doc@Example.VN,thong-bao;dan-van,Cổng cũ,2021-03-04,EN\r\n"
        "hai@example.vn, thong-bao  dan-van ; thong-bao ,Phiếu giấy,2021-03-04T10:00:00Z,\r\n"
        "ba@example.vn,,Cổng cũ,,\r\n"
    )
    assert parsed.refusals == []
    (line1, first), (line2, second), (line3, third) = parsed.rows
    assert (line1, line2, line3) == (2, 3, 4)
    assert first.email == "ban.doc@example.vn"
    assert first.sections == second.sections == ["dan-van", "thong-bao"]
    assert first.language == "en" and second.language == third.language == "vi"
    # A date alone is local midnight in the site's zone (UTC+7); an offset is kept.
    assert first.consented_at == datetime(2021, 3, 3, 17, 0, tzinfo=UTC)
    assert second.consented_at == datetime(2021, 3, 4, 10, 0, tzinfo=UTC)
    assert third.sections == [] and third.consented_at is None
    subscriber = first.subscriber()
    assert subscriber.status == "confirmed" and not subscriber.paused
    assert subscriber.consent == Consent("Cổng cũ", first.consented_at)


def test_columns_in_any_order_and_case_and_the_optional_ones_left_out() -> None:
    parsed = parse(" Consent_Source ,EMAIL\nBiểu mẫu 2019,a@example.vn\n")
    assert [row.email for _, row in parsed.rows] == ["a@example.vn"]
    assert parsed.rows[0][1].sections == []


def test_a_spreadsheet_file_separated_by_semicolons() -> None:
    parsed = parse("email;sections;consent_source\na@example.vn;thong-bao dan-van;Cổng cũ\n")
    assert parsed.rows[0][1].sections == ["dan-van", "thong-bao"]


def test_bad_rows_are_refused_with_their_line_and_the_others_go_on() -> None:
    parsed = parse(
        HEADER
        + "mot@example.vn,,Cổng cũ,,\r\n"  # 2
        + "\r\n"  # 3: blank, skipped
        + "khong-phai-dia-chi,,Cổng cũ,,\r\n"  # 4
        + "hai@example.vn,the-thao,Cổng cũ,,\r\n"  # 5
        + "ba@example.vn,,   ,,\r\n"  # 6
        + 'bon@example.vn,,"hai\r\ndòng",,\r\n'  # 7-8: one row over two lines
        + "nam@example.vn,,Cổng cũ,04/03/2021,\r\n"  # 9
        + "sau@example.vn,,Cổng cũ,2030-01-01,\r\n"  # 10
        + "bay@example.vn,,Cổng cũ,,fr\r\n"  # 11
        + "MOT@example.vn,,Cổng cũ,,\r\n"  # 12
        + "tam@example.vn,,Cổng cũ,,vi,thua\r\n"  # 13
        + "người@example.vn,,Cổng cũ,,\r\n"  # 14
        + ",,,,\r\n"  # 15: every field empty, skipped
        + "chin@example.vn,,"
        + "x" * 201
        + ",,\r\n"  # 16
        + "muoi@example.vn\r\n"  # 17: the consent column is missing
        + "cuoi@example.vn,thong-bao,Cổng cũ,,\r\n"  # 18
    )
    assert [(line, row.email) for line, row in parsed.rows] == [
        (2, "mot@example.vn"),
        (18, "cuoi@example.vn"),
    ]
    found = reasons(parsed)
    assert sorted(found) == [4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 16, 17]
    assert found[4].startswith("email: value is not a valid email address")
    assert found[5] == "sections: unknown section(s): the-thao"
    assert found[6].startswith("consent_source: required")
    assert found[7].startswith("consent_source: control characters")
    assert found[9] == "consented_at: not an ISO 8601 date or date and time"
    assert found[10] == "consented_at: in the future"
    assert found[11].startswith("language:")
    assert found[12] == "the address is on line 2 too"
    assert found[13] == "6 fields, the header has 5"
    assert found[14] == "email: only ASCII email addresses are accepted"
    assert found[16].startswith("consent_source: String should have at most 200 characters")
    assert found[17].startswith("consent_source: required")
    assert parsed.read == 14


def test_a_status_column_lets_only_confirmed_rows_in() -> None:
    parsed = parse(
        "email,consent_source,status\n"
        "a@example.vn,Cổng cũ,confirmed\nb@example.vn,Cổng cũ,unsubscribed\nc@example.vn,x,\n"
    )
    assert [row.email for _, row in parsed.rows] == ["a@example.vn", "c@example.vn"]
    assert reasons(parsed)[3].startswith("status: only confirmed subscribers are imported")


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"", Malformed, "no header row"),
        (b"\xef\xbb\xbf\r\n\r\n", Malformed, "no header row"),
        (HEADER.encode("utf-16"), Malformed, "not UTF-8"),
        (b"email,sections\n", Invalid, "header row"),
        ("a@example.vn,Cổng cũ\n".encode(), Invalid, "header row"),
        (b"email,consent_source,email\n", Invalid, "header row"),
    ],
)
def test_a_file_that_cannot_be_imported_at_all(
    data: bytes, error: type[DomainError], message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        parse_subscribers(data, ZONE, NOW)
    if error is Invalid:
        assert caught.value.details


def test_the_header_problems_are_named() -> None:
    with pytest.raises(Invalid) as caught:
        parse("email,ngay,email\n")
    messages = [item["message"] for item in caught.value.details]  # type: ignore[attr-defined]
    assert any("unknown column(s) 'ngay'" in message for message in messages)
    assert any("repeated column(s): email" in message for message in messages)
    assert any("missing column(s): consent_source" in message for message in messages)


def test_limits_on_rows_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TooLarge):
        parse_subscribers(b"x" * (MAX_IMPORT_BYTES + 1), ZONE, NOW)
    monkeypatch.setattr(migration, "MAX_IMPORT_ROWS", 3)
    rows = "".join(f"{n}@example.vn,,Cổng cũ,,\n" for n in range(3))
    assert len(parse(HEADER + rows + "\n\n").rows) == 3, "blank lines do not count"
    with pytest.raises(TooLarge, match="at most 3 rows"):
        parse(HEADER + rows + "bad,,,,\n")


def test_export_rows_read_back_the_same() -> None:
    consented = datetime(2019, 5, 1, 17, 0, tzinfo=UTC)
    subscribers = [
        Subscriber("a@example.vn", "confirmed", ["dan-van", "thong-bao"], False, "en",
                   Consent("Cổng cũ, biểu mẫu", consented)),
        Subscriber("b@example.vn", "confirmed", [], False, "vi", Consent("double opt-in", None)),
        # Cells a spreadsheet would run as formulas are written with a quote before them.
        Subscriber("=cmd|'/c'!a0@example.vn", "confirmed", [], False, "vi",
                   Consent("@SUM(1)", None)),
        Subscriber("'=x@example.vn", "confirmed", [], False, "vi", Consent("'tên'", None)),
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(export_fields(subscriber) for subscriber in subscribers)
    assert out.getvalue().splitlines()[3].startswith("'=cmd|'/c'!a0@example.vn,,'@SUM(1)")
    parsed = parse(out.getvalue())
    assert parsed.refusals == []
    back = [row.subscriber() for _, row in parsed.rows]
    assert back == subscribers


def test_a_subscriber_without_consent_exports_empty_consent_columns() -> None:
    row = export_fields(Subscriber("a@example.vn", "pending", ["dan-van"], False, "vi"))
    assert row == ["a@example.vn", "dan-van", "", "", "vi", "pending"]
    assert (*COLUMNS, "status") == EXPORT_COLUMNS


# Text of every kind: letters, controls, separators, quotes, line breaks, surrogates left out.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
FIELD = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        ["", "thong-bao", "dan-van;thong-bao", "en", "vi", "x@example.vn", "'=1", "2021-03-04"]
    ),
    # Dates at the edges of what datetime can hold, before and after the zone is applied.
    st.sampled_from(["0001-01-01", "9999-12-31T23:59:59-05:00", "2021-02-30", "2021-03-04T07"]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(ANY_TEXT.filter(str.strip), st.emails()),
            FIELD,
            FIELD,
            FIELD,
            FIELD,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_every_row_of_arbitrary_text_is_accepted_or_refused_with_a_reason(
    rows: list[tuple[str, str, str, str, str]],
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    parsed = parse(out.getvalue())
    assert parsed.read == len(rows)
    lines = sorted([line for line, _ in parsed.rows] + [r.line for r in parsed.refusals])
    assert len(set(lines)) == len(rows) and lines[0] >= 2
    assert all(refusal.reason for refusal in parsed.refusals)
    for _, row in parsed.rows:
        assert row.email == row.email.lower().strip() and "@" in row.email


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), ANY_TEXT.map(str.encode)), st.booleans())
def test_arbitrary_bytes_never_crash_the_parser(data: bytes, with_header: bool) -> None:
    if with_header:
        data = HEADER.encode() + data
    try:
        parsed = parse_subscribers(data, ZONE, NOW)
    except (Malformed, Invalid):
        # Only the file as a whole is refused: not UTF-8, or no header of an import.
        assert not with_header or not is_utf8(data)
        return
    assert all(refusal.reason and refusal.line >= 2 for refusal in parsed.refusals)
    assert all(line >= 2 for line, _ in parsed.rows)


def is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True
