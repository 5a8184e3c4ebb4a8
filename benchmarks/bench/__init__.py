"""The benchmark behind ``benchmarks/run.py``, one concern per module:

- ``configs``: the configs it runs (quick, issue 11's sweep, the dry-run sweep);
- ``processes``: the memory poller of a run's process tree (psutil) and what it saw per job;
- ``logs``: what a run's logs, metrics and tools' outputs say (job wall times, GNU time);
- ``measure``: the measurements, each a function that runs something and records numbers;
- ``targets``: the targets of ``benchmarks/targets.yaml`` and their verdicts;
- ``report``: the table on stdout and the generated section of ``benchmarks/README.md``.
"""
