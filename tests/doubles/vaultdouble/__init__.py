"""A protocol-faithful HashiCorp Vault test double (standard library only).

Modules: util (helpers), kv (KV v2 engine), auth (tokens, AppRole, Kubernetes, ACL policies),
state (everything the server holds), server (Vault answers and command line on doublekit: listeners,
TLS, faults, request log, lifecycle).
"""
