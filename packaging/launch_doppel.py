"""Entry script of the bundle: the same ``main`` as ``python -m desktop_app`` and ``doppel-gui``."""

import multiprocessing

from desktop_app.__main__ import main

if __name__ == "__main__":
    # a library that starts a worker process (spawn) would otherwise start a second app window
    multiprocessing.freeze_support()
    raise SystemExit(main())
