"""Encoding: learned columns ⇄ the numeric rows a synthesizer learns, fitted from DP releases only.

:mod:`.base` defines the column encoder and the :class:`~engine.encoding.base.Releaser` through
which preprocessing makes its releases; :mod:`.categorical` and :mod:`.numeric` are the encoders
(importing this package registers them); :mod:`.table` puts them side by side; :mod:`.fit` runs
the preprocessing (row count, surveys, measurements) that fits them.
"""

from engine.encoding import categorical, numeric  # noqa: F401  (registers the encoders)
from engine.encoding.table import Span, TableEncoder

__all__ = ["Span", "TableEncoder"]
