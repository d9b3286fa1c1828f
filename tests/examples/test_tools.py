"""examples/agents/_tools.py: the local vector store, database and safe arithmetic."""

from __future__ import annotations

import pytest
from _tools import DATABASE, STORE, cities_in, evaluate, facts_query, findings


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("545000 + 232000", "777000"),
        ("545,000 + 232,000", "777000"),
        ("print(2 ** 10)", "1024"),
        ("(10 - 4) / 4", "1.5"),
        ("9 / 3", "3"),
        ("-7 // 2 % 5", "1"),
    ],
)
def test_evaluate_arithmetic(expression: str, value: str) -> None:
    """Numbers and arithmetic operators are evaluated; whole floats print as integers."""
    assert evaluate(expression) == value


@pytest.mark.parametrize(
    "expression", ["__import__('os').system('true')", "open('/etc/passwd')", "x + 1", "[1] * 3"]
)
def test_evaluate_refuses_anything_but_arithmetic(expression: str) -> None:
    """Names, calls and containers are refused with a sentence saying what is allowed."""
    with pytest.raises(ValueError, match=r"only numbers and \+ - \* / // % \*\* are allowed"):
        evaluate(expression)


def test_evaluate_refuses_huge_exponents() -> None:
    """An exponent that would take the process down is refused."""
    with pytest.raises(ValueError, match="exponent 100000 is too large"):
        evaluate("9 ** 100000")


def test_vector_store_ranks_by_similarity() -> None:
    """The documents sharing most words with the query come first."""
    ranked = STORE.search("port wine cellars in Gaia", top_k=3)
    assert ranked[0].id == "porto-2"
    assert ranked[0].score > ranked[1].score >= ranked[2].score


def test_database_lookup_of_the_cities_named() -> None:
    """Cities are found in the order named and looked up with placeholders."""
    cities = cities_in("Is Porto bigger than Lisbon? And Madrid?")
    assert cities == ["Porto", "Lisbon"]
    rows = DATABASE.query(facts_query(cities), tuple(cities))
    assert sorted((row["name"], row["population"]) for row in rows) == [
        ("Lisbon", 545000),
        ("Porto", 232000),
    ]
    assert DATABASE.query(facts_query([]), ()) == []
    assert findings([], []) == "nothing found"
