# keyd-reader.hcl: the Vault policy for FETCHERS (keyd fetch, keyd history, keyd agent; also Vault Agent
# templates, External Secrets or the Vault Secrets Operator reading "swarm.key"). Read-only: a
# holder can read every stored version and the version list, and can write, delete or destroy
# nothing. keyd rotate, import and rollback fail with "unauthorized" (HTTP 403) under it.
#
# Adapting it: the same mount and prefix as in keyd.hcl ("<mount>/data/<prefix>/*" and
# "<mount>/metadata/<prefix>/*"); see the comments there. To let a fetcher read only the current
# key of one swarm, name the exact path instead of the glob, e.g.
# "secret/data/ipfs-overlay/swarm-key". KV v2 has no per-version ACL: read on the data path
# covers every version still kept.
# Only full-line comments are used here, so the file loads unchanged into the test double too.

# read: the current version (keyd fetch, Vault Agent templates) and a chosen one (fetch --version).
path "secret/data/ipfs-overlay/*" {
  capabilities = ["read"]
}

# read: the version list, creation times and deletion state (keyd history; the continuous keyd
# agent's cheap version checks). Not needed by a fetcher that only reads the current key (keyd
# agent --once); drop it for the tightest policy.
path "secret/metadata/ipfs-overlay/*" {
  capabilities = ["read"]
}
