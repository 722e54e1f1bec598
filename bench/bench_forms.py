"""Converting and storing a 500-question XLSForm; parsing and validating one submission.

Prints greppable lines: forms.convert / forms.store (per backend) / forms.parse_validate.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")

from forms.convert import convert_definition  # noqa: E402
from tests.backends import create_database, postgres_reachable  # noqa: E402

QUESTIONS = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("integer", "text", "select_one yn", "decimal", "date")


def big_workbook(questions: int = QUESTIONS) -> bytes:
    """An .xlsx with `questions` questions in ky/ru/en, in groups of 25, with constraints."""
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(
        [
            "type",
            "name",
            "label::Kyrgyz (ky)",
            "label::Russian (ru)",
            "label::English (en)",
            "constraint",
            "relevant",
        ]
    )
    for n in range(questions):
        if n % 25 == 0:
            survey.append(
                [
                    "begin_group",
                    f"g{n // 25}",
                    f"Бөлүм {n // 25}",
                    f"Раздел {n // 25}",
                    f"Section {n // 25}",
                    "",
                    "",
                ]
            )
        kind = KINDS[n % len(KINDS)]
        constraint = ". >= 0" if kind == "integer" else ""
        relevant = f"${{q{n - 1}}} != ''" if n % 7 == 3 else ""
        survey.append(
            [kind, f"q{n}", f"Суроо {n}", f"Вопрос {n}", f"Question {n}", constraint, relevant]
        )
        if n % 25 == 24:
            survey.append(["end_group", "", "", "", "", "", ""])
    choices = book.create_sheet("choices")
    choices.append(
        ["list_name", "name", "label::Kyrgyz (ky)", "label::Russian (ru)", "label::English (en)"]
    )
    choices.append(["yn", "yes", "Ооба", "Да", "Yes"])
    choices.append(["yn", "no", "Жок", "Нет", "No"])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title"])
    settings.append(["big_form", "1", "Big form"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def time_convert(content: bytes, rounds: int = 5) -> None:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        converted = convert_definition(content, "big_form.xlsx")
        times.append(time.perf_counter() - started)
    fields = sum(1 for f in converted.schema.walk() if not f.is_group)
    print(
        f"forms.convert questions={QUESTIONS} fields={fields} median_ms={statistics.median(times) * 1000:.0f}"
    )


def time_store(content: bytes, backend: str, rounds: int = 5) -> None:
    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.db import make_engine
    from server.migrate import upgrade
    from server.settings import Settings
    from tests.factories import headers_for, make_project, make_user

    with tempfile.TemporaryDirectory() as tmp:
        db = create_database(backend, Path(tmp))
        engine = make_engine(db.url)
        upgrade(engine)
        settings = Settings(
            database_url=db.url,
            secret_key="bench" * 10,
            data_dir=Path(tmp) / "data",
            log_level="WARNING",
        )
        app = create_app(settings, engine=engine)
        project = make_project(engine)
        headers = {
            **headers_for(app, make_user(engine, "m@bench.kg", admin=True)),
            "Content-Type": XLSX,
        }
        times = []
        with TestClient(app) as client:
            for _ in range(rounds):
                started = time.perf_counter()
                response = client.post(
                    f"/v1/projects/{project}/forms",
                    content=content,
                    headers=headers,
                    params={"publish": "true", "ignoreWarnings": "true"},
                )
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
                client.delete(f"/v1/projects/{project}/forms/big_form", headers=headers)
        engine.dispose()
        db.drop()
    print(
        f"forms.store backend={backend} questions={QUESTIONS} median_ms={statistics.median(times) * 1000:.0f} "
        "(HTTP upload: convert, store XForm, schema and workbook, publish)"
    )


def main() -> None:
    content = big_workbook()
    time_convert(content)
    time_store(content, "sqlite")
    if postgres_reachable() is None:
        time_store(content, "postgresql")


if __name__ == "__main__":
    main()
