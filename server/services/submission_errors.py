"""The error catalogue entries of receiving submissions (OpenRosa and REST)."""

from __future__ import annotations

from server import errors

SUBMISSION_UNPARSEABLE = errors.register(
    "submission.unparseable", 400, "The submission XML could not be read."
)
SUBMISSION_NO_FORM_ID = errors.register(
    "submission.no_form_id", 400, "The submission's root element has no id attribute."
)
SUBMISSION_NO_INSTANCE_ID = errors.register(
    "submission.no_instance_id", 400, "The submission has no meta/instanceID."
)
SUBMISSION_XML_CONFLICT = errors.register(
    "submission.xml_conflict",
    409,
    "A submission already exists with this instanceID and different XML.",
)
SUBMISSION_EXISTS = errors.register(
    "submission.exists", 409, "A submission already exists with this instanceID."
)
SUBMISSION_DELETED = errors.register(
    "submission.deleted", 409, "This submission was deleted; it cannot be sent again."
)
SUBMISSION_OUTDATED_EDIT = errors.register(
    "submission.outdated_edit",
    409,
    "The edit was made on an outdated copy: deprecatedID is not the current version.",
)
FORM_NOT_ACCEPTING = errors.register(
    "form.not_accepting_submissions", 409, "This form is closed and does not accept submissions."
)
FORM_ID_MISMATCH = errors.register(
    "submission.form_id_mismatch",
    400,
    "The submission's form id does not match the form in the URL.",
)
MISSING_DEPRECATED_ID = errors.register(
    "submission.missing_deprecated_id", 400, "An edit must carry meta/deprecatedID."
)
