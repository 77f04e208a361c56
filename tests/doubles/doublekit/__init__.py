"""Plumbing shared by the stdlib-only test doubles (vaultdouble, kubedouble) and their Python clients.

Modules: httpd (handler/server base: TLS, body reading, fault application, request log entries),
faults (fault rules and the request log held by a double's state), control (the /_double/ skeleton),
process (command line, atomic files, listening, signals, --exit-with-parent), client (start/stop a
double from tests and call its control API).
"""
