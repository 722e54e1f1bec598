"""ODK Central's OData feed, pure: $metadata, service documents, rows, $filter, paging."""

from forms.odata.edmx import edmx, entities_edmx, entities_service_document, service_document
from forms.odata.errors import ODataError, ODataFilterError
from forms.odata.evaluate import matches, matches_values, record_values
from forms.odata.filter import (
    ENTITY_FILTER_FIELDS,
    SUBMISSION_FILTER_FIELDS,
    And,
    Call,
    Compare,
    Constant,
    FilterExpr,
    Member,
    Not,
    Operand,
    Or,
    mentions,
    parse_filter,
)
from forms.odata.paging import Paging, next_link, page, parse_paging, parse_skiptoken, skiptoken
from forms.odata.rows import (
    ODataRecord,
    entity_row,
    repeat_row_id,
    repeat_rows,
    submission_row,
    system_fields,
)
from forms.odata.select import Selection, parse_entity_select, parse_expand, parse_select
from forms.odata.tables import (
    MAIN_TABLE,
    ODataPlan,
    ODataTable,
    odata_name,
    plan_odata,
    table_names,
)
from forms.odata.values import iso_instant, odata_value

__all__ = [
    "ENTITY_FILTER_FIELDS",
    "MAIN_TABLE",
    "SUBMISSION_FILTER_FIELDS",
    "And",
    "Call",
    "Compare",
    "Constant",
    "FilterExpr",
    "Member",
    "Not",
    "ODataError",
    "ODataFilterError",
    "ODataPlan",
    "ODataRecord",
    "ODataTable",
    "Operand",
    "Or",
    "Paging",
    "Selection",
    "edmx",
    "entities_edmx",
    "entities_service_document",
    "entity_row",
    "iso_instant",
    "matches",
    "matches_values",
    "mentions",
    "next_link",
    "odata_name",
    "odata_value",
    "page",
    "parse_entity_select",
    "parse_expand",
    "parse_filter",
    "parse_paging",
    "parse_select",
    "parse_skiptoken",
    "plan_odata",
    "record_values",
    "repeat_row_id",
    "repeat_rows",
    "service_document",
    "skiptoken",
    "submission_row",
    "system_fields",
    "table_names",
]
