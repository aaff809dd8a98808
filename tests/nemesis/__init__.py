"""A fault-injection run (`python3 run.py nemesis`): real API and worker processes under a
random booking workload while a nemesis pauses, flushes and restarts Redis, kills workers and
API processes and terminates PostgreSQL connections; a checker then verifies the invariants
from the database, the clients' records and the mail received. Not collected by pytest: the
suite's short run is tests/e2e/test_nemesis.py."""
