"""The typed form schema: a frozen tree of fields built from pyxform's output."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

# Language code -> text. Text given without a language is filed under the form's default
# language code (see forms.languages), so lookups by code always work.
Translations = Mapping[str, str]
# pyxform's type names of single and multiple choice questions.
SELECT_ONE_TYPES = ("select one", "select one external")
SELECT_MULTIPLE_TYPES = ("select all that apply", "select multiple")


@dataclass(frozen=True)
class Choice:
    """One option of a choice list, with labels per language and its extra columns."""

    name: str
    labels: Translations = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Field:
    """A question, group or repeat of a form, addressed by its absolute path."""

    path: str  # e.g. "/data/group/field"
    name: str
    type: str  # XLSForm type: "integer", "select one", "group", "repeat", "geopoint", ...
    labels: Translations = field(default_factory=dict)
    hints: Translations = field(default_factory=dict)
    required: str | None = None  # XPath expression, "true()" when simply required
    relevant: str | None = None
    constraint: str | None = None
    constraint_messages: Translations = field(default_factory=dict)
    calculate: str | None = None
    default: str | None = None
    appearance: str | None = None
    choice_filter: str | None = None
    list_name: str | None = None
    choices: tuple[Choice, ...] = ()
    children: tuple[Field, ...] = ()
    bind: Mapping[str, str] = field(default_factory=dict)
    # XForm bind type ("int", "decimal", "date", "geopoint", "binary", ...); decides how an
    # answer is typed. Empty for groups and repeats.
    data_type: str = "string"
    readonly: str | None = None
    required_messages: Translations = field(default_factory=dict)
    media: Mapping[str, Translations] = field(default_factory=dict)  # "image" -> lang -> file
    itemset_file: str | None = None  # the file of select_one_from_file / external choices

    @cached_property
    def choices_by_name(self) -> Mapping[str, Choice]:
        """The field's choices by name (the first one of a duplicated name), built once."""
        by_name: dict[str, Choice] = {}
        for choice in self.choices:
            by_name.setdefault(choice.name, choice)
        return by_name

    @property
    def is_select_one(self) -> bool:
        """True for single choice questions (select_one, select_one_from_file, ...)."""
        return self.type in SELECT_ONE_TYPES

    @property
    def is_select_multiple(self) -> bool:
        """True for multiple choice questions, whose answer is a space-separated list."""
        return self.type in SELECT_MULTIPLE_TYPES

    @property
    def is_group(self) -> bool:
        """True for groups and repeats (fields that hold other fields)."""
        return self.type in ("group", "repeat")

    @property
    def is_repeat(self) -> bool:
        """True for repeat groups."""
        return self.type == "repeat"

    def walk(self) -> Iterator[Field]:
        """Yield this field and every field below it, depth first, in form order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class EntityDeclaration:
    """What a form does to an entity list (the XLSForm `entities` sheet)."""

    dataset: str
    creates: bool
    updates: bool
    properties: tuple[str, ...] = ()  # save_to names, in form order


@dataclass(frozen=True)
class FormSchema:
    """Everything Kenesh needs to know about one version of a form."""

    form_id: str
    version: str | None
    title: str
    root_name: str  # name of the instance root element, usually "data"
    languages: tuple[str, ...]  # language codes, e.g. ("ky", "ru", "en")
    default_language: str
    children: tuple[Field, ...]
    settings: Mapping[str, str] = field(default_factory=dict)
    sensitive: bool = False
    entity: EntityDeclaration | None = None

    def walk(self) -> Iterator[Field]:
        """Yield every field of the form, depth first, in form order."""
        for child in self.children:
            yield from child.walk()

    def field_by_path(self, path: str) -> Field | None:
        """The field at `path`, or None when the form has no such field."""
        return self.fields_by_path().get(path)

    def field_positions(self) -> Mapping[str, int]:
        """Each field's position in form order, keyed by its path (computed once per schema)."""
        positions: dict[str, int] | None = self.__dict__.get("_field_positions")
        if positions is None:
            positions = {path: n for n, path in enumerate(self.fields_by_path())}
            object.__setattr__(self, "_field_positions", positions)
        return positions

    def fields_by_path(self) -> Mapping[str, Field]:
        """Every field keyed by its path, in form order (computed once per schema)."""
        index: dict[str, Field] | None = self.__dict__.get("_fields_by_path")
        if index is None:
            index = {f.path: f for f in self.walk()}
            # The schema is frozen, so the index can never go stale.
            object.__setattr__(self, "_fields_by_path", index)
        return index
