"""What the example agents' tools work with, all local: a small vector store, a real
SQLite database in memory, and an arithmetic evaluator that is safe to give a real model.

The examples wrap these calls with agenttrace's ``ManualLogger`` where they use them, the
way a user wraps their own retrieval code.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DATABASE",
    "DOCUMENTS",
    "STORE",
    "Document",
    "FactsDatabase",
    "VectorStore",
    "cities_in",
    "evaluate",
    "facts_query",
    "findings",
]

DOCUMENTS = {
    "lisbon-1": "Lisbon is the capital of Portugal; about 545,000 people live in the city.",
    "lisbon-2": "Alfama is the oldest district of Lisbon and tram 28 crosses the old town.",
    "porto-1": "Porto is Portugal's second city, on the Douro river, with 232,000 people.",
    "porto-2": "Port wine ages in the cellars of Vila Nova de Gaia, across the river from Porto.",
    "coimbra-1": "Coimbra hosts one of the oldest universities in Europe, founded in 1290.",
    "coimbra-2": "Coimbra, on the Mondego river, has about 140,000 people.",
    "faro-1": "Faro is the gateway to the Algarve beaches and the Ria Formosa lagoon.",
}
CITIES = (
    ("Lisbon", "Portugal", 545_000, "capital"),
    ("Porto", "Portugal", 232_000, "port wine"),
    ("Coimbra", "Portugal", 140_000, "university"),
    ("Faro", "Portugal", 65_000, "beaches"),
)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Document:
    """A stored text and how well it matched the query."""

    id: str
    text: str
    score: float


def _vector(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.lower()))


class VectorStore:
    """Cosine similarity over bag-of-words vectors: a stand-in for an embedding index."""

    def __init__(self, documents: dict[str, str]) -> None:
        self._vectors = {doc_id: (text, _vector(text)) for doc_id, text in documents.items()}

    def search(self, text: str, top_k: int = 2) -> list[Document]:
        """The ``top_k`` documents most similar to ``text``, best first."""
        query = _vector(text)
        query_norm = math.sqrt(sum(v * v for v in query.values())) or 1.0
        scored = []
        for doc_id, (doc_text, vector) in self._vectors.items():
            dot = sum(count * vector[word] for word, count in query.items())
            norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
            scored.append(Document(doc_id, doc_text, round(dot / (norm * query_norm), 4)))
        scored.sort(key=lambda doc: (-doc.score, doc.id))
        return scored[:top_k]


class FactsDatabase:
    """A real SQLite database in memory with one table of cities."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()  # ToolNode runs tools in worker threads
        self._db.execute(
            "CREATE TABLE cities (name TEXT, country TEXT, population INT, known_for TEXT)"
        )
        self._db.executemany("INSERT INTO cities VALUES (?, ?, ?, ?)", CITIES)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of ``sql`` as dicts."""
        with self._lock:
            cursor = self._db.execute(sql, params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


STORE = VectorStore(DOCUMENTS)
DATABASE = FactsDatabase()


def cities_in(text: str) -> list[str]:
    """The known cities named in ``text``, in the order they appear."""
    lowered = text.lower()
    found = [(lowered.find(name.lower()), name) for name, *_ in CITIES]
    return [name for position, name in sorted(found) if position >= 0]


def facts_query(cities: list[str]) -> str:
    """The SQL that selects ``cities`` (one ``?`` placeholder per city)."""
    marks = ", ".join("?" for _ in cities) or "NULL"
    return f"SELECT name, population, known_for FROM cities WHERE name IN ({marks})"


def findings(documents: list[Document], rows: list[dict[str, Any]]) -> str:
    """Documents and database rows as the text a tool returns to the model."""
    lines = [f"- {doc.text}" for doc in documents]
    lines += [
        f"- {row['name']}: population {row['population']}, known for {row['known_for']}"
        for row in rows
    ]
    return "\n".join(lines) or "nothing found"


_OPERATORS: dict[type[ast.AST], Callable[..., float | int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_MAX_EXPONENT = 100


def _value(node: ast.AST) -> float | int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_value(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            msg = f"exponent {right} is too large; keep exponents within {_MAX_EXPONENT}"
            raise ValueError(msg)
        return _OPERATORS[type(node.op)](left, right)
    msg = (
        f"only numbers and + - * / // % ** are allowed, not {ast.unparse(node)!r}; "
        "write an arithmetic expression such as 545000 + 232000"
    )
    raise ValueError(msg)


def evaluate(expression: str) -> str:
    """The value of an arithmetic expression (``"545000 + 232000"`` gives ``"777000"``).

    Only numbers and arithmetic operators are evaluated: never arbitrary code, so it is
    safe to expose to a real model.
    """
    text = expression.strip()
    if text.startswith("print(") and text.endswith(")"):  # models like to print the result
        text = text[len("print(") : -1]
    tree = ast.parse(text.replace(",", ""), mode="eval")  # 545,000 is a number to a model
    value = _value(tree.body)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)
