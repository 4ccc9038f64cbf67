"""Weekly review, follow-ups and stats: derived durations, ISO weeks, SLAs, quiet weeks, no clobbering."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from opsbook.features.review import build_review, review_json
from opsbook.features.rows import incident_rows
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.support.periods import IsoWeek, percentile
from tests.kbfactory import incident, make_kb, write

ON = dt.date(2026, 11, 25)


def spans(tmp_path: Path, **changes: object) -> dict[str, dt.timedelta | None]:
    """The response times the index derives for one incident."""
    kb = make_kb(tmp_path, incidents=[incident(**changes)])
    with KnowledgeIndex.open(kb) as index:
        [row] = incident_rows(index)
    return row.durations


def test_durations_are_derived_from_timestamps(tmp_path: Path) -> None:
    found = spans(tmp_path)
    assert {name: value.total_seconds() / 60 for name, value in found.items() if value} == {
        "TTD": 20,
        "TTA": 5,
        "TTM": 60,
        "TTR": 120,
    }


def test_missing_and_out_of_order_timestamps_give_no_duration(tmp_path: Path) -> None:
    stamps = incident()["timestamps"]
    del stamps["acknowledged"], stamps["resolved"]
    stamps["detected"] = "2026-11-17T09:00:00Z"
    found = spans(tmp_path, timestamps=stamps, status="in_review")
    assert found["TTA"] is None and found["TTR"] is None and found["TTD"] is None
    assert found["TTM"] == dt.timedelta(hours=1)


def test_durations_compare_instants_across_offsets(tmp_path: Path) -> None:
    stamps = incident()["timestamps"]
    stamps["detected"] = "2026-11-17T11:20:00+01:00"
    assert spans(tmp_path, timestamps=stamps)["TTD"] == dt.timedelta(minutes=20)


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (dt.date(2026, 12, 31), "2026-W53"),
        (dt.date(2027, 1, 3), "2026-W53"),
        (dt.date(2027, 1, 4), "2027-W01"),
        (dt.date(2024, 12, 30), "2025-W01"),
        (dt.date(2026, 11, 25), "2026-W48"),
    ],
)
def test_iso_weeks_across_year_boundaries(day: dt.date, week: str) -> None:
    assert str(IsoWeek.of(day)) == week
    parsed = IsoWeek.parse(week)
    assert parsed.start <= day <= parsed.end and parsed.start.weekday() == 0


def test_last_complete_week_and_bad_weeks() -> None:
    assert str(IsoWeek.last_complete(dt.date(2027, 1, 4))) == "2026-W53"
    assert str(IsoWeek.last_complete(ON)) == "2026-W47"
    with pytest.raises(ValueError, match="no ISO week 53"):
        IsoWeek.parse("2025-W53")
    with pytest.raises(ValueError):
        IsoWeek.parse("2026-47")


def test_percentiles_interpolate() -> None:
    assert percentile([], 0.5) is None
    assert percentile([10.0], 0.9) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == pytest.approx(9.1)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    items = [
        {
            "id": "late-p0",
            "title": "t",
            "type": "prevent",
            "owner": "payments",
            "priority": "P0",
            "due": "2026-11-20",
        },
        {
            "id": "sla-p1",
            "title": "t",
            "type": "detect",
            "owner": "platform",
            "priority": "P1",
            "opened": "2026-10-01",
        },
        {
            "id": "done",
            "title": "t",
            "type": "add-p0-test",
            "owner": "qa",
            "priority": "P1",
            "due": "2026-11-30",
            "status": "done",
            "closed": "2026-11-18",
        },
    ]
    return make_kb(
        tmp_path,
        incidents=[
            incident(action_items=items, workflows=[]),
            incident(
                "2026-09-01-old",
                timestamps={"started": "2026-09-01T10:00:00Z", "resolved": "2026-09-01T12:00:00Z"},
                action_items=[],
            ),
        ],
    )


def test_review_of_a_busy_week(kb: Path) -> None:
    review = build_review(KnowledgeIndex.open(kb), IsoWeek.parse("2026-W47"), today=ON)
    assert not review.quiet and [v.incident.id for v in review.incidents] == ["2026-11-17-webhook-secret"]
    assert review.count_by("class") == {"auth-drift": 1} and review.count_by("severity") == {"SEV2": 1}
    assert [f.id for f in review.closed] == ["done"]
    overdue = {owner: [f.id for f in items] for owner, items in review.overdue_by_owner.items()}
    assert overdue == {"payments": ["late-p0"], "platform": ["sla-p1"]}
    assert review.trend["last 4 weeks"]["count"] == 1 and review.trend["last 12 weeks"]["count"] == 2
    assert review.trend["this week"]["TTR"]["median_minutes"] == 120.0


def test_review_is_computed_as_of_the_week_end(kb: Path) -> None:
    review = build_review(KnowledgeIndex.open(kb), IsoWeek.parse("2026-W46"), today=ON)
    assert review.as_of == dt.date(2026, 11, 15)
    assert "late-p0" not in [f.id for items in review.overdue_by_owner.values() for f in items]


def test_quiet_week(kb: Path, cli) -> None:
    result = cli("review", "--week", "2026-W38", cwd=kb)
    text = (kb / "docs/reviews/2026-W38.md").read_text()
    assert result.exit_code == 0 and "quiet week" in result.output
    assert "## Quiet week" in text and "## Incidents this week" not in text and "| Incident |" not in text


def test_review_document_has_agenda_and_blank_decisions(kb: Path, cli) -> None:
    assert cli("review", "--week", "2026-W47", cwd=kb).exit_code == 0
    text = (kb / "docs/reviews/2026-W47.md").read_text()
    for heading in ("### Build", "### Growth", "### QA", "## Decisions", "## Overdue action items by owner"):
        assert heading in text
    assert "[2026-11-17-webhook-secret](../incidents/2026/2026-11-17-webhook-secret.md)" in text


def test_review_never_overwrites_without_force(kb: Path, cli) -> None:
    target = kb / "docs/reviews/2026-W47.md"
    write(target, "# notes taken in the meeting\n")
    result = cli("review", "--week", "2026-W47", cwd=kb)
    assert result.exit_code == 1 and target.read_text() == "# notes taken in the meeting\n"
    assert cli("review", "--week", "2026-W47", "--force", cwd=kb).exit_code == 0
    assert "Weekly incident review 2026-W47" in target.read_text()


def test_default_week_is_the_last_complete_one(kb: Path, cli) -> None:
    assert cli("review", cwd=kb).exit_code == 0
    assert (kb / "docs/reviews/2026-W47.md").exists()


def test_review_json_shape(kb: Path, cli) -> None:
    data = json.loads(cli("review", "--week", "2026-W47", "--format", "json", cwd=kb).output)
    assert {
        "week",
        "start",
        "end",
        "as_of",
        "quiet",
        "incidents",
        "by_class",
        "by_severity",
        "trend",
        "action_items",
        "runbook_feedback",
        "stale_runbooks",
        "fallback_drills_due",
        "workflows_touched",
    } <= set(data)
    assert data["incidents"][0]["durations_minutes"]["TTR"] == 120.0
    assert review_json(build_review(KnowledgeIndex.open(kb), IsoWeek.parse("2026-W47"), today=ON)) == data


def test_bad_week_is_a_usage_error(kb: Path, cli) -> None:
    assert cli("review", "--week", "2026-W99", cwd=kb).exit_code == 2


def test_actions_lists_overdue_first_and_filters(kb: Path, cli) -> None:
    items = json.loads(cli("actions", "--format", "json", cwd=kb).output)
    assert [i["id"] for i in items] == ["sla-p1", "late-p0"] and all(i["overdue"] for i in items)
    assert items[0]["deadline"] == "2026-10-31" and items[0]["deadline_from"] == "sla"
    owned = json.loads(cli("actions", "--owner", "payments", "--format", "json", cwd=kb).output)
    assert [i["id"] for i in owned] == ["late-p0"]
    everything = json.loads(cli("actions", "--all", "--format", "json", cwd=kb).output)
    assert len(everything) == 3


def test_stats_by_class_severity_and_month(kb: Path, cli) -> None:
    data = json.loads(cli("stats", "--format", "json", cwd=kb).output)
    assert data["incidents"]["by_class"]["auth-drift"]["count"] == 2
    assert set(data["incidents"]["by_month"]) == {"2026-09", "2026-11"}
    assert data["action_items"] == {"open": 2, "overdue": 2, "done": 1, "not_doing": 0}


def test_duplicates_are_left_out_of_stats(kb: Path, cli) -> None:
    write(
        kb / "incidents/2026/2026-11-18-dupe.yaml",
        incident("2026-11-18-dupe", duplicate_of="2026-11-17-webhook-secret"),
    )
    data = json.loads(cli("stats", "--format", "json", cwd=kb).output)
    assert data["incidents"]["total"] == 3 and data["incidents"]["in_metrics"] == 2
