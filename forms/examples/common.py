"""Building blocks shared by Kenesh's example XLSForms: the row model and repeated questions."""

from __future__ import annotations

from dataclasses import dataclass, field

# Kyrgyz, Russian, English: the order of every translated tuple in these sources.
LANGUAGES: tuple[str, str, str] = ("Kyrgyz (ky)", "Russian (ru)", "English (en)")
DEFAULT_LANGUAGE = "English (en)"

Text = tuple[str, str, str]
Row = dict[str, "str | Text"]


@dataclass(frozen=True)
class XlsFormSource:
    """One example form as readable rows; build.py turns it into `<name>.xlsx`."""

    name: str
    title: str
    version: str
    survey: list[Row]
    choices: list[Row]
    entities: list[Row] = field(default_factory=list)
    extra_settings: dict[str, str] = field(default_factory=dict)


REQUIRED: Text = (
    "Бул суроого жооп бериңиз.",
    "Пожалуйста, ответьте на этот вопрос.",
    "Please answer this question.",
)
NON_NEGATIVE: Text = (
    "Сан терс боло албайт.",
    "Число не может быть отрицательным.",
    "The number cannot be negative.",
)
NOT_IN_FUTURE: Text = (
    "Күн келечекте боло албайт.",
    "Дата не может быть в будущем.",
    "The date cannot be in the future.",
)
SPECIFY_OTHER: Text = ("Тактап жазыңыз", "Уточните", "Please specify")
OTHER: Text = ("Башка", "Другое", "Other")


def required(row: Row) -> Row:
    """The row, marked required with the shared message in three languages."""
    return {**row, "required": "yes", "required_message": REQUIRED}


def count(name: str, label: Text) -> Row:
    """A required whole-number count of people that cannot be negative."""
    return required(
        {
            "type": "integer",
            "name": name,
            "label": label,
            "constraint": ". >= 0",
            "constraint_message": NON_NEGATIVE,
            "default": "0",
        }
    )


def specify_other(name: str, of: str) -> Row:
    """A required free-text "please specify", shown only when `of` is answered "other"."""
    return required(
        {"type": "text", "name": name, "label": SPECIFY_OTHER, "relevant": f"${{{of}}} = 'other'"}
    )


def choice_list(list_name: str, options: list[tuple[str, Text]]) -> list[Row]:
    """Choice rows of one list from (name, label) pairs."""
    return [{"list_name": list_name, "name": name, "label": label} for name, label in options]


YES_NO: list[Row] = choice_list(
    "yes_no", [("yes", ("Ооба", "Да", "Yes")), ("no", ("Жок", "Нет", "No"))]
)

# Age bands in the NAP monitoring style: the report asks for data by sex and age.
_YOUTH_BANDS: list[tuple[str, Text, Text]] = [
    (
        "14_17",
        ("14–17 жаштагы кыздар", "Девушки 14–17 лет", "Girls aged 14–17"),
        ("14–17 жаштагы уландар", "Юноши 14–17 лет", "Boys aged 14–17"),
    ),
]
_CHILD_BANDS: list[tuple[str, Text, Text]] = [
    (
        "0_17",
        ("0–17 жаштагы кыздар", "Девочки до 18 лет", "Girls aged 0–17"),
        ("0–17 жаштагы эркек балдар", "Мальчики до 18 лет", "Boys aged 0–17"),
    ),
]
_ADULT_BANDS: list[tuple[str, Text, Text]] = [
    (
        "18_29",
        ("18–29 жаштагы аялдар", "Женщины 18–29 лет", "Women aged 18–29"),
        ("18–29 жаштагы эркектер", "Мужчины 18–29 лет", "Men aged 18–29"),
    ),
    (
        "30_59",
        ("30–59 жаштагы аялдар", "Женщины 30–59 лет", "Women aged 30–59"),
        ("30–59 жаштагы эркектер", "Мужчины 30–59 лет", "Men aged 30–59"),
    ),
    (
        "60_plus",
        ("60 жаш жана андан улуу аялдар", "Женщины 60 лет и старше", "Women aged 60 and over"),
        ("60 жаш жана андан улуу эркектер", "Мужчины 60 лет и старше", "Men aged 60 and over"),
    ),
]


def sex_age_counts(first_band: str) -> tuple[list[Row], str]:
    """Count rows by sex and age band, and the XPath sum of them all.

    `first_band` is "14_17" for consultations (participants from 14) or "0_17" for
    incidents (children of any age can be affected).
    """
    youngest = _YOUTH_BANDS if first_band == "14_17" else _CHILD_BANDS
    rows: list[Row] = []
    names: list[str] = []
    for index, (band, female, male) in enumerate(youngest + _ADULT_BANDS):
        female_name = f"{'girls' if index == 0 else 'women'}_{band}"
        male_name = f"{'boys' if index == 0 else 'men'}_{band}"
        rows += [count(female_name, female), count(male_name, male)]
        names += [female_name, male_name]
    return rows, " + ".join(f"${{{name}}}" for name in names)


def location_rows(
    group_label: Text, gps_hint: Text | None = None, save_to: bool = False
) -> list[Row]:
    """The oblast -> rayon -> ayil aimak cascade and an optional GPS point, in a group."""
    places: list[Row] = [
        required({"type": "select_one oblast", "name": "oblast", "label": OBLAST_LABEL}),
        required(
            {
                "type": "select_one rayon",
                "name": "rayon",
                "label": RAYON_LABEL,
                "choice_filter": "oblast = ${oblast}",
            }
        ),
        required(
            {
                "type": "select_one ayil_aimak",
                "name": "ayil_aimak",
                "label": AYIL_AIMAK_LABEL,
                "hint": AYIL_AIMAK_HINT,
                "choice_filter": "rayon = ${rayon}",
            }
        ),
    ]
    if save_to:
        # Entity properties: the server scopes each officer's phone to their ayil aimak.
        places = [{**row, "save_to": str(row["name"])} for row in places]
    return [
        {"type": "begin_group", "name": "location", "label": group_label},
        *places,
        {"type": "geopoint", "name": "gps", "label": GPS_LABEL, "hint": gps_hint or GPS_HINT},
        {"type": "end_group", "name": "location"},
    ]


OBLAST_LABEL: Text = (
    "Облус же республикалык маанидеги шаар",
    "Область или город республиканского значения",
    "Oblast or city of republican significance",
)
RAYON_LABEL: Text = (
    "Район же облустук маанидеги шаар",
    "Район или город областного значения",
    "Rayon or city of oblast significance",
)
AYIL_AIMAK_LABEL: Text = (
    "Айыл аймагы же шаар",
    "Айыльный аймак или город",
    "Ayil aimak or town (local self-government)",
)
AYIL_AIMAK_HINT: Text = (
    "Тизмеде тандалган райондун айыл аймактары гана көрсөтүлөт.",
    "В списке только айыльные аймаки выбранного района.",
    "Only the local self-governments of the chosen rayon are listed.",
)
GPS_LABEL: Text = ("GPS координаттары", "GPS-координаты", "GPS location")
GPS_HINT: Text = (
    "Милдеттүү эмес. Ачык асман астында туруп, тактык 20 метрден аз болгончо күтүңүз.",
    "Необязательно. Выйдите под открытое небо и дождитесь точности лучше 20 м.",
    "Optional. Stand in the open and wait until the accuracy is better than 20 m.",
)
