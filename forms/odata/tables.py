"""The OData view of a form: its tables (Submissions and one per repeat) across all versions."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from forms.export.plan import merge_versions
from forms.schema import Field, FormSchema

MAIN_TABLE = "Submissions"

_LEADING = re.compile(r"^([^a-z_])", re.IGNORECASE)
_ILLEGAL = re.compile(r"[^a-z0-9_]+", re.IGNORECASE)


def odata_name(name: str) -> str:
    """`name` as an OData identifier, exactly as Central sanitizes it ("1st-q" -> "_1st_q")."""
    return _ILLEGAL.sub("_", _LEADING.sub(r"_\1", name))


@dataclass(frozen=True)
class ODataTable:
    """One OData entity set: the main table, or the rows of one repeat."""

    name: str  # "Submissions" or "Submissions.children.child"
    repeat: Field | None  # None for the main table
    chain: tuple[Field, ...]  # groups and repeats from the root down to the repeat
    parent_id_key: str | None  # "__Submissions-id", "__Submissions-children-child-id"


@dataclass(frozen=True)
class ODataPlan:
    """A form's fields merged across its versions, and the OData tables they make."""

    xml_form_id: str
    root_path: str  # "/data"
    fields: tuple[Field, ...]  # the merged top-level fields, in the newest version's order
    tables: tuple[ODataTable, ...]  # the main table first, then repeats depth first

    def table(self, name: str) -> ODataTable:
        """The table called `name`; KeyError when the form has none (Central answers 404)."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def table_fields(self, table: ODataTable) -> tuple[Field, ...]:
        """The fields directly inside `table`."""
        return self.fields if table.repeat is None else table.repeat.children

    def relative_parts(self, field: Field) -> list[str]:
        """The field's path below the instance root, as sanitized OData names."""
        return [odata_name(part) for part in field.path[len(self.root_path) + 1 :].split("/")]

    def walk(self) -> Iterator[Field]:
        """Every merged field, depth first, in form order."""
        for top in self.fields:
            yield from top.walk()

    def fields_by_path(self) -> Mapping[str, Field]:
        """Every merged field keyed by its absolute path (computed once)."""
        index: dict[str, Field] | None = self.__dict__.get("_by_path")
        if index is None:
            index = {f.path: f for f in self.walk()}
            # The plan is frozen, so the index never goes stale.
            object.__setattr__(self, "_by_path", index)
        return index


def plan_odata(schemas: Sequence[FormSchema] | FormSchema) -> ODataPlan:
    """The OData plan of a form whose versions are `schemas`, oldest first, newest last.

    Fields are the union of every version (a field only an old version had keeps its
    column, so old submissions never lose data); the newest definition of a field wins.
    """
    versions = [schemas] if isinstance(schemas, FormSchema) else list(schemas)
    if not versions:
        raise ValueError("an OData plan needs at least one form version")
    newest = versions[-1]
    tree, _removed = merge_versions(versions)
    plan = ODataPlan(newest.form_id, f"/{newest.root_name}", tree, ())
    tables = [ODataTable(MAIN_TABLE, None, (), None)]
    _collect_tables(plan, tree, (), tables)
    return ODataPlan(plan.xml_form_id, plan.root_path, tree, tuple(tables))


def as_plan(source: ODataPlan | Sequence[FormSchema] | FormSchema) -> ODataPlan:
    """`source` itself when it is a plan, else the plan of those form versions."""
    return source if isinstance(source, ODataPlan) else plan_odata(source)


def _collect_tables(
    plan: ODataPlan, fields: Sequence[Field], chain: tuple[Field, ...], out: list[ODataTable]
) -> None:
    for f in fields:
        if not f.is_group:
            continue
        here = (*chain, f)
        if f.is_repeat:
            out.append(ODataTable(
                ".".join([MAIN_TABLE, *plan.relative_parts(f)]), f, here, _parent_key(plan, chain)
            ))
        _collect_tables(plan, f.children, here, out)


def _parent_key(plan: ODataPlan, chain: tuple[Field, ...]) -> str:
    """Central's parent reference column: named by the path of the enclosing repeat."""
    repeats = [f for f in chain if f.is_repeat]
    parts = [MAIN_TABLE, *(plan.relative_parts(repeats[-1]) if repeats else [])]
    return f"__{'-'.join(parts)}-id"


def table_names(schemas: ODataPlan | Sequence[FormSchema] | FormSchema) -> list[str]:
    """The entity set names: "Submissions", then "Submissions.group.repeat" for each repeat."""
    return [table.name for table in as_plan(schemas).tables]
