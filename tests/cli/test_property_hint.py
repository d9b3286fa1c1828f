"""A ``--property`` that matches nothing says what the sessions have instead: the keys in
use (the nearest first) or the values the key takes. Against the seeded collector, whose
sessions have only ``env`` (prod twice, dev once)."""

from __future__ import annotations

import json
from typing import Any


def test_a_misspelt_key_names_the_keys_in_use(cli: Any) -> None:
    """``sessions --property evn=dev``: no match, and the line suggests ``env``."""
    result = cli("sessions", "--property", "evn=dev")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "no sessions match",
        "no session has a property 'evn' (did you mean --property env=dev?); keys in use: "
        "env (3 sessions)",
    ]


def test_a_value_no_session_has_names_the_values(cli: Any) -> None:
    """``requests -p env=staging``: the values env takes, the most used first."""
    result = cli("requests", "-p", "env=staging")
    assert result.stdout.splitlines() == [
        "no requests match",
        "no session has env=staging; env is one of: prod (2 sessions), dev (1 session)",
    ]


def test_no_hint_when_the_property_exists_or_for_machines(cli: Any) -> None:
    """A pair that exists (other filters emptied the page) gets no hint; nor does JSON."""
    assert cli("sessions", "-p", "env=dev", "--status", "ok").stdout == "no sessions match\n"
    answer = json.loads(cli("sessions", "-p", "evn=dev", "--output", "json").stdout)
    assert answer["sessions"] == []
