"""Parse and validate one open_day_consultation submission; print median microseconds."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forms.convert import convert_definition  # noqa: E402
from forms.validate import validate_submission  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "forms" / "examples" / "open_day_consultation.xlsx"
ROUNDS = 2000
COUNTS = {"girls_14_17": 3, "boys_14_17": 2, "women_18_29": 5, "men_18_29": 4}
COUNTS |= {"women_30_59": 6, "men_30_59": 5, "women_60_plus": 2, "men_60_plus": 1}


def submission() -> dict[str, Any]:
    """A complete, valid consultation report with three recommendations."""
    doc: dict[str, Any] = {
        "/data/consultation_date": "2024-04-20",
        "/data/location/oblast": "batken",
        "/data/location/rayon": "batken_rayon",
        "/data/location/ayil_aimak": "ak_say",
        "/data/location/gps": [40.06, 70.82, 1020.0, 4.5],
        "/data/organiser": "ngo",
        "/data/participants/counted_total": str(sum(COUNTS.values())),
        "/data/participants/participants_total": sum(COUNTS.values()),
        "/data/participants/participants_with_disabilities": 2,
        "/data/topics": ["radicalisation", "inter_ethnic", "cross_border"],
        "/data/recommendation": [
            {
                "/data/recommendation/text": f"Recommendation {n}",
                "/data/recommendation/addressee": "lsg",
            }
            for n in range(3)
        ],
        "/data/photo_1": "1714550400000.jpg",
    }
    doc |= {f"/data/participants/{band}": count for band, count in COUNTS.items()}
    return doc


def median_us(step: Any) -> float:
    for _ in range(50):  # warm the expression cache
        step()
    timings = []
    for _ in range(ROUNDS):
        start = time.perf_counter_ns()
        step()
        timings.append(time.perf_counter_ns() - start)
    return statistics.median(timings) / 1000


def main() -> None:
    schema = convert_definition(EXAMPLE.read_bytes(), EXAMPLE.name).schema
    doc = submission()
    assert validate_submission(schema, doc).valid, validate_submission(schema, doc)
    fields = sum(1 for _ in schema.walk())
    print(f"open_day_consultation: {fields} fields, 3 recommendations")
    print(f"validate: median {median_us(lambda: validate_submission(schema, doc)):.0f} µs")
    try:
        from forms.instance import instance_to_document, parse_instance
        from forms.instance_xml import document_to_instance_xml
    except ImportError:
        print("parse + validate: skipped (forms.instance not available)")
        return
    xml = document_to_instance_xml(doc, schema, instance_id="uuid:bench")

    def parse_and_validate() -> None:
        parsed = instance_to_document(parse_instance(xml), schema)
        validate_submission(schema, parsed)

    assert validate_submission(schema, instance_to_document(parse_instance(xml), schema)).valid
    print(f"parse + validate: median {median_us(parse_and_validate):.0f} µs")


if __name__ == "__main__":
    main()
