"""``agenttrace metrics``: the table, JSON and CSV of figures per group."""

from __future__ import annotations

import csv
import io
import json

from tests.cli.conftest import Cli


def test_metrics_table_by_model(cli: Cli) -> None:
    """Grouped by model: one line per model with its requests and cost."""
    result = cli("metrics", "--by", "model", "--tz", "UTC")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    claude = next(line for line in lines if "claude-3-5-sonnet" in line)
    assert "$0.55" in claude
    assert " 2 " in claude
    assert any("gpt-4o-mini" in line and "$0.0047" in line for line in lines)


def test_metrics_json_by_day_in_a_zone(cli: Cli) -> None:
    """--output json: day buckets in the asked zone, with the filters applied."""
    result = cli("metrics", "--by", "time", "--bucket", "day", "--tz", "Asia/Tokyo",
                 "--name", "planner", "--output", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [(g["bucket_start"], g["requests"]) for g in body["groups"]] == [
        ("2025-03-01T00:00:00+09:00", 5)
    ]


def test_metrics_csv_has_a_column_per_key(cli: Cli) -> None:
    """--output csv: the group keys become columns beside the figures."""
    result = cli("metrics", "--by", "status,kind", "--output", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    counts = {(row["status"], row["kind"]): int(row["requests"]) for row in rows}
    assert counts[("ok", "tool")] == 3
    assert counts[("error", "llm")] == 1


def test_metrics_bad_group_is_one_line(cli: Cli) -> None:
    """A bad --by names the valid keys in one line, exit code 1."""
    result = cli("metrics", "--by", "colour")
    assert result.exit_code == 1
    assert "property:<key>" in result.output
