"""The rules both ends of agenttrace stand on, each written once, in a module named after it.

The client (`agenttrace._internal`), the public door for integrations
(`agenttrace.instrumentation`), the collector (`agenttrace.server`), the query client and
the CLI import from here; nothing here imports any of them. Integrations use the door, not
these modules.

=====================  ===============================================================
module                 rule
=====================  ===============================================================
`ids`                  record and session ids: one kind, UUIDv7
`spans`                spans of time as people write them (``90s``, ``2h``, ``7d``)
`defaults`             the collector's default port, endpoint and data directory
`version`              agenttrace's version
`usage`                a provider's usage payload -> `Usage` (one shape table, one cap)
`outcome`              an exception -> `Status` and `ErrorInfo` (interrupts, handoffs)
`sessions`             session derivation: new ids, inheritance, child paths
`headers`              the Helicone-* header vocabulary, read and written
`langgraph_paths`      the LangGraph node rule: which chain run is a node, its segment
`pricing`              the cost of an LLM call (genai-prices)
`cost`                 `pricing` loaded on the first call that needs a price
`internal_errors`      what tracing does with its own failures
`record_rules`         record kinds, statuses, limits and the path form (no pydantic)
`text_repair`          text no store takes (lone surrogates, NUL) made storable
=====================  ===============================================================

Importing this package imports none of its modules.
"""
