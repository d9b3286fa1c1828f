"""The public surface: exported names, the agenttrace.langchain door, handler flags."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import sys

import pytest
from langchain_core.callbacks import AsyncCallbackHandler as LangChainAsyncHandler
from langchain_core.callbacks import BaseCallbackHandler

import agenttrace_langchain
from agenttrace_langchain import AsyncCallbackHandler, CallbackHandler
from agenttrace_langchain.base import HandlerBase


def test_all_lists_exactly_the_public_names() -> None:
    """__all__ names every public attribute of the package, once (ruff keeps it sorted)."""
    public = {
        name
        for name, value in vars(agenttrace_langchain).items()
        if not name.startswith("_") and not isinstance(value, type(sys)) and name != "annotations"
    }
    assert len(set(agenttrace_langchain.__all__)) == len(agenttrace_langchain.__all__)
    assert set(agenttrace_langchain.__all__) == public | {"__version__"}


def test_version_is_the_distributions() -> None:
    """``agenttrace_langchain.__version__`` is the installed distribution's version."""
    assert agenttrace_langchain.__version__ == importlib.metadata.version("agenttrace-langchain")


def test_agenttrace_langchain_door() -> None:
    """``from agenttrace.langchain import ...`` gives the same classes."""
    from agenttrace.langchain import AsyncCallbackHandler as Async
    from agenttrace.langchain import CallbackHandler as Sync

    assert (Sync, Async) == (CallbackHandler, AsyncCallbackHandler)


def test_missing_integration_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the integration installed, the import error says which pip command fixes it."""
    monkeypatch.setitem(sys.modules, "agenttrace_langchain", None)
    monkeypatch.delitem(sys.modules, "agenttrace.langchain", raising=False)
    with pytest.raises(ImportError, match=r'pip install "agenttrace\[langchain\]"'):
        importlib.import_module("agenttrace.langchain")


def test_handler_flags() -> None:
    """Both handlers are LangChain handlers that run inline and surface bugs under tests."""
    sync, async_ = CallbackHandler(), AsyncCallbackHandler()
    assert isinstance(sync, BaseCallbackHandler)
    assert isinstance(async_, LangChainAsyncHandler)
    for handler in (sync, async_):
        assert handler.run_inline
        assert handler.raise_error
        assert not handler.ignore_chain
        assert not handler.ignore_llm
        assert not handler.ignore_agent  # tool callbacks are gated by ignore_agent
    assert "session_id='s'" in repr(CallbackHandler("s"))


def test_every_callback_is_sync_in_one_handler_and_a_coroutine_in_the_other() -> None:
    """The sync handler's callbacks are the shared guarded ones; the async handler wraps
    every one of them in a coroutine (none of the sync ones leaks into it)."""
    callbacks = [name for name in dir(CallbackHandler) if name.startswith("on_")]
    shared = {name.removeprefix("_") for name in dir(HandlerBase) if name.startswith("_on_")}
    assert shared <= set(callbacks)
    for name in callbacks:
        assert not inspect.iscoroutinefunction(getattr(CallbackHandler, name)), name
        assert inspect.iscoroutinefunction(getattr(AsyncCallbackHandler, name)), name
    for name in shared:
        assert getattr(CallbackHandler, name) is getattr(HandlerBase, f"_{name}")


def test_raise_error_is_off_outside_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside tests a broken callback is logged by LangChain, never raised into the run."""
    monkeypatch.setenv("AGENTTRACE_RAISE_INTERNAL_ERRORS", "0")
    assert not CallbackHandler().raise_error


def test_an_agenttrace_without_the_door_is_named_in_the_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With an agenttrace older than the door (0.1), the import says what to install."""
    monkeypatch.setitem(sys.modules, "agenttrace.instrumentation", None)
    monkeypatch.delitem(sys.modules, "agenttrace_langchain._door", raising=False)
    with pytest.raises(ImportError, match=r"needs agenttrace 0\.4 or newer.*pip install -U"):
        importlib.import_module("agenttrace_langchain._door")


def test_an_older_door_is_named_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A door older than the one this integration is written against is refused by name."""
    import agenttrace.instrumentation

    monkeypatch.setattr(agenttrace.instrumentation, "VERSION", "0.3.9")
    monkeypatch.setattr(agenttrace.instrumentation, "VERSION_INFO", (0, 3, 9))
    monkeypatch.delitem(sys.modules, "agenttrace_langchain._door", raising=False)
    with pytest.raises(ImportError, match=r"needs agenttrace 0\.4 or newer, found 0\.3\.9"):
        importlib.import_module("agenttrace_langchain._door")
