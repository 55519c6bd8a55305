"""``python -m engine``: the command-line interface (see :mod:`engine.cli`)."""

from engine.cli import main

raise SystemExit(main())
