"""$select and $expand as Central reads them: which properties a table's rows keep."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from forms.odata.errors import ODataError, property_not_found, unsupported_select
from forms.odata.tables import ODataPlan
from forms.schema import Field

# The __system properties a Submissions $select (and $filter) may name.
SYSTEM_PROPERTIES = frozenset({
    "__system",
    *(f"__system/{name}" for name in (
        "submissionDate", "updatedAt", "submitterId", "submitterName", "attachmentsPresent",
        "attachmentsExpected", "status", "reviewState", "deviceId", "edits", "formVersion",
        "deletedAt",
    )),
})
ENTITY_SYSTEM_PROPERTIES = frozenset({
    "__system",
    *(f"__system/{name}" for name in (
        "createdAt", "creatorId", "creatorName", "updates", "updatedAt", "deletedAt",
        "version", "conflict",
    )),
})


@dataclass(frozen=True)
class Selection:
    """What $select keeps: field paths (with their groups) and metadata keys ("__id", ...)."""

    paths: frozenset[str]
    metadata: frozenset[str]


def parse_select(
    plan: ODataPlan, table_name: str, text: str | None, *, expand: bool = False
) -> Selection | None:
    """The selection `$select=text` makes on a table; None when it keeps everything.

    Properties are comma-separated paths below the table ("age", "meta/instanceID",
    "children/child" for a repeat's link) and "__id", the parent key, or (Submissions only)
    "__system" and "__system/<name>". A group brings all its fields. Raises ODataError
    400.23 for an unknown property, 400.24 for a field inside a nested repeat, 501.11 when
    combined with $expand, KeyError for an unknown table.
    """
    if text is None or text.strip() == "*":
        return None
    if expand:
        raise ODataError("501.11", "This server doesn't support $select query parameter "
                         "with $expand.")
    table = plan.table(table_name)
    id_keys = {"__id", *([table.parent_id_key] if table.parent_id_key else [])}
    index = _relative_index(plan, table.chain)
    paths: set[str] = {f.path for f in table.chain}
    metadata: set[str] = set()
    for prop in (p.strip() for p in text.split(",")):
        if prop in id_keys or (table.repeat is None and prop in SYSTEM_PROPERTIES):
            metadata.add(prop)
            continue
        found = index.get(prop)
        if found is None:
            raise property_not_found(prop)
        chosen, ancestors = found
        for ancestor in reversed(ancestors):
            if ancestor.path in paths:
                break
            if ancestor.is_repeat:
                raise unsupported_select(prop)
            paths.add(ancestor.path)
        paths.update(_with_group_contents(chosen))
    return Selection(frozenset(paths), frozenset(metadata))


def _relative_index(
    plan: ODataPlan, chain: Sequence[Field]
) -> dict[str, tuple[Field, tuple[Field, ...]]]:
    """OData path below the table -> (field, its ancestors from the table down)."""
    top = plan.fields if not chain else chain[-1].children
    skip = len(plan.relative_parts(chain[-1])) if chain else 0
    index: dict[str, tuple[Field, tuple[Field, ...]]] = {}

    def visit(fields: Sequence[Field], ancestors: tuple[Field, ...]) -> None:
        for f in fields:
            index["/".join(plan.relative_parts(f)[skip:])] = (f, ancestors)
            if f.is_group:
                visit(f.children, (*ancestors, f))

    visit(top, ())
    return index


def _with_group_contents(field: Field) -> set[str]:
    """The field, and for a group everything in it down to (and including) its repeats."""
    paths = {field.path}
    if field.is_group and not field.is_repeat:
        for child in field.children:
            paths |= _with_group_contents(child)
    return paths


def parse_entity_select(text: str | None, properties: Sequence[str]) -> frozenset[str] | None:
    """The properties `$select=text` keeps in an entity feed; None when it keeps everything.

    Raises ODataError 400.23 for a name that is neither __id, label, a __system property
    nor one of the list's properties.
    """
    if text is None or text.strip() in ("", "*"):
        return None
    chosen = [p.strip() for p in text.split(",")]
    known = {"__id", "label", *ENTITY_SYSTEM_PROPERTIES, *properties}
    for name in chosen:
        if name not in known:
            raise property_not_found(name)
    return frozenset(chosen)


def parse_expand(text: str | None) -> bool:
    """True for $expand=*; False when absent. Anything else is Central's 501.6."""
    if text is None or text == "":
        return False
    if text.strip() == "*":
        return True
    raise ODataError(
        "501.6",
        f'The given OData expand expression is not supported by this server: "{text}". '
        'Currently, only "$expand=*" is supported.',
    )

