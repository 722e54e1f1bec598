"""The consultation form of the export tests: three versions, labelled in Kyrgyz, Russian and
English, with a group and nested repeats.

Version 1 asks for a phone; 2 drops it; 3 adds a district and drops the colour green. Some
labels are missing on purpose, as the tests read the fallbacks: the location, the inner repeat
and its question are labelled in English only; the score and the colour blue have no Kyrgyz.
"""

from __future__ import annotations

LANGS = "label::Kyrgyz (ky) | label::Russian (ru) | label::English (en)"
VERSIONS = {
    "1": dict(phone=True, district=False, green=True),
    "2": dict(phone=False, district=False, green=True),
    "3": dict(phone=False, district=True, green=False),
}


def consult_md(version: str) -> bytes:
    """The markdown XLSForm of `version` ("1", "2" or "3"), form_id `consult`."""
    changes = VERSIONS[version]
    phone_row = "| | text | phone | Телефон | Телефон | Phone |\n" if changes["phone"] else ""
    district_row = (
        "| | select_one district | district | Район | Район | District |\n"
        if changes["district"] else ""
    )
    green_row = "| | col | green | жашыл | зелёный | Green |\n" if changes["green"] else ""
    return f"""
| survey |
| | type | name | {LANGS} |
| | integer | age | Жашы | Возраст | Age |
| | begin group | grp | Топ | Группа | Group |
| | text | name | Аты | Имя | Name |
| | end group | | | | |
{phone_row}| | select_multiple col | colors | Түстөр | Цвета | Colors |
{district_row}| | geopoint | loc | | | Location |
| | date | visited | Келген күнү | Дата визита | Visit date |
| | decimal | score | | Балл | Score |
| | begin repeat | rep | Катышуучу | Участник | Participant |
| | integer | q | Суроо | Вопрос | Question |
| | begin repeat | inner | | | Inner |
| | text | t | | | Thing |
| | end repeat | | | | |
| | end repeat | | | | |

| choices |
| | list_name | name | {LANGS} |
| | col | red | кызыл | красный | Red |
| | col | blue | | синий | Blue |
{green_row}| | district | osh | Ош | Ош | Osh |
| | district | nookat | Ноокат | Ноокат | Nookat |

| settings |
| | form_id | version | default_language |
| | consult | {version} | Russian (ru) |
""".encode()
