"""The span tree of one session's records, tree after tree (`group_spans` with the session's
layout): where a ``Send`` branch's node span goes, and how a later tree joins the first."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

from agenttrace._internal.otel_export._layout import SessionLayout, SessionLayouts
from agenttrace._internal.otel_export._span_data import GroupSpans, SpanData, group_spans
from agenttrace._internal.otel_export._tree import Entry
from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage

_START = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def _record(path: str, kind: RecordKind, name: str, branch: str | None, at: int) -> Record:
    start = _START + timedelta(seconds=at)
    return Record(
        kind=kind,
        session_id="s-layout",
        session_path=path,
        name=name,
        branch_id=branch,
        start_time=start,
        end_time=start + timedelta(seconds=1),
    )


def _worker_branch(branch: str, at: int) -> list[Record]:
    """A ``Send`` to the sub-graph ``worker``: its ``agent`` asks, its ``tools`` search."""
    return [
        _record("/worker/agent", RecordKind.LLM, "chat", branch, at),
        _record("/worker/tools/search", RecordKind.TOOL, "search", branch, at + 1),
    ]


def _nodes(made: GroupSpans) -> list[SpanData]:
    return [span for span in made.spans if "agenttrace.record.id" not in span.attributes]


def _sent(layout: SessionLayout, made: GroupSpans) -> None:
    """What the exporter does once the tree was delivered."""
    layout.sent.update(made.nodes)
    layout.anchors.update(made.anchors)


def test_a_branch_of_a_sub_graph_splits_at_the_sub_graphs_node() -> None:
    """Two branches sent to a sub-graph: two ``worker`` spans side by side under the root,
    each with its branch id and its own ``agent`` and ``tools`` spans below."""
    records = [*_worker_branch("b1", 0), *_worker_branch("b2", 0)]
    made = group_spans(records, SessionLayout("s-layout"))
    (root,) = [span for span in made.spans if span.parent_id is None]
    workers = [span for span in _nodes(made) if span.name == "worker"]
    assert sorted(span.attributes["agenttrace.branch_id"] for span in workers) == ["b1", "b2"]
    assert all(span.parent_id == root.span_id for span in workers)
    for worker in workers:
        below = [span for span in _nodes(made) if span.parent_id == worker.span_id]
        assert sorted(span.name for span in below) == ["agent", "tools"]
        assert all("agenttrace.branch_id" not in span.attributes for span in below)


def test_a_branch_of_one_tool_splits_at_its_node() -> None:
    """A ``Send`` to a tool node (a ReAct agent's parallel tool calls): one ``tools`` span
    per call, not one ``search`` span per call under a shared ``tools`` span."""
    records = [
        _record("/tools/search", RecordKind.TOOL, "search", "t1", 0),
        _record("/tools/search", RecordKind.TOOL, "search", "t2", 0),
    ]
    made = group_spans(records, SessionLayout("s-layout"))
    tools = [span for span in _nodes(made) if span.name == "tools"]
    assert sorted(span.attributes["agenttrace.branch_id"] for span in tools) == ["t1", "t2"]


def test_a_later_tree_hangs_under_the_spans_sent_before() -> None:
    """The session's second tree: the same trace, no root and no node span sent again; its
    calls hang under the ids of the first tree's nodes, a new node under its sent parent,
    and a branch's later calls under that branch's span."""
    layout = SessionLayout("s-layout")
    first = group_spans(
        [_record("/agent", RecordKind.LLM, "chat", None, 0), *_worker_branch("b1", 1)], layout
    )
    _sent(layout, first)
    ids = {(span.attributes["agenttrace.path"], span.attributes.get("agenttrace.branch_id")):
           span.span_id for span in _nodes(first)}  # fmt: skip
    second = group_spans(
        [
            _record("/agent", RecordKind.LLM, "chat", None, 10),
            _record("/review", RecordKind.LLM, "chat", None, 11),
            _record("/worker/tools/fetch", RecordKind.TOOL, "fetch", "b1", 12),
        ],
        layout,
    )
    assert second.trace_id == first.trace_id == SessionLayout("s-layout").trace_id
    assert [span.name for span in _nodes(second)] == ["review"]  # the only new node
    (review,) = _nodes(second)
    assert review.parent_id == ids["/", None]
    by_path = {span.attributes["agenttrace.path"]: span for span in second.spans}
    assert by_path["/agent"].parent_id == ids["/agent", None]
    # the branch's node stays where the first tree put it, though this call alone is deeper
    worker_b1 = ids["/worker", "b1"]
    assert by_path["/worker/tools/fetch"].parent_id == layout.span_id(("/worker/tools", "b1"))
    assert ("/worker/tools", "b1") in layout.sent
    assert layout.span_id(("/worker", "b1")) == worker_b1


def test_without_a_layout_every_tree_is_whole() -> None:
    """In a user's tracer provider (no layout): each tree has its root and every node."""
    records = [_record("/agent", RecordKind.LLM, "chat", None, 0)]
    for _ in range(2):
        made = group_spans(records)
        assert made.trace_id is None
        assert [span.name for span in _nodes(made)] == ["session", "agent"]


def test_the_sessions_remembered_are_bounded() -> None:
    """Past the limit the least recently sent session is forgotten (its next tree is whole
    again, with the same ids)."""
    layouts = SessionLayouts(limit=2)
    first = layouts.get("a")
    first.sent.add(("/", None))
    layouts.get("b")
    assert layouts.get("a") is first  # used again: now the most recent
    layouts.get("c")  # forgets b
    assert len(layouts) == 2
    assert layouts.get("a") is first
    again = layouts.get("b")
    assert not again.sent
    assert again.trace_id == SessionLayout("b").trace_id


def test_an_entry_gives_its_records_span_and_leaves_the_garbage_collector_alone() -> None:
    """What the exporter keeps of a record while its session is open (`Entry`): the same
    spans as the record gives, and nothing but the entry itself that Python's garbage
    collector tracks after its first pass (no dicts, lists or models of the record's that
    would age into its oldest generation)."""
    start = _START
    record = Record(
        kind=RecordKind.LLM,
        session_id="s-entry",
        session_name="entry",
        session_path="/agent",
        name="chat",
        model="gpt-x",
        provider="openai",
        properties={"env": "test"},
        start_time=start,
        end_time=start + timedelta(seconds=2),
        status=Status.ERROR,
        error=ErrorInfo(type="RateLimitError", message="slow down"),
        usage=Usage(input_tokens=10, output_tokens=3, cache_read_tokens=2),
        cost_usd=0.25,
        request={"messages": [{"role": "user", "content": "hi"}]},
        response={"text": "hello", "list": [1, 2.5, None]},
    )
    tool = _record("/agent/search", RecordKind.TOOL, "search", "b1", 1)
    entries = [Entry.of(record), Entry.of(tool)]
    gc.collect()
    assert not any(gc.is_tracked(value) for entry in entries for value in entry)

    def without_ids(made: GroupSpans) -> list[tuple[object, ...]]:
        return [
            (s.name, s.client, s.start_ns, s.end_ns, s.attributes, s.exception, s.failed)
            for s in made.spans
        ]

    layout = SessionLayout("s-entry")
    from_records, from_entries = group_spans([record, tool], layout), group_spans(entries, layout)
    assert without_ids(from_records) == without_ids(from_entries)
    assert [s.parent_id for s in from_records.spans[:3]] == [
        s.parent_id for s in from_entries.spans[:3]
    ]
    [llm] = [s for s in from_entries.spans if s.client]
    assert llm.exception == ("RateLimitError", "slow down")
    assert llm.failed
    assert llm.attributes["agenttrace.record.id"] == record.id
    assert llm.attributes["gen_ai.usage.input_tokens"] == 10
    assert llm.attributes["output.value"] == '{"text":"hello","list":[1,2.5,null]}'
    [search] = [s for s in from_entries.spans if s.name == "execute_tool search"]
    assert search.attributes["agenttrace.segment"] == "search"
