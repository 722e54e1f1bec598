"""Kenesh's own validation messages in Kyrgyz, Russian and English, and choosing a stored one.

A stored validation outcome (forms.validate.ValidationResult.as_json) gives each issue its
`message` in one language and `messages` in every language of the form; outcomes stored
before `messages` existed have the one `message` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "required": {
        "en": "This field is required.",
        "ru": "Это поле обязательно.",
        "ky": "Бул талаа милдеттүү.",
    },
    "constraint": {
        "en": "This answer does not meet the form's condition.",
        "ru": "Ответ не соответствует условию формы.",
        "ky": "Бул жооп форманын шартына туура келбейт.",
    },
    "unknown_field": {
        "en": "This field is not part of the form.",
        "ru": "Этого поля нет в форме.",
        "ky": "Бул талаа формада жок.",
    },
    "not_in_choices": {
        "en": "“{value}” is not one of the choices.",
        "ru": "«{value}» нет среди вариантов ответа.",
        "ky": "«{value}» жооп варианттарынын арасында жок.",
    },
    "choice_filter": {
        "en": "“{value}” is not among the choices the other answers allow.",
        "ru": "«{value}» нет среди вариантов, допустимых при других ответах.",
        "ky": "«{value}» башка жоопторго ылайык варианттардын арасында жок.",
    },
    "type_error": {
        "en": "Invalid value: expected {expected}.",
        "ru": "Неверное значение: ожидается {expected}.",
        "ky": "Туура эмес маани: {expected} күтүлөт.",
    },
}
EXPECTED: dict[str, dict[str, str]] = {
    "int": {"en": "a whole number", "ru": "целое число", "ky": "бүтүн сан"},
    "decimal": {"en": "a number", "ru": "число", "ky": "сан"},
    "date": {"en": "a date (YYYY-MM-DD)", "ru": "дата (ГГГГ-ММ-ДД)", "ky": "дата (ЖЖЖЖ-АА-КК)"},
    "dateTime": {"en": "a date and time", "ru": "дата и время", "ky": "дата жана убакыт"},
    "time": {"en": "a time of day", "ru": "время", "ky": "убакыт"},
    "geopoint": {"en": "a location", "ru": "координаты", "ky": "координаттар"},
    "geotrace": {"en": "a line", "ru": "линия", "ky": "сызык"},
    "geoshape": {"en": "an area", "ru": "область", "ky": "аянт"},
    "select1": {"en": "one choice", "ru": "один вариант", "ky": "бир вариант"},
    "select": {"en": "a list of choices", "ru": "список вариантов", "ky": "варианттар тизмеси"},
    "repeat": {"en": "a list of entries", "ru": "список записей", "ky": "жазуулар тизмеси"},
    "string": {"en": "text", "ru": "текст", "ky": "текст"},
}


def message(code: str, lang: str, **values: str) -> str:
    """The generic message for `code` in `lang` (English when the language is not known)."""
    if code == "type_error":
        expected = EXPECTED.get(values.get("kind", ""), EXPECTED["string"])
        values = {"expected": expected.get(lang, expected["en"])}
    texts = MESSAGES[code]
    return texts.get(lang, texts["en"]).format(**values)


def issue_message(issue: Mapping[str, Any], lang: str | None) -> str:
    """A stored issue's message in `lang`; else its `message` (the form's default language).

    Issues stored without `messages`, and languages the form does not have, fall back to
    `message`; never to a blank.
    """
    messages = issue.get("messages")
    if lang and isinstance(messages, Mapping):
        text = messages.get(lang)
        if isinstance(text, str) and text:
            return text
    return str(issue.get("message") or "")


def outcome_in(outcome: Mapping[str, Any] | None, lang: str | None) -> Mapping[str, Any] | None:
    """A stored validation outcome whose issues' `message` is in `lang` (see issue_message)."""
    if not lang or not outcome or not outcome.get("issues"):
        return outcome
    issues = [{**issue, "message": issue_message(issue, lang)} for issue in outcome["issues"]]
    return {**outcome, "issues": issues}
