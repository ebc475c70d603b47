"""Operations: one-off actions on a live backbone (DESIGN.md "Operations").

Not resources and not part of the plan. Each module validates the request
against the topology, prices it where it costs money, leaves confirmation to the
command line (a terminal, or ``--yes``), runs with progress and reports per item:

- :mod:`cabructl.operations.dlq`: dead-letter review and redrive (with
  :mod:`cabructl.operations.redrive_target`, delivery to the one target that failed);
- :mod:`cabructl.operations.replay`: replay a window of the archive to chosen rules.

Nothing is imported here, so ``import cabructl.operations`` stays cheap.
"""
