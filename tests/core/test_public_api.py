"""The public import surface."""

from __future__ import annotations

import agenttrace


def test_all_lists_exactly_the_public_names() -> None:
    """__all__ is sorted and names exactly the public attributes of the package."""
    public = {
        name for name in vars(agenttrace) if not name.startswith("_") and name != "annotations"
    }
    modules = {name for name in public if type(getattr(agenttrace, name)).__name__ == "module"}
    assert agenttrace.__all__ == sorted(agenttrace.__all__)
    assert set(agenttrace.__all__) - {"__version__"} == public - modules
