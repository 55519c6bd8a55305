"""Privacy: the accountant (:mod:`.accountant`), the DP mechanisms (:mod:`.mechanisms`), and the
ledger of ε spent per table (:mod:`.ledger`).

Everything that turns real rows into something that may leave the machine goes through a
mechanism here and is charged to the run's one accountant. Import the submodules directly: the
accountant loads Opacus (and so torch), which the ledger and the app's start-up must not wait for.
"""
