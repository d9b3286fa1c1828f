"""A small research agent traced with ManualLogger only (no LangChain), offline by default.

It plans with an LLM, searches a vector store, looks facts up in a database (one lookup
fails and is retried), and writes an answer with the LLM. Every step is logged with
Helicone's helper vocabulary, so the same code works with ``helicone_helpers``:

    python examples/agents/manual_research.py           # needs a collector: agenttrace serve

The "LLM" is a deterministic fake that answers in OpenAI's response shape (with usage), so
costs are real prices for ``gpt-4o-mini`` applied to made-up token counts.
"""

from __future__ import annotations

import random
import time
from typing import Any

import agenttrace
from agenttrace import ManualLogger

MODEL = "gpt-4o-mini"

DOCUMENTS = {
    "lisbon": ["Alfama is the oldest district.", "Tram 28 crosses the old town."],
    "porto": ["The Douro river runs through Porto.", "Port wine cellars are in Gaia."],
}
FACTS = {"lisbon": {"population": 545_000}, "porto": {"population": 232_000}}


class FlakyDatabaseError(ConnectionError):
    """The fake database drops the first connection."""


def fake_chat(messages: list[dict[str, str]], rng: random.Random) -> dict[str, Any]:
    """An OpenAI-shaped chat completion, computed locally."""
    prompt_tokens = sum(len(m["content"].split()) * 4 for m in messages) + 20
    completion_tokens = rng.randint(40, 120)
    time.sleep(completion_tokens / 4000)  # a model takes time proportional to its output
    return {
        "id": f"chatcmpl-{rng.randrange(10**8)}",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": f"({completion_tokens} tokens)"},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def run(city: str = "lisbon", *, seed: int = 7, session_name: str = "city-research") -> str:
    """Run the agent once in its own session and return the session id."""
    rng = random.Random(seed)
    logger = ManualLogger()
    with agenttrace.session(
        name=session_name, properties={"city": city, "env": "demo"}, user_id="demo-user"
    ) as session:
        plan_request = {
            "model": MODEL,
            "messages": [{"role": "user", "content": f"Plan a short guide to {city}."}],
        }

        def plan(recorder: Any) -> dict[str, Any]:
            completion = fake_chat(plan_request["messages"], rng)
            recorder.append_results(completion)
            return completion

        logger.log_request(plan_request, plan, {"Helicone-Session-Path": "/planner"}, "openai")

        def search(recorder: Any) -> list[str]:
            docs = DOCUMENTS.get(city, [])
            time.sleep(0.005)
            recorder.append_results({"documents": docs, "count": len(docs)})
            return docs

        docs = logger.log_request(
            {"_type": "vector_db", "operation": "search", "text": city, "topK": 2},
            search,
            {"Helicone-Session-Path": "/research/search"},
        )

        attempts = {"n": 0}

        def lookup(recorder: Any) -> dict[str, int]:
            attempts["n"] += 1
            time.sleep(0.003)
            if attempts["n"] == 1:
                raise FlakyDatabaseError("connection reset by the fake database")
            facts = FACTS[city]
            recorder.append_results(facts)
            return facts

        request = {"_type": "tool", "toolName": "facts_db", "input": {"city": city}}
        headers = {"Helicone-Session-Path": "/research/facts_db"}
        try:
            facts = logger.log_request(request, lookup, headers)
        except FlakyDatabaseError:
            facts = logger.log_request(request, lookup, headers)  # retried once

        write_request = {
            "model": MODEL,
            "messages": [
                {"role": "system", "content": "Write a guide from the notes."},
                {"role": "user", "content": f"{docs} {facts}"},
            ],
        }

        def write(recorder: Any) -> dict[str, Any]:
            completion = fake_chat(write_request["messages"], rng)
            recorder.append_results(completion)
            return completion

        logger.log_request(write_request, write, {"Helicone-Session-Path": "/writer"}, "openai")
        return session.id


if __name__ == "__main__":
    for name in DOCUMENTS:
        print(f"{name}: session {run(name)}")
    agenttrace.flush(10)
