"""A protocol-faithful HashiCorp Vault test double (standard library only).

Modules: util (helpers), kv (KV v2 engine), auth (tokens, AppRole, Kubernetes, ACL policies),
state (everything the server holds), server (HTTP/TLS front end, routing, control API, faults).
"""
