"""pandas DataFrames from result rows; pandas is imported only when asked for."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING

from pydantic import BaseModel

from agenttrace.exceptions import UserError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["rows_to_frame"]


def rows_to_frame(rows: Sequence[BaseModel], model: type[BaseModel]) -> pd.DataFrame:
    """One DataFrame row per result row, one column per field (also when ``rows`` is empty).

    Times stay timezone-aware (UTC); enums become their string values; nested values (the
    error, properties, user ids, bodies) stay Python objects in their cells.
    """
    try:
        import pandas
    except ImportError:
        msg = (
            "to_pandas() needs pandas, which is not installed; install it with "
            "`pip install pandas` (or `pip install 'agenttrace[pandas]'`)"
        )
        raise UserError(msg) from None
    records = [
        {
            key: value.value if isinstance(value, Enum) else value
            for key, value in row.model_dump(mode="python").items()
        }
        for row in rows
    ]
    return pandas.DataFrame.from_records(records, columns=list(model.model_fields))
