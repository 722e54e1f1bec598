"""The export plan: tables and ordered columns for the union of a form's versions."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from typing import Literal

from forms.schema import Choice, Field, FormSchema, Translations

ColumnKind = Literal["meta", "value", "geo", "choice", "parent_key", "key"]

GEO_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")
# Column labels of the four geopoint parts; other languages fall back to English.
_GEO_PART_LABELS: Mapping[str, tuple[str, ...]] = {
    "en": GEO_PARTS,
    "ru": ("Широта", "Долгота", "Высота", "Точность"),
    "ky": ("Кеңдик", "Узундук", "Бийиктик", "Тактык"),
}

# ODK Central's metadata columns, in its order, then the ones Kenesh adds.
MAIN_META_TAIL = (
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
    "ValidationStatus",
    "ValidationMessages",
    "Conflict",
)
_UNSAFE_FILE_CHARS = re.compile(r'[/\\?<>:*|"\x00-\x1f\x80-\x9f]')


@dataclass(frozen=True)
class Column:
    """One column of an export table: its header, where its value comes from, its labels."""

    header: str  # Central's CSV header, e.g. "grp-name", "loc-Latitude", "colors/red"
    kind: ColumnKind
    path: str | None = None  # field path for value, geo and choice columns
    part: int = 0  # geopoint component, 0..3 (latitude, longitude, altitude, accuracy)
    choice: str | None = None  # choice name of a split select multiple column
    field: Field | None = None  # the newest definition of the field across versions
    removed: bool = False  # the newest version no longer has this field (or choice)
    labels: Translations = dataclass_field(default_factory=dict)
    default_language: str = ""

    def label(self, lang: str | None) -> str:
        """The label in `lang`, else the form's default language, else any; never blank."""
        for code in (lang, self.default_language):
            text = self.labels.get(code or "", "").strip()
            if text:
                return text
        for text in self.labels.values():
            if text.strip():
                return text.strip()
        return self.header


@dataclass(frozen=True)
class Table:
    """The main table or one repeat's table, with Central's file name stem."""

    name: str  # "{form_id}" or "{form_id}-{repeat name}" (with "~n" when names clash)
    repeat_path: str | None  # None for the main table
    parent_repeat_path: str | None  # the enclosing repeat, None when the parent is the main row
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        """The header row: Central's column names."""
        return [column.header for column in self.columns]

    def labels(self, lang: str | None) -> list[str]:
        """The label row in `lang` (with fallbacks)."""
        return [column.label(lang) for column in self.columns]


@dataclass(frozen=True)
class ExportPlan:
    """Everything the row builder and the writers need: tables in file order, and options."""

    form_id: str
    root_path: str  # "/data": the instance root, which keys leave out
    tables: tuple[Table, ...]  # the main table first, then repeats depth first
    lang: str | None
    default_language: str
    labels: bool  # select answers as choice labels instead of names
    fields: Mapping[str, Field]  # every field path of every version, newest definition wins

    @property
    def main(self) -> Table:
        """The main table (one row per submission)."""
        return self.tables[0]

    def table(self, name: str) -> Table:
        """The table called `name`; KeyError when there is none."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)


def plan_export(
    schemas: Sequence[FormSchema],
    *,
    lang: str | None = None,
    group_paths: bool = True,
    split_select_multiples: bool = False,
    deleted_fields: bool = False,
    union_versions: bool = True,
    labels: bool = False,
    observed_choices: Mapping[str, Sequence[str]] | None = None,
) -> ExportPlan:
    """Plan the export of a form whose versions are `schemas`, in publication order (newest last).

    Columns are the union of the versions, identified by field path: the newest version's
    order first, fields only older versions had placed after their former neighbours.
    ODK Central keeps removed fields only with `deleted_fields=True`; Kenesh keeps them by
    default (`union_versions=True`) so older rows never lose a column. Pass
    `union_versions=False` for Central's exact layout. `observed_choices` adds split select
    columns for values seen in the data but declared by no version (Central derives its
    split columns from the data).
    """
    if not schemas:
        raise ValueError("plan_export needs at least one form version")
    newest = schemas[-1]
    keep_removed = deleted_fields or union_versions
    tree, removed = merge_versions(schemas)
    fields = {f.path: f for top in tree for f in top.walk()}
    if not keep_removed:
        tree = _without(tree, removed)
    builder = _TableBuilder(
        root=f"/{newest.root_name}",
        default_language=newest.default_language,
        group_paths=group_paths,
        split=split_select_multiples,
        removed=removed if keep_removed else frozenset(),
        observed=observed_choices or {},
    )
    tables = builder.build(tree)
    return ExportPlan(
        form_id=newest.form_id,
        root_path=f"/{newest.root_name}",
        tables=_named(tables, newest.form_id),
        lang=lang,
        default_language=newest.default_language,
        labels=labels,
        fields=fields,
    )


def merge_versions(schemas: Sequence[FormSchema]) -> tuple[tuple[Field, ...], frozenset[str]]:
    """One field tree holding every version's fields, and the paths the newest version lacks.

    Removed choices are identified as "{path}/{choice name}".
    """
    newest_first = [schema.children for schema in reversed(schemas)]
    present = {f.path for f in schemas[-1].walk()}
    present |= {f"{f.path}/{c.name}" for f in schemas[-1].walk() for c in f.choices}
    tree = _merge_siblings(newest_first)
    every = {f.path for top in tree for f in top.walk()}
    every |= {f"{f.path}/{c.name}" for top in tree for f in top.walk() for c in f.choices}
    return tree, frozenset(every - present)


def _merge_siblings(versions: Sequence[Sequence[Field]]) -> tuple[Field, ...]:
    order = _merged_order([[f.name for f in siblings] for siblings in versions])
    definitions: dict[str, list[Field]] = {}
    for siblings in versions:
        for f in siblings:
            definitions.setdefault(f.name, []).append(f)
    return tuple(_merge_field(definitions[name]) for name in order)


def _merge_field(definitions: Sequence[Field]) -> Field:
    newest = definitions[0]
    # A path that changed kind (a question became a group) keeps the newest kind only.
    same_kind = [d for d in definitions if d.is_group == newest.is_group]
    if newest.is_group:
        children = _merge_siblings([d.children for d in same_kind])
        return replace(newest, children=children)
    if not any(d.choices for d in same_kind):
        return newest
    by_name: dict[str, Choice] = {}
    for d in same_kind:
        for choice in d.choices:
            by_name.setdefault(choice.name, choice)
    names = _merged_order([[c.name for c in d.choices] for d in same_kind])
    return replace(newest, choices=tuple(by_name[name] for name in names))


def _merged_order(versions: Sequence[Sequence[str]]) -> list[str]:
    """Names in the newest order; names only older versions have go after their old neighbour."""
    order = list(versions[0]) if versions else []
    known = set(order)
    for older in versions[1:]:
        for index, name in enumerate(older):
            if name in known:
                continue
            if index > 0:  # every earlier sibling is already placed
                order.insert(order.index(older[index - 1]) + 1, name)
            else:
                following = next((n for n in older[1:] if n in known), None)
                order.insert(order.index(following) if following else len(order), name)
            known.add(name)
    return order


def _without(tree: tuple[Field, ...], removed: frozenset[str]) -> tuple[Field, ...]:
    kept = []
    for f in tree:
        if f.path in removed:
            continue
        choices = tuple(c for c in f.choices if f"{f.path}/{c.name}" not in removed)
        kept.append(replace(f, children=_without(f.children, removed), choices=choices))
    return tuple(kept)


@dataclass
class _TableBuilder:
    root: str
    default_language: str
    group_paths: bool
    split: bool
    removed: frozenset[str]
    observed: Mapping[str, Sequence[str]]

    def build(self, tree: Sequence[Field]) -> list[tuple[str, Table]]:
        """(repeat name, table) pairs: the main table first, then repeats depth first."""
        tables: list[tuple[str, Table]] = []
        columns = [self._meta("SubmissionDate")]
        columns += self._columns(tree, self.root, None, tables)
        columns += [self._meta(name) for name in MAIN_META_TAIL]
        tables.insert(0, ("", Table("", None, None, tuple(columns))))
        return tables

    def _columns(
        self,
        fields: Sequence[Field],
        table_path: str,
        repeat: str | None,
        tables: list[tuple[str, Table]],
    ) -> list[Column]:
        columns: list[Column] = []
        for f in fields:
            if f.is_repeat:
                self._repeat_table(f, repeat, tables)
            elif f.is_group:
                columns += self._columns(f.children, table_path, repeat, tables)
            else:
                columns += self._field_columns(f, table_path)
        return columns

    def _repeat_table(self, f: Field, parent: str | None, tables: list[tuple[str, Table]]) -> None:
        # Reserve the slot first: Central names repeat files in depth-first order.
        slot = len(tables)
        tables.append((f.name, Table("", f.path, parent, ())))
        columns = self._columns(f.children, f.path, f.path, tables)
        columns += [Column("PARENT_KEY", "parent_key"), Column("KEY", "key")]
        tables[slot] = (f.name, Table("", f.path, parent, tuple(columns)))

    def _field_columns(self, f: Field, table_path: str) -> list[Column]:
        base = f.path[len(table_path) + 1 :].replace("/", "-") if self.group_paths else f.name
        removed = f.path in self.removed
        if f.type == "geopoint" or f.data_type == "geopoint":
            return [
                Column(f"{base}-{part}", "geo", f.path, index, None, f, removed,
                       self._geo_labels(f, index), self.default_language)
                for index, part in enumerate(GEO_PARTS)
            ]
        columns = [
            Column(base, "value", f.path, 0, None, f, removed, f.labels, self.default_language)
        ]
        if self.split and f.is_select_multiple:
            columns += self._choice_columns(f, base)
        return columns

    def _choice_columns(self, f: Field, base: str) -> list[Column]:
        declared = {c.name for c in f.choices}
        extra = [Choice(name) for name in self.observed.get(f.path, ()) if name not in declared]
        return [
            Column(
                f"{base}/{choice.name}", "choice", f.path, 0, choice.name, f,
                f.path in self.removed or f"{f.path}/{choice.name}" in self.removed,
                self._choice_labels(f, choice), self.default_language,
            )
            for choice in (*f.choices, *extra)
        ]

    def _geo_labels(self, f: Field, index: int) -> dict[str, str]:
        labels = {}
        for code in f.labels or {self.default_language: ""}:
            parts = _GEO_PART_LABELS.get(code, GEO_PARTS)
            labels[code] = f"{self._pick(f.labels, code, f.name)} ({parts[index]})"
        return labels

    def _choice_labels(self, f: Field, choice: Choice) -> dict[str, str]:
        codes = dict.fromkeys([*f.labels, *choice.labels])
        return {
            code: f"{self._pick(f.labels, code, f.name)}: "
            f"{self._pick(choice.labels, code, choice.name)}"
            for code in codes
        }

    def _pick(self, texts: Translations, code: str, fallback: str) -> str:
        preferred = (texts.get(code, ""), texts.get(self.default_language, ""))
        for candidate in (*preferred, *texts.values()):
            if candidate.strip():
                return candidate.strip()
        return fallback

    def _meta(self, name: str) -> Column:
        return Column(name, "meta")


def _named(tables: list[tuple[str, Table]], form_id: str) -> tuple[Table, ...]:
    """Central's file stems: "{form_id}-{repeat}", with "~n" when two repeats share a name."""
    totals: dict[str, int] = {}
    for repeat_name, _ in tables[1:]:
        totals[repeat_name] = totals.get(repeat_name, 0) + 1
    counts: dict[str, int] = {}
    named = [replace(tables[0][1], name=safe_file_stem(form_id))]
    for repeat_name, table in tables[1:]:
        stem = f"{form_id}-{repeat_name}"
        if totals[repeat_name] > 1:
            counts[repeat_name] = counts.get(repeat_name, 0) + 1
            stem = f"{stem}~{counts[repeat_name]}"
        named.append(replace(table, name=safe_file_stem(stem)))
    return tuple(named)


def safe_file_stem(name: str) -> str:
    """`name` without the characters file systems reject (like Central's sanitize-filename)."""
    cleaned = _UNSAFE_FILE_CHARS.sub("", name).rstrip(". ")
    return cleaned[:200] or "form"
