"""Source files -> Record values that remember where they came from (file:line).

No rdflib here: this module only reads YAML, checks every record against the
record schema of docs/model.md and reports every problem of a run at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import RecordError, RecordIssue
from .namespaces import CORPORATE_BODY_CODES, COUNTRY_CODES, KEY_PATTERN
from .schema import (
    COMMON,
    DATE_PATTERN,
    DURATION_PATTERN,
    LANG_PATTERN,
    TYPES,
    URL_PATTERN,
    FieldSpec,
    field_spec,
)

__all__ = ["TYPES", "FieldSpec", "Record", "load_records", "parse_records"]


class _Mapping(dict[str, Any]):
    """A YAML mapping that knows the line of each of its keys."""

    line: int = 0
    key_lines: dict[str, int]


@dataclass(frozen=True)
class Record:
    """One curated record: its identity, its checked fields and its origin."""

    kind: str
    type: str
    key: str
    fields: dict[str, Any]
    file: str
    line: int
    field_lines: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def origin(self) -> str:
        return f"{self.file}:{self.line}"

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def refs(self, name: str) -> list[str]:
        value = self.fields.get(name)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps line numbers, refuses duplicate keys, keeps dates as text."""

    duplicate_issues: list[tuple[int, str]]


# dates stay strings: the record schema decides what a valid date is
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in mapping:
            loader.duplicate_issues.append((key_node.start_mark.line + 1, key))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _key_of(raw: Any) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("key"), str):
        return str(raw["key"])
    return None


class _Checker:
    """Checks one record's fields; collects issues instead of stopping at the first."""

    def __init__(self, file: str, raw: _Mapping, issues: list[RecordIssue]) -> None:
        self.file = file
        self.raw = raw
        self.key = _key_of(raw)
        self.issues = issues

    def issue(self, name: str | None, message: str, valid: str | None = None) -> None:
        line = self.raw.key_lines.get(name, self.raw.line) if name else self.raw.line
        self.issues.append(RecordIssue(self.file, line, self.key, name, message, valid))

    def check(self, name: str, spec: FieldSpec, value: Any) -> Any:
        """Return the normalised value, or None after reporting an issue."""
        shape = spec.shape
        if shape in ("langmap", "langlist"):
            return self._langmap(name, spec, value, lists=shape == "langlist")
        if shape == "ref":
            return self._ref(name, spec, value)
        if shape == "refs":
            values = value if isinstance(value, list) else [value]
            refs = [self._ref(name, spec, v) for v in values]
            return refs if all(r is not None for r in refs) and refs else None
        if shape == "date":
            if isinstance(value, str) and DATE_PATTERN.match(value):
                return value
            hint = " (quote it in YAML)" if isinstance(value, int) else ""
            return self._bad(name, spec, f"{value!r} is not a valid date{hint}")
        if shape in ("int", "posint"):
            ok = isinstance(value, int) and not isinstance(value, bool)
            if ok and ((shape == "int" and value >= 0) or value > 0):
                return value
            return self._bad(name, spec, f"{value!r} is not {spec.describe()}")
        if shape == "str":
            if isinstance(value, str) and value.strip():
                return value.strip()
            return self._bad(name, spec, f"{value!r} is not a non-empty string")
        if shape == "url":
            if isinstance(value, str) and URL_PATTERN.match(value):
                return value
            return self._bad(name, spec, f"{value!r} is not an absolute http(s) URL")
        if shape == "urls":
            values = value if isinstance(value, list) else [value]
            urls = [self.check(name, field_spec("url"), v) for v in values]
            return urls if all(urls) else None
        if shape == "duration":
            if isinstance(value, str) and DURATION_PATTERN.match(value):
                return value
            return self._bad(name, spec, f"{value!r} is not an ISO 8601 duration")
        if shape == "lang":
            if isinstance(value, str) and LANG_PATTERN.match(value):
                return value
            return self._bad(name, spec, f"{value!r} is not a language tag")
        if shape in ("corporate-body", "country-code"):
            codes = CORPORATE_BODY_CODES if shape == "corporate-body" else COUNTRY_CODES
            if value in codes:
                return value
            return self._bad(name, spec, f"{value!r} is not a verified EU authority code")
        if shape == "sources":
            return self._sources(name, spec, value)
        if shape == "signatures":
            return self._nested(
                name,
                spec,
                value,
                {
                    "person": field_spec("ref", "person", required=True),
                    "post": field_spec("ref", "post", required=True),
                },
            )
        if shape == "period":
            period = self._nested(
                name,
                spec,
                [value] if isinstance(value, dict) else value,
                {"start": field_spec("date"), "end": field_spec("date")},
            )
            if period is None:
                return None
            if not period or not any(k in period[0] for k in ("start", "end")):
                return self._bad(name, spec, "a period needs a start or an end")
            return period[0]
        raise AssertionError(f"unknown field shape {shape}")

    def _bad(self, name: str, spec: FieldSpec, message: str) -> Any:
        self.issue(name, message, spec.describe())
        return None

    def _langmap(self, name: str, spec: FieldSpec, value: Any, lists: bool) -> Any:
        if not isinstance(value, dict) or not value:
            return self._bad(name, spec, f"{value!r} is not a language map")
        result: dict[str, Any] = {}
        for lang, text in value.items():
            if not isinstance(lang, str) or not LANG_PATTERN.match(lang):
                return self._bad(name, spec, f"{lang!r} is not a language tag")
            texts = text if lists and isinstance(text, list) else [text]
            if not texts or not all(isinstance(t, str) and t.strip() for t in texts):
                return self._bad(name, spec, f"the {lang!r} text must be a non-empty string")
            result[lang] = [t.strip() for t in texts] if lists else str(text).strip()
        if name == "label" and "en" not in result:
            return self._bad(name, spec, "an English ('en') label is required")
        return result

    def _ref(self, name: str, spec: FieldSpec, value: Any) -> str | None:
        if isinstance(value, str) and KEY_PATTERN.match(value):
            return value
        self._bad(name, spec, f"{value!r} is not a record key")
        return None

    def _nested(
        self, name: str, spec: FieldSpec, value: Any, parts: dict[str, FieldSpec]
    ) -> list[dict[str, Any]] | None:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self._bad(name, spec, f"{value!r} is not {spec.describe()}")
            return None
        result = []
        for item in value:
            unknown = sorted(set(item) - set(parts))
            if unknown:
                self._bad(name, spec, f"unknown part {unknown[0]!r}")
                return None
            missing = [p for p, s in parts.items() if s.required and p not in item]
            if missing:
                self._bad(name, spec, f"missing {missing[0]!r}")
                return None
            checked = {p: self.check(f"{name}.{p}", parts[p], v) for p, v in item.items()}
            if any(v is None for v in checked.values()):
                return None
            result.append(checked)
        return result

    def _sources(self, name: str, spec: FieldSpec, value: Any) -> Any:
        parts = {
            "document": field_spec("ref", "document", required=True),
            "locator": field_spec("str", required=True),
            "quote": field_spec("str"),
        }
        items = self._nested(name, spec, value, parts)
        if items is not None and not items:
            return self._bad(name, spec, "at least one source is required")
        return items


def _record_from(file: str, raw: Any, issues: list[RecordIssue]) -> Record | None:
    if not isinstance(raw, _Mapping):
        line = getattr(raw, "line", 0)
        issues.append(RecordIssue(file, line, None, None, "a record must be a mapping"))
        return None
    checker = _Checker(file, raw, issues)
    type_name = raw.get("type")
    if type_name not in TYPES:
        checker.issue("type", f"unknown record type {type_name!r}", ", ".join(sorted(TYPES)))
        return None
    kind, specific = TYPES[type_name]
    allowed = {**COMMON, **specific}
    before = len(issues)
    for name in raw:
        if name not in allowed:
            checker.issue(
                name, f"unknown field {name!r} for a {type_name}", ", ".join(sorted(allowed))
            )
    for name, spec in allowed.items():
        if spec.required and name not in raw:
            checker.issue(None, f"missing required field {name!r}", spec.describe())
    key = raw.get("key")
    if "key" in raw and not (isinstance(key, str) and KEY_PATTERN.match(key)):
        checker.issue("key", f"{key!r} is not a slug", "lowercase a-z, 0-9 and single hyphens")
    values = {
        name: checker.check(name, allowed[name], value)
        for name, value in raw.items()
        if name in allowed and name not in ("key", "type")
    }
    if len(issues) > before:
        return None
    return Record(kind, str(type_name), str(key), values, file, raw.line, dict(raw.key_lines))


def parse_records(text: str, file: str, issues: list[RecordIssue]) -> list[Record]:
    """Parse one YAML file's text into records, appending every problem to ``issues``."""
    loader = _Loader(text)
    loader.duplicate_issues = []
    try:
        document = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        issues.append(RecordIssue(file, line, None, None, f"malformed YAML: {problem}"))
        return []
    finally:
        loader.dispose()
    for line, key in loader.duplicate_issues:
        issues.append(
            RecordIssue(file, line, None, key, f"field {key!r} appears twice in a mapping")
        )
    if document is None:
        return []
    if not isinstance(document, list):
        issues.append(RecordIssue(file, 1, None, None, "a records file must be a YAML list"))
        return []
    records = [_record_from(file, raw, issues) for raw in document]
    return [r for r in records if r is not None]


def _check_references(records: list[Record], issues: list[RecordIssue]) -> None:
    by_kind: dict[str, dict[str, Record]] = {}
    for record in records:
        seen = by_kind.setdefault(record.kind, {})
        if record.key in seen:
            first = seen[record.key]
            issues.append(
                RecordIssue(
                    record.file,
                    record.line,
                    record.key,
                    "key",
                    f"duplicate {record.kind} key, first defined at {first.origin}",
                    "a key unique among the records of its kind",
                )
            )
        else:
            seen[record.key] = record
    for record in records:
        _, specific = TYPES[record.type]
        specs = {**COMMON, **specific}
        for name, value in record.fields.items():
            for ref, targets, line_name in _references(name, specs[name], value):
                if not any(ref in by_kind.get(kind, {}) for kind in targets):
                    issues.append(
                        RecordIssue(
                            record.file,
                            record.field_lines.get(line_name, record.line),
                            record.key,
                            name,
                            f"unknown reference {ref!r}",
                            f"the key of an existing {' or '.join(targets)} record",
                        )
                    )
    _check_numbers(records, issues)


def _references(
    name: str, spec: FieldSpec, value: Any
) -> Iterator[tuple[str, tuple[str, ...], str]]:
    if spec.shape == "ref":
        yield value, spec.targets, name
    elif spec.shape == "refs":
        for ref in value:
            yield ref, spec.targets, name
    elif spec.shape == "sources":
        for source in value:
            yield source["document"], ("document",), name
    elif spec.shape == "signatures":
        for signature in value:
            yield signature["person"], ("person",), name
            yield signature["post"], ("post",), name


def _check_numbers(records: list[Record], issues: list[RecordIssue]) -> None:
    """Numbers are unique within their scheme (concepts) or agreement (actions)."""
    seen: dict[tuple[str, str, int], Record] = {}
    for record in records:
        group = record.get("scheme") or record.get("agreement")
        number = record.get("number")
        if (
            group is None
            or number is None
            or record.kind not in ("priority-area", "concept", "action")
        ):
            continue
        slot = ("action" if record.kind == "action" else "scheme", group, number)
        if slot in seen:
            issues.append(
                RecordIssue(
                    record.file,
                    record.field_lines.get("number", record.line),
                    record.key,
                    "number",
                    f"number {number} is already used by {seen[slot].key!r} ({seen[slot].origin})",
                    f"a number unique within {group!r}",
                )
            )
        else:
            seen[slot] = record


def _files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return files


def load_records(*paths: Path, root: Path | None = None) -> list[Record]:
    """Load every record from YAML files or folders; raise RecordError with all problems."""
    issues: list[RecordIssue] = []
    records: list[Record] = []
    files = _files(paths)
    if not files:
        issues.append(
            RecordIssue(", ".join(map(str, paths)), 0, None, None, "no *.yaml record files found")
        )
    for path in files:
        name = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(RecordIssue(name, 0, None, None, f"cannot read: {exc}"))
            continue
        records.extend(parse_records(text, name, issues))
    _check_references(records, issues)
    if issues:
        raise RecordError(issues)
    return records
