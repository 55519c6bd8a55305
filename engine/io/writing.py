"""Writing tables and files atomically: a temporary file beside the destination, then ``os.replace``.

A crash never leaves a half-written export, model bundle, ledger or checkpoint behind, and a
failed write leaves the previous file as it was.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path
from typing import BinaryIO, Callable

import pandas as pd

from engine.errors import DoppelInputError

_WRITE_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
WRITE_EXTENSIONS = tuple(_WRITE_FORMATS)

def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as .csv (UTF-8, no index), .xlsx or .parquet, atomically."""
    path = Path(path).expanduser()
    fmt = _WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        kind = path.suffix or "a file without an extension"
        raise DoppelInputError(f"{path.name}: cannot write {kind}; "
                               f"use one of {', '.join(_WRITE_FORMATS)}")
    if fmt == "xlsx" and (len(frame) >= 1_048_576 or frame.shape[1] > 16_384):
        raise DoppelInputError(f"{path.name}: {len(frame)} rows × {frame.shape[1]} columns is too "
                               "large for Excel; save as .csv or .parquet instead")

    def serialize(f: BinaryIO) -> None:
        if fmt == "csv":
            frame.to_csv(f, index=False, encoding="utf-8")
        elif fmt == "xlsx":
            frame.to_excel(f, index=False, engine="openpyxl")
        else:
            frame.to_parquet(f, index=False, engine="pyarrow")

    return _atomic_write(path, serialize)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    return _atomic_write(Path(path).expanduser(), lambda f: f.write(data))


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty temp file beside ``path`` (open for writing), or a clear error naming the folder."""
    if path.is_dir():
        raise DoppelInputError(f"{path} is a folder: choose a file name to save to")
    folder = path.parent
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except FileNotFoundError:
        raise DoppelInputError(f"cannot save {path.name}: the folder {folder} does not exist; "
                               "create it or choose another folder") from None
    except PermissionError:
        raise DoppelInputError(f"cannot save {path.name}: no permission to write in {folder}; "
                               "choose another folder") from None
    except OSError as exc:
        raise DoppelInputError(f"cannot save {path}: {exc.strerror or exc}; {_write_advice(exc)}") from None
    return fd, tmp


def check_writable(path: str | Path) -> None:
    """Prove a file can be created beside ``path``, before budget is spent on what goes there."""
    fd, tmp = _create_temp(Path(path).expanduser())
    os.close(fd)
    tmp.unlink(missing_ok=True)


def _atomic_write(path: Path, serialize: Callable[[BinaryIO], object]) -> Path:
    """Serialize into a temp file beside ``path``, fsync, then ``os.replace`` it over ``path``.

    The temp file is created with ``os.open(..., 0o666)`` so the result gets the usual
    umask-based permissions (``mkstemp`` would make it owner-only). On any failure the temp file
    is removed and the destination is left as it was.
    """
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            serialize(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except PermissionError:
        tmp.unlink(missing_ok=True)
        raise DoppelInputError(f"cannot save {path}: permission denied; close the file if it is "
                               "open in another program, or choose another name") from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DoppelInputError(f"cannot save {path}: {exc.strerror or exc}; {_write_advice(exc)}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _write_advice(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "free some disk space or choose another drive; nothing was changed"
    return "choose another folder; nothing was changed"
