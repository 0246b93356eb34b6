"""The benchmark suite: projection throughput (with side-by-side baselines), intake, freshness
and replay, each on fresh databases and topics of the local stack.

``python -m tests.perf run [--events N] [--smoke] [--only ...] [--json FILE]``
"""
