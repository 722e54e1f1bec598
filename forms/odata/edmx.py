"""The OData service document and $metadata (EDMX) of a form or an entity list, as Central's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import quoteattr

from forms.odata.tables import MAIN_TABLE, ODataPlan, as_plan, odata_name
from forms.schema import Field, FormSchema

FQDN_ROOT = "org.opendatakit.user"

# Central's mapping of XForm bind types; every other type is a string.
EDM_TYPES = {
    "int": "Edm.Int64",
    "decimal": "Edm.Decimal",
    "boolean": "Edm.Boolean",
    "geopoint": "Edm.GeographyPoint",
    "geotrace": "Edm.GeographyLineString",
    "geoshape": "Edm.GeographyPolygon",
    "date": "Edm.Date",
    "dateTime": "Edm.DateTimeOffset",
}

_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n' \
    '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">\n' \
    "  <edmx:DataServices>\n"
_TAIL = "  </edmx:DataServices>\n</edmx:Edmx>"
_EDM = "http://docs.oasis-open.org/odata/ns/edm"

_SUBMISSION_METADATA = f"""    <Schema xmlns="{_EDM}" Namespace="org.opendatakit.submission">
      <ComplexType Name="metadata">
        <Property Name="submissionDate" Type="Edm.DateTimeOffset"/>
        <Property Name="updatedAt" Type="Edm.DateTimeOffset"/>
        <Property Name="deletedAt" Type="Edm.DateTimeOffset"/>
        <Property Name="submitterId" Type="Edm.String"/>
        <Property Name="submitterName" Type="Edm.String"/>
        <Property Name="attachmentsPresent" Type="Edm.Int64"/>
        <Property Name="attachmentsExpected" Type="Edm.Int64"/>
        <Property Name="status" Type="org.opendatakit.submission.Status"/>
        <Property Name="reviewState" Type="org.opendatakit.submission.ReviewState"/>
        <Property Name="deviceId" Type="Edm.String"/>
        <Property Name="edits" Type="Edm.Int64"/>
        <Property Name="formVersion" Type="Edm.String"/>
      </ComplexType>
      <EnumType Name="Status">
        <Member Name="notDecrypted"/>
        <Member Name="missingEncryptedFormData"/>
      </EnumType>
      <EnumType Name="ReviewState">
        <Member Name="hasIssues"/>
        <Member Name="edited"/>
        <Member Name="rejected"/>
        <Member Name="approved"/>
      </EnumType>
    </Schema>
"""

_ENTITY_METADATA = f"""    <Schema xmlns="{_EDM}" Namespace="org.opendatakit.entity">
      <ComplexType Name="metadata">
        <Property Name="createdAt" Type="Edm.DateTimeOffset"/>
        <Property Name="creatorId" Type="Edm.String"/>
        <Property Name="creatorName" Type="Edm.String"/>
        <Property Name="updates" Type="Edm.Int64"/>
        <Property Name="updatedAt" Type="Edm.DateTimeOffset"/>
        <Property Name="deletedAt" Type="Edm.DateTimeOffset"/>
        <Property Name="version" Type="Edm.Int64"/>
        <Property Name="conflict" Type="Edm.String"/>
      </ComplexType>
    </Schema>
"""

_CAPABILITIES = """          <Annotation Term="Org.OData.Capabilities.V1.ConformanceLevel" \
EnumMember="Org.OData.Capabilities.V1.ConformanceLevelType/Minimal"/>
          <Annotation Term="Org.OData.Capabilities.V1.BatchSupported" Bool="false"/>
          <Annotation Term="Org.OData.Capabilities.V1.CountRestrictions">
            <Record><PropertyValue Property="Countable" Bool="true"/></Record>
          </Annotation>
          <Annotation Term="Org.OData.Capabilities.V1.FilterFunctions">
            <Record>
              <PropertyValue Property="NonCountableProperties">
                <Collection>
                  <String>eq</String>
                </Collection>
              </PropertyValue>
            </Record>
          </Annotation>
          <Annotation Term="Org.OData.Capabilities.V1.FilterFunctions">
            <Record>
              <PropertyValue Property="Filterable" Bool="true"/>
              <PropertyValue Property="RequiresFilter" Bool="false"/>
              <PropertyValue Property="NonFilterableProperties">
                <Collection>
{paths}                </Collection>
              </PropertyValue>
            </Record>
          </Annotation>
          <Annotation Term="Org.OData.Capabilities.V1.SortRestrictions">
            <Record><PropertyValue Property="Sortable" Bool="false"/></Record>
          </Annotation>
          <Annotation Term="Org.OData.Capabilities.V1.ExpandRestrictions">
            <Record><PropertyValue Property="Expandable" Bool="false"/></Record>
          </Annotation>
"""


@dataclass
class _Type:
    name: str
    path: str | None
    properties: list[tuple[str, str, bool]] = field(default_factory=list)  # name, type, nav


def edmx(schemas: ODataPlan | Sequence[FormSchema] | FormSchema, xml_form_id: str) -> str:
    """The $metadata document of a form: the union of the fields of every version given.

    As Central's: namespace org.opendatakit.user.<formid>, an entity type per table
    ("Submissions", "Submissions.group.repeat") keyed by __id, a complex type per group,
    a navigation property per repeat, and __system typed org.opendatakit.submission.metadata.
    """
    plan = as_plan(schemas)
    base = f"{FQDN_ROOT}.{odata_name(xml_form_id)}"
    entity_types, complex_types = _types(plan, base)
    lines = [_HEAD, _SUBMISSION_METADATA, f'    <Schema xmlns="{_EDM}" Namespace="{base}">\n']
    for index, entity in enumerate(entity_types):
        lines.append(f'      <EntityType Name="{entity.name}">\n')
        lines.append('        <Key><PropertyRef Name="__id"/></Key>\n')
        lines.append('        <Property Name="__id" Type="Edm.String"/>\n')
        if index == 0:
            lines.append('        <Property Name="__system" '
                         'Type="org.opendatakit.submission.metadata"/>\n')
        lines += _properties(entity)
        lines.append("      </EntityType>\n")
    for complex_type in complex_types:
        lines.append(f'      <ComplexType Name="{complex_type.name}">\n')
        lines += _properties(complex_type)
        lines.append("      </ComplexType>\n")
    lines.append(f"      <EntityContainer Name={quoteattr(xml_form_id)}>\n")
    for index, entity in enumerate(entity_types):
        lines.append(f'        <EntitySet Name="{entity.name}" '
                     f'EntityType="{base}.{entity.name}">\n')
        if index == 0:
            lines.append(_capabilities([name for name, _, _ in entity.properties]))
        lines.append("        </EntitySet>\n")
    lines += ["      </EntityContainer>\n", "    </Schema>\n", _TAIL]
    return "".join(lines)


def _types(plan: ODataPlan, base: str) -> tuple[list[_Type], list[_Type]]:
    submissions = _Type(MAIN_TABLE, None)
    entity_types, complex_types = [submissions], []

    def visit(fields: Sequence[Field], into: _Type, repeat: Field | None) -> None:
        for f in fields:
            name = odata_name(f.name)
            type_name = ".".join(plan.relative_parts(f))
            if f.is_repeat:
                parts = [MAIN_TABLE, *(plan.relative_parts(repeat) if repeat else [])]
                entity = _Type(f"{MAIN_TABLE}.{type_name}", f.path,
                               [(f"__{'-'.join(parts)}-id", "Edm.String", False)])
                entity_types.append(entity)
                into.properties.append(
                    (name, f"Collection({base}.{MAIN_TABLE}.{type_name})", True)
                )
                visit(f.children, entity, f)
            elif f.is_group:
                complex_type = _Type(type_name, f.path)
                complex_types.append(complex_type)
                into.properties.append((name, f"{base}.{type_name}", False))
                visit(f.children, complex_type, repeat)
            else:
                into.properties.append((name, EDM_TYPES.get(f.data_type, "Edm.String"), False))

    visit(plan.fields, submissions, None)
    return entity_types, complex_types


def _properties(owner: _Type) -> list[str]:
    tag = {True: "NavigationProperty", False: "Property"}
    return [f'        <{tag[nav]} Name="{name}" Type="{type_}"/>\n'
            for name, type_, nav in owner.properties]


def _capabilities(paths: Sequence[str]) -> str:
    listed = "".join(f"                  <PropertyPath>{p}</PropertyPath>\n" for p in paths)
    return _CAPABILITIES.format(paths=listed)


def service_document(
    base_url: str, schemas: ODataPlan | Sequence[FormSchema] | FormSchema
) -> dict[str, Any]:
    """The OData service document of a form: "Submissions" then one entity set per repeat.

    `base_url` is the service root, e.g. "https://host/v1/projects/1/forms/survey.svc".
    """
    plan = as_plan(schemas)
    return {
        "@odata.context": f"{base_url}/$metadata",
        "value": [{"name": t.name, "kind": "EntitySet", "url": t.name} for t in plan.tables],
    }


def entities_edmx(dataset_name: str, properties: Sequence[str]) -> str:
    """The $metadata document of an entity list, as Central's (every property a string)."""
    base = f"{FQDN_ROOT}.{odata_name(dataset_name)}"
    names = [odata_name(p) for p in properties]
    props = "".join(f'        <Property Name="{n}" Type="Edm.String"/>\n' for n in names)
    return "".join([
        _HEAD, _ENTITY_METADATA, f'    <Schema xmlns="{_EDM}" Namespace="{base}">\n',
        '      <EntityType Name="Entities">\n',
        '        <Key><PropertyRef Name="__id"/></Key>\n',
        '        <Property Name="__id" Type="Edm.String"/>\n',
        '        <Property Name="__system" Type="org.opendatakit.entity.metadata"/>\n',
        '        <Property Name="label" Type="Edm.String"/>\n',
        props, "      </EntityType>\n",
        f"      <EntityContainer Name={quoteattr(dataset_name)}>\n",
        f'        <EntitySet Name="Entities" EntityType="{base}.Entities">\n',
        _capabilities(names), "        </EntitySet>\n",
        "      </EntityContainer>\n", "    </Schema>\n", _TAIL,
    ])


def entities_service_document(base_url: str) -> dict[str, Any]:
    """The OData service document of an entity list: one entity set, "Entities"."""
    return {
        "@odata.context": f"{base_url}/$metadata",
        "value": [{"name": "Entities", "kind": "EntitySet", "url": "Entities"}],
    }
