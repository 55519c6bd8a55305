"""Tables in and out: reading CSV / Excel / Parquet with sniffing, reading cells, atomic writes.

Imports nothing of ours but :mod:`engine.errors`.
"""

from engine.io.reading import SUPPORTED_EXTENSIONS, LoadedTable, list_sheets, read_table
from engine.io.writing import WRITE_EXTENSIONS, atomic_write_bytes, check_writable, write_table

__all__ = ["SUPPORTED_EXTENSIONS", "WRITE_EXTENSIONS", "LoadedTable", "atomic_write_bytes", "check_writable",
           "list_sheets", "read_table", "write_table"]
