# keyd.hcl: the Vault policy for keyd processes that ROTATE swarm keys (keyd rotate, import,
# rollback, sync, and also fetch/history). Least privilege: read and write new versions of the
# swarm keys under one path prefix, read their version list, mark the path as managed by keyd.
# Nothing else: no delete, undelete or destroy, no list, no patch, no other mount, no sys/.
#
# Adapting it: every path is "<KV v2 mount>/<data|metadata>/<prefix>/*".
#   - The mount is store.vault.mount (default "secret"). With "kv/team" write "kv/team/data/...".
#   - The prefix is the first segment(s) of swarms[].path (default "<swarm name>/swarm-key"), here
#     "ipfs-overlay". Give all swarms one process manages a common prefix (path: ipfs/<name>/swarm-key
#     and "secret/data/ipfs/*"), or write one pair of blocks per prefix.
#   - Keep the "data/" and "metadata/" segments: KV v2 policies always name them, even though
#     "vault kv get secret/ipfs-overlay/swarm-key" hides them.
#   - A trailing "*" is a prefix glob (it also matches deeper paths); "+" matches one segment.
#
# Token housekeeping (auth/token/lookup-self, renew-self) comes from Vault's built-in "default"
# policy, which AppRole and Kubernetes logins attach unless the role sets token_no_default_policy.
# Only full-line comments are used here, so the file loads unchanged into the test double too.

# The versions themselves (each holds swarm.key, fingerprint, issued_by, reason).
#   create: the first version of a path (keyd writes it with check-and-set cas=0).
#   update: every later version (cas = the current version keyd just read). A CAS mismatch is a
#           conflict, never an overwrite, so "update" cannot clobber another writer's version.
#   read:   the current version (sync delivers it; rotate delivers a newer one it finds after
#           writing), a chosen version (rollback, fetch --version), per-version details (history).
path "secret/data/ipfs-overlay/*" {
  capabilities = ["create", "update", "read"]
}

# The key-level metadata.
#   read:   current_version (the check-and-set value) and the version list for history.
#   update: keyd sets custom_metadata "managed-by: keyd" once, right after writing a path's first
#           version. The data write has created the metadata by then, so Vault checks "update"
#           (not "create") on this path; "create" is therefore not granted. Without "update" a
#           rotation still succeeds: keyd only logs a warning that the marker is missing. Note that
#           "update" here also allows changing max_versions, cas_required and delete_version_after
#           of these paths; drop it if that matters more to you than the marker.
path "secret/metadata/ipfs-overlay/*" {
  capabilities = ["read", "update"]
}

# The audit chain's head, for audit.sink stdout (the daemon's replicas print their audit lines for
# the log pipeline and move this head with check-and-set at every entry; docs/daemon.md). It holds
# "<seq>:<sha256>" of the newest entry and never a key. Drop these two blocks with audit.sink file.
path "secret/data/keyd/audit-head" {
  capabilities = ["create", "update", "read"]
}
path "secret/metadata/keyd/audit-head" {
  capabilities = ["read", "update"]
}
