"""Record loading: every problem reported at once, each naming file, line, key, field, what is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from coopld.errors import RecordError, RecordIssue
from coopld.records import load_records, parse_records

TINY = Path(__file__).parent / "data" / "records"

GOOD = """\
- key: doc
  type: SourceDocument
  label: {en: "A document"}
  file: 000_43dad1280a15c169.txt
  sources: [{document: doc, locator: title}]
- key: org
  type: Institution
  label: {en: "An organisation"}
  sources: [{document: doc, locator: p. 1}]
"""


def load_text(tmp_path: Path, text: str, name: str = "records.yaml") -> list[RecordIssue]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load_records(tmp_path)
    return caught.value.issues


def test_tiny_records_load_with_their_origin() -> None:
    records = load_records(TINY)
    by_key = {r.key: r for r in records}
    assert by_key["plan-2026"].kind == "agreement"
    assert by_key["plan-2026"].origin.endswith("tiny.yaml:39")
    assert by_key["plan-2026"].field_lines["signed"] == 45


def test_good_records_load(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(GOOD)
    assert [r.key for r in load_records(tmp_path)] == ["doc", "org"]


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    issues = load_text(tmp_path, GOOD + "- key: [unclosed\n")
    assert len(issues) == 1
    assert issues[0].file.endswith("records.yaml")
    assert issues[0].line == 11
    assert "malformed YAML" in issues[0].message


def test_missing_required_field_is_named(tmp_path: Path) -> None:
    issues = load_text(tmp_path, GOOD + "- {key: x, type: Institution, label: {en: X}}\n")
    assert [(i.key, i.line) for i in issues] == [("x", 10)]
    assert "missing required field 'sources'" in issues[0].message
    assert issues[0].valid and "document" in issues[0].valid


def test_unknown_reference_names_field_and_valid_kinds(tmp_path: Path) -> None:
    text = GOOD + (
        "- key: unit\n  type: OrganisationalUnit\n  label: {en: U}\n  unitOf: nobody\n"
        "  sources: [{document: doc, locator: x}]\n"
    )
    issues = load_text(tmp_path, text)
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.key, issue.field, issue.line) == ("unit", "unitOf", 13)
    assert "unknown reference 'nobody'" in issue.message
    assert issue.valid == "the key of an existing organisation record"


def test_reference_to_a_record_of_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    text = GOOD + (
        "- key: unit\n  type: OrganisationalUnit\n  label: {en: U}\n  unitOf: doc\n"
        "  sources: [{document: doc, locator: x}]\n"
    )
    assert "unknown reference 'doc'" in load_text(tmp_path, text)[0].message


def test_duplicate_key_points_at_the_first_definition(tmp_path: Path) -> None:
    text = (
        GOOD
        + "- key: org\n  type: Institution\n  label: {en: Again}\n  sources: [{document: doc, locator: x}]\n"
    )
    issues = load_text(tmp_path, text)
    assert len(issues) == 1
    assert issues[0].field == "key" and issues[0].line == 10
    assert "first defined at" in issues[0].message and ":6" in issues[0].message


def test_duplicate_field_in_one_record_is_refused(tmp_path: Path) -> None:
    text = (
        GOOD
        + "- key: x\n  key: y\n  type: Institution\n  label: {en: X}\n  sources: [{document: doc, locator: x}]\n"
    )
    issues = load_text(tmp_path, text)
    assert any("appears twice" in i.message and i.line == 11 for i in issues)


@pytest.mark.parametrize(
    ("value", "hint"),
    [("2026-13-01", "not a valid date"), ("24 April 2026", "not a valid date"), ("2026", None)],
)
def test_malformed_dates_are_refused(tmp_path: Path, value: str, hint: str | None) -> None:
    text = GOOD + (
        f"- key: plan\n  type: Roadmap\n  label: {{en: P}}\n  signed: {value!r}\n"
        "  sources: [{document: doc, locator: x}]\n"
    )
    if hint is None:
        (tmp_path / "records.yaml").write_text(text)
        assert load_records(tmp_path)[-1].get("signed") == "2026"
        return
    issues = load_text(tmp_path, text)
    assert [(i.field, i.line) for i in issues] == [("signed", 13)]
    assert hint in issues[0].message
    assert "YYYY-MM-DD" in (issues[0].valid or "")


def test_unquoted_year_is_refused_with_a_hint(tmp_path: Path) -> None:
    text = (
        GOOD
        + "- key: plan\n  type: Roadmap\n  label: {en: P}\n  signed: 2026\n  sources: [{document: doc, locator: x}]\n"
    )
    assert "quote it" in load_text(tmp_path, text)[0].message


def test_unknown_field_is_not_silently_dropped(tmp_path: Path) -> None:
    text = (
        GOOD
        + "- key: plan\n  type: Roadmap\n  label: {en: P}\n  signd: '2026'\n  sources: [{document: doc, locator: x}]\n"
    )
    issues = load_text(tmp_path, text)
    assert [(i.field, i.line) for i in issues] == [("signd", 13)]
    assert "unknown field 'signd' for a Roadmap" in issues[0].message
    assert "signed" in (issues[0].valid or "")


def test_unverified_authority_code_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace(
        '  label: {en: "An organisation"}\n',
        '  label: {en: "An organisation"}\n  authorityCode: OECD\n',
    )
    issues = load_text(tmp_path, text)
    assert issues[0].field == "authorityCode"
    assert "not a verified EU authority code" in issues[0].message


def test_label_needs_english(tmp_path: Path) -> None:
    issues = load_text(
        tmp_path, GOOD.replace('{en: "An organisation"}', '{fr: "Une organisation"}')
    )
    assert "English" in issues[0].message and issues[0].field == "label"


def test_numbers_are_unique_within_a_scheme(tmp_path: Path) -> None:
    text = (
        GOOD
        + "".join(
            f"- key: pa-{n}\n  type: PriorityArea\n  label: {{en: A{n}}}\n  scheme: s\n  number: 1\n"
            "  sources: [{document: doc, locator: x}]\n"
            for n in (1, 2)
        )
        + "- key: s\n  type: PriorityAreaScheme\n  label: {en: S}\n  sources: [{document: doc, locator: x}]\n"
    )
    issues = load_text(tmp_path, text)
    assert len(issues) == 1
    assert issues[0].key == "pa-2" and "already used by 'pa-1'" in issues[0].message


def test_every_problem_is_reported_in_one_run(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text("- key: [broken\n")
    text = (
        "- key: x\n  type: Institution\n  label: {en: X}\n  colour: red\n"
        "  sources: [{document: nowhere, locator: x}]\n"
        "- key: y\n  type: Roadmap\n  label: {en: Y}\n  signed: 'soon'\n"
        "  sources: [{document: doc, locator: x}]\n"
        "- key: org\n  type: Institution\n  label: {en: Dup}\n  sources: [{document: doc, locator: x}]\n"
    )
    (tmp_path / "c.yaml").write_text(text)
    with pytest.raises(RecordError) as caught:
        load_records(tmp_path)
    messages = [str(i) for i in caught.value.issues]
    assert len(messages) == 4, messages
    assert any(m.startswith("b.yaml:1") or "b.yaml:1:" in m for m in messages) or any(
        "b.yaml" in m and "malformed YAML" in m for m in messages
    )
    assert any("c.yaml:4" in m and "'colour'" in m for m in messages)
    assert any("c.yaml:9" in m and "'signed'" in m for m in messages)
    assert any("c.yaml:11" in m and "duplicate" in m for m in messages)


def test_an_issue_reads_as_one_line() -> None:
    issue = RecordIssue("data/x.yaml", 7, "jap", "signed", "bad date", "a quoted date")
    assert (
        str(issue) == "data/x.yaml:7: record 'jap' field 'signed': bad date (valid: a quoted date)"
    )


def test_parse_records_keeps_going_after_a_bad_record() -> None:
    issues: list[RecordIssue] = []
    records = parse_records(GOOD + "- just text\n", "f.yaml", issues)
    assert [r.key for r in records] == ["doc", "org"]
    assert [i.message for i in issues] == ["a record must be a mapping"]
