"""Source of `incident_report.xlsx`: a conflict or violence incident, with no names of survivors.

The form is marked `sensitive` in its settings: submissions are encrypted and their
access is restricted. It asks only for counts, types and places; the free-text
description is optional, shown only with consent, and refuses long digit runs
(phone and document numbers).
"""

from __future__ import annotations

from forms.examples.common import (
    NOT_IN_FUTURE,
    OTHER,
    YES_NO,
    Row,
    XlsFormSource,
    choice_list,
    location_rows,
    required,
    sex_age_counts,
    specify_other,
)
from forms.examples.geography import location_choices

_COUNTS, _SUM_OF_COUNTS = sex_age_counts("0_17")

SURVEY: list[Row] = [
    required(
        {
            "type": "select_one incident_type",
            "name": "incident_type",
            "label": ("Окуянын түрү", "Тип инцидента", "Type of incident"),
        }
    ),
    specify_other("incident_type_other", "incident_type"),
    required(
        {
            "type": "date",
            "name": "incident_date",
            "label": ("Окуя болгон күн", "Дата инцидента", "Date of the incident"),
            "constraint": ". <= today()",
            "constraint_message": NOT_IN_FUTURE,
        }
    ),
    *location_rows(
        ("Окуя болгон жер", "Место инцидента", "Place of the incident"),
        gps_hint=(
            "Милдеттүү эмес. Белгилүү бир үйдү же үй-бүлөнү көрсөтсө, координатты жазбаңыз.",
            "Необязательно. Не отмечайте точку, если она указывает на конкретный дом или семью.",
            "Optional. Leave it empty if the point would identify a house or a family.",
        ),
    ),
    {
        "type": "begin_group",
        "name": "affected",
        "label": ("Жабыр тарткандар", "Пострадавшие", "Persons affected"),
        "hint": (
            "Сандарды гана жазыңыз. Аты-жөнүн эч жерде көрсөтпөңүз.",
            "Только числа. Имена нигде не указывайте.",
            "Numbers only. Names are never recorded.",
        ),
    },
    *_COUNTS,
    {"type": "calculate", "name": "affected_total", "calculation": _SUM_OF_COUNTS},
    {"type": "end_group", "name": "affected"},
    required(
        {
            "type": "select_one yes_no",
            "name": "referral_made",
            "label": (
                "Жабыр тарткандар жардам кызматтарына жөнөтүлдүбү?",
                "Были ли пострадавшие направлены в службы помощи?",
                "Were the persons affected referred to services?",
            ),
        }
    ),
    required(
        {
            "type": "select_multiple referral",
            "name": "referral_to",
            "label": ("Кайда жөнөтүлдү?", "Куда направлены?", "Referred to"),
            "hint": (
                "Туура келгендердин баарын белгилеңиз.",
                "Отметьте все подходящие варианты.",
                "Select all that apply.",
            ),
            "relevant": "${referral_made} = 'yes'",
        }
    ),
    {
        **specify_other("referral_other", "referral_to"),
        "relevant": "selected(${referral_to}, 'other')",
    },
    required(
        {
            "type": "select_one yes_no",
            "name": "consent_recorded",
            "label": (
                "Жабыр тарткан адамдын (же анын мыйзамдуу өкүлүнүн) маалымат жазууга "
                "макулдугу алындыбы?",
                "Получено ли согласие пострадавшего (или его законного представителя) на "
                "запись сведений?",
                "Was the consent of the person affected (or their legal guardian) to record "
                "this information obtained?",
            ),
            "hint": (
                "Макулдук жок болсо, окуянын түрүн жана сандарды гана жазып, сүрөттөмөнү "
                "толтурбаңыз.",
                "Если согласия нет, укажите только тип инцидента и числа, описание не заполняйте.",
                "Without consent, record only the type and the counts, and skip the description.",
            ),
        }
    ),
    {
        "type": "text",
        "name": "description",
        "label": (
            "Окуянын кыскача сүрөттөмөсү",
            "Краткое описание инцидента",
            "Short description of the incident",
        ),
        "hint": (
            "Жабыр тарткандарды же күбөлөрдү тааныта турган аты-жөнүн, дарегин, телефон "
            "номерин жана башка маалыматтарды ЖАЗБАҢЫЗ.",
            "НЕ указывайте имена, адреса, номера телефонов и другие сведения, по которым "
            "можно узнать пострадавших или свидетелей.",
            "Do NOT write names, addresses, phone numbers or anything else that could "
            "identify a survivor or a witness.",
        ),
        "relevant": "${consent_recorded} = 'yes'",
        "constraint": "not(regex(., '[0-9]{6,}'))",
        "constraint_message": (
            "Телефон же документ номерлерин өчүрүңүз.",
            "Удалите номера телефонов или документов.",
            "Remove phone or document numbers.",
        ),
        "appearance": "multiline",
    },
]

INCIDENT_TYPES = choice_list(
    "incident_type",
    [
        (
            "cross_border",
            ("Чек арадагы окуя", "Приграничный инцидент", "Cross-border incident"),
        ),
        (
            "violence_against_women",
            (
                "Аялдарга же кыздарга карата зордук-зомбулук",
                "Насилие в отношении женщин или девочек",
                "Violence against women or girls",
            ),
        ),
        (
            "radicalisation",
            (
                "Радикалдашуу же зордук-зомбулук экстремизмине тартуу",
                "Радикализация или вербовка в насильственный экстремизм",
                "Radicalisation or recruitment into violent extremism",
            ),
        ),
        ("water_dispute", ("Суу боюнча талаш", "Спор из-за воды", "Dispute over water")),
        (
            "land_dispute",
            (
                "Жер же жайыт боюнча талаш",
                "Спор из-за земли или пастбищ",
                "Dispute over land or pastures",
            ),
        ),
        ("other", OTHER),
    ],
)

REFERRALS = choice_list(
    "referral",
    [
        ("police", ("Милиция", "Милиция", "Police")),
        ("health", ("Саламаттыкты сактоо мекемеси", "Медицинское учреждение", "Health facility")),
        ("crisis_centre", ("Кризистик борбор", "Кризисный центр", "Crisis centre")),
        (
            "social_protection",
            ("Социалдык коргоо бөлүмү", "Отдел социальной защиты", "Social protection office"),
        ),
        ("legal_aid", ("Юридикалык жардам", "Юридическая помощь", "Legal aid")),
        ("lsg", ("Айыл өкмөтү", "Айыл окмоту", "LSG executive (ayil okmotu)")),
        ("ombudsman", ("Акыйкатчы", "Акыйкатчы (Омбудсмен)", "Ombudsman (Akyikatchy)")),
        ("other", OTHER),
    ],
)

FORM = XlsFormSource(
    name="incident_report",
    title="Incident report",
    version="2026113002",
    survey=SURVEY,
    choices=[*INCIDENT_TYPES, *location_choices(), *REFERRALS, *YES_NO],
    # Read by Kenesh (encryption, access); pyxform ignores unknown settings columns.
    extra_settings={"sensitive": "yes"},
)
