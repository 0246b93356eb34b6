"""A chaos run anyone can repeat: ``deploy/stack chaos --seed N --minutes M`` (or
``python -m tests.chaos``).

Mixed load through intake while a seeded schedule kills intake and appraisal (SIGKILL),
cuts each service's database (a TCP proxy between the service and PostgreSQL) and
terminates the relay's database connections; on the 3-node cluster (``--cluster``) it also
kills brokers and restarts the stack's PostgreSQL. Then it checks the invariants.
docs/reliability.md records a long run.
"""
