"""OData request errors, coded as ODK Central codes them (400.18, 501.4, 501.5, ...)."""

from __future__ import annotations


class ODataError(Exception):
    """A request the OData layer refuses; `code` is Central's problem code, e.g. "400.23"."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)

    @property
    def status(self) -> int:
        """The HTTP status the code stands for (the part before the dot)."""
        return int(self.code.split(".")[0])


class ODataFilterError(ODataError):
    """A $filter expression that cannot be parsed or uses what Kenesh does not support."""

    def __init__(self, message: str, code: str = "400.18") -> None:
        super().__init__(code, message)


def unparseable(reason: str) -> ODataFilterError:
    """Central's 400.18: the expression is not OData."""
    return ODataFilterError(
        f"The OData filter expression you provided could not be parsed: {reason}", "400.18"
    )


def unsupported_expression(kind: str, at: int, text: str) -> ODataFilterError:
    """Central's 501.4: valid OData, but a feature the server does not implement."""
    return ODataFilterError(
        "The given OData filter expression uses features not supported by this server: "
        f'{kind} at {at} ("{text}")',
        "501.4",
    )


def unsupported_field(text: str, at: int) -> ODataFilterError:
    """Central's 501.5: the expression names a field that cannot be filtered on."""
    return ODataFilterError(
        "The given OData filter expression references fields not supported by this server: "
        f"{text} at {at}",
        "501.5",
    )


def property_not_found(name: str) -> ODataError:
    """Central's 400.23: $select names a property the table does not have."""
    return ODataError("400.23", f"Could not find a property named '{name}'")


def unsupported_select(name: str) -> ODataError:
    """Central's 400.24: $select reaches into a repeat from an outer table."""
    return ODataError(
        "400.24", f"The given OData select property '{name}' uses features not supported by "
        "this server."
    )


def invalid_skiptoken() -> ODataError:
    """Central's 400.35: a $skiptoken Kenesh did not write."""
    return ODataError("400.35", "Invalid $skiptoken")
