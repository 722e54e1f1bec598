"""The example XLSForms: they convert cleanly, speak ky/ru/en throughout, and match their source."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pyxform.xls2xform import ConvertResult, convert

from forms.examples.build import HERE, SOURCES, build, read_sheets, workbook_sheets
from forms.examples.geography import AYIL_AIMAKS, RAYONS

LANGUAGES = {"Kyrgyz (ky)", "Russian (ru)", "English (en)"}
NAMES = [source.name for source in SOURCES]
TRANSLATED_BINDS = ("jr:constraintMsg", "jr:requiredMsg")


@cache
def converted(name: str) -> ConvertResult:
    warnings: list[str] = []
    result = convert(xlsform=str(HERE / f"{name}.xlsx"), validate=False, warnings=warnings)
    assert warnings == []
    return result


def texts(element: dict[str, Any], path: str = "") -> Iterator[tuple[str, Any]]:
    """Every text of pyxform's JSON that a person reads, with where it is."""
    here = f"{path}/{element.get('name', '')}"
    for key in ("label", "hint"):
        if key in element and element.get("type") != "label":
            yield f"{here}:{key}", element[key]
    for key in TRANSLATED_BINDS:
        if key in element.get("bind", {}):
            yield f"{here}:{key}", element["bind"][key]
    for choice_list in element.get("choices", {}).values() if path == "" else []:
        for choice in choice_list:
            yield f"choice {choice['name']}", choice["label"]
    for child in element.get("children", []):
        yield from texts(child, here)


@pytest.mark.parametrize("name", NAMES)
def test_example_converts_with_no_errors_and_no_warnings(name: str) -> None:
    result = converted(name)
    assert f'id="{name}"' in result.xform


@pytest.mark.parametrize("name", NAMES)
def test_every_label_hint_and_message_exists_in_kyrgyz_russian_and_english(name: str) -> None:
    found = list(texts(converted(name)._pyxform or {}))
    assert len(found) > 10
    for where, text in found:
        assert isinstance(text, dict), f"{where} is not translated: {text!r}"
        assert set(text) == LANGUAGES, where
        assert all(value.strip() for value in text.values()), where


@pytest.mark.parametrize("name", NAMES)
def test_kyrgyz_texts_are_kyrgyz_cyrillic_rather_than_russian_copies(name: str) -> None:
    found = [text for _, text in texts(converted(name)._pyxform or {})]
    kyrgyz = " ".join(text["Kyrgyz (ky)"] for text in found)
    assert re.search("[ңөү]", kyrgyz)
    sentences = [t for t in found if " " in t["English (en)"]]
    copied = [t for t in sentences if t["Kyrgyz (ky)"] == t["Russian (ru)"]]
    assert len(copied) <= len(sentences) // 10, copied


@pytest.mark.parametrize("name", NAMES)
def test_example_form_defaults_to_english(name: str) -> None:
    assert (converted(name)._pyxform or {})["default_language"] == "English (en)"


def test_committed_workbooks_are_what_the_builder_writes(tmp_path: Path) -> None:
    assert sorted(p.name for p in build(tmp_path)) == sorted(f"{n}.xlsx" for n in NAMES)
    for name in NAMES:
        assert read_sheets(HERE / f"{name}.xlsx") == read_sheets(tmp_path / f"{name}.xlsx"), name


def test_rebuilding_an_up_to_date_workbook_leaves_the_file_alone(tmp_path: Path) -> None:
    build(tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert build(tmp_path) == []
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_builder_refuses_a_label_given_in_one_language_only() -> None:
    source = SOURCES[0]
    broken = [{"type": "text", "name": "q", "label": "Only English"}]
    with pytest.raises(ValueError, match="needs ky, ru and en"):
        workbook_sheets(type(source)(source.name, source.title, "1", broken, []))


def choices_of(name: str, list_name: str) -> list[dict[str, Any]]:
    choices: list[dict[str, Any]] = (converted(name)._pyxform or {})["choices"][list_name]
    return choices


def test_cascade_lists_every_rayon_and_city_of_the_three_southern_oblasts() -> None:
    rayons = {c["name"]: c["oblast"] for c in choices_of("open_day_consultation", "rayon")}
    assert sorted(n for n, o in rayons.items() if o == "batken") == [
        "batken_city", "batken_rayon", "kadamjay", "kyzyl_kiya", "leylek", "sulukta",
    ]  # fmt: skip
    # Osh oblast has no city of oblast significance: Kara-Suu, Nookat and Uzgen are towns of
    # their rayons, listed one level down.
    assert sorted(n for n, o in rayons.items() if o == "osh") == [
        "alay", "aravan", "chong_alay", "kara_kulja", "kara_suu", "nookat", "uzgen",
    ]  # fmt: skip
    assert sorted(n for n, o in rayons.items() if o == "jalal_abad") == [
        "aksy", "ala_buka", "bazar_korgon", "chatkal", "jalal_abad_city", "kara_kul",
        "mailuu_suu", "nooken", "suzak", "tash_kumyr", "toguz_toro", "toktogul",
    ]  # fmt: skip


def test_cities_of_jalal_abad_oblast_are_named_in_each_language_down_to_their_own_lsg() -> None:
    rayons = {c["name"]: c["label"] for c in choices_of("open_day_consultation", "rayon")}
    assert rayons["jalal_abad_city"] == {
        "Kyrgyz (ky)": "Жалал-Абад шаары",
        "Russian (ru)": "город Джалал-Абад",
        "English (en)": "Jalal-Abad city",
    }
    assert [rayons[n]["English (en)"] for n in ("tash_kumyr", "mailuu_suu", "kara_kul")] == [
        "Tash-Kumyr city", "Mailuu-Suu city", "Kara-Kul city",
    ]  # fmt: skip
    lsgs = choices_of("open_day_consultation", "ayil_aimak")
    city_lsgs = {c["rayon"]: c["label"]["Russian (ru)"] for c in lsgs if c["rayon"] in rayons}
    assert city_lsgs["jalal_abad_city"] == "город Джалал-Абад"
    assert city_lsgs["kara_kul"] == "город Кара-Куль"


def test_osh_city_of_republican_significance_sits_beside_the_oblasts_not_in_osh_oblast() -> None:
    oblasts = [c["name"] for c in choices_of("open_day_consultation", "oblast")]
    assert oblasts == ["batken", "osh", "jalal_abad", "osh_city"]
    rayons = choices_of("open_day_consultation", "rayon")
    assert [c["name"] for c in rayons if c["oblast"] == "osh_city"] == ["osh_city"]
    lsgs = choices_of("open_day_consultation", "ayil_aimak")
    assert [c["label"]["English (en)"] for c in lsgs if c["rayon"] == "osh_city"] == ["Osh city"]


def test_renamed_and_new_towns_show_their_current_names_under_their_old_codes() -> None:
    lsgs = {c["name"]: c for c in choices_of("open_day_consultation", "ayil_aimak")}
    razzakov = lsgs["isfana_town"]
    assert razzakov["rayon"] == "leylek"
    assert razzakov["label"]["Kyrgyz (ky)"] == "Раззаков шаары (мурдагы Исфана)"
    assert razzakov["label"]["Russian (ru)"] == "город Раззаков (бывш. Исфана)"
    assert [lsgs[n]["label"]["Russian (ru)"] for n in ("bazar_korgon_aa", "gulcha")] == [
        "город Базар-Коргон", "город Гульча",
    ]  # fmt: skip


def test_every_rayon_has_local_self_governments_and_border_rayons_several() -> None:
    per_rayon = {name: [a for a, r, _ in AYIL_AIMAKS if r == name] for name, _, _ in RAYONS}
    assert all(per_rayon.values())
    border = ("batken_rayon", "leylek", "kadamjay", "kara_suu", "aravan", "chong_alay", "aksy")
    assert all(len(per_rayon[r]) >= 3 for r in border)


def test_rayon_and_ayil_aimak_questions_are_filtered_by_the_previous_answer() -> None:
    xform = re.sub(r"\s+", "", converted("open_day_consultation").xform)
    assert "instance('rayon')/root/item[oblast=/data/location/oblast]" in xform
    assert "instance('ayil_aimak')/root/item[rayon=/data/location/rayon]" in xform


def test_nap_tasks_are_the_seven_of_the_2018_2020_plan_under_their_goals() -> None:
    tasks = choices_of("local_action_plan_activity", "task")
    assert [(t["goal"], t["label"]["English (en)"][:4]) for t in tasks] == [
        ("goal_1", "1.1."), ("goal_1", "1.2."),
        ("goal_2", "2.1."), ("goal_2", "2.2."), ("goal_2", "2.3."),
        ("goal_3", "3.1."), ("goal_3", "3.2."),
    ]  # fmt: skip
    assert "religious radicalization" in tasks[1]["label"]["English (en)"]


def test_each_activity_entry_creates_an_entity_that_the_update_form_updates() -> None:
    create = converted("local_action_plan_activity").xform
    update = converted("update_lap_activity").xform
    assert '<entity dataset="lap_activities" create="1" id="">' in create
    assert 'nodeset="/data/meta/entity/label" calculate=" /data/activity_name "' in create
    assert '<entity dataset="lap_activities" update="1"' in update
    assert 'calculate=" /data/activity "' in update
    assert 'src="jr://file-csv/lap_activities.csv"' in update
    for prop in ("status", "progress", "budget_spent"):
        assert f'entities:saveto="{prop}"' in create
        assert f'entities:saveto="{prop}"' in update
    assert 'entities:saveto="ayil_aimak"' in create


def survey_fields(name: str) -> Iterator[dict[str, Any]]:
    def walk(element: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for child in element.get("children", []):
            yield child
            yield from walk(child)

    yield from walk(converted(name)._pyxform or {})


def test_incident_report_asks_for_no_names_and_keeps_free_text_to_a_minimum() -> None:
    fields = list(survey_fields("incident_report"))
    assert not [f["name"] for f in fields if "name" in f["name"].lower()]
    free_text = [f["name"] for f in fields if f["type"] == "text"]
    assert free_text == ["incident_type_other", "referral_other", "description"]
    description = next(f for f in fields if f["name"] == "description")
    assert "names" in description["hint"]["English (en)"]
    assert description["bind"]["relevant"] == "${consent_recorded} = 'yes'"


def test_incident_report_is_marked_sensitive_in_its_settings() -> None:
    assert (converted("incident_report")._pyxform or {})["sensitive"] == "yes"
    assert "sensitive" not in (converted("open_day_consultation")._pyxform or {})
