"""KV v2 data model: versions, key metadata, mounts, and Vault's version-window arithmetic."""

from .util import now_ns, rfc3339

DEFAULT_MAX_VERSIONS = 10
MOUNT_TYPE = "kv"
CAS_MISMATCH = "check-and-set parameter did not match the current version"
CAS_REQUIRED = "check-and-set parameter required for this call"


class Version:
    __slots__ = ("created", "deletion", "destroyed", "data")

    def __init__(self, created, deletion, data):
        self.created, self.deletion, self.destroyed, self.data = created, deletion, False, data

    def is_deleted(self, now):
        return self.deletion is not None and self.deletion <= now


class KeyMeta:
    def __init__(self, now):
        self.created = now
        self.updated = now
        self.current = 0
        self.oldest = 0
        self.max_versions = 0
        self.cas_required = False
        self.dva = 0
        self.custom = None
        self.versions = {}


class KVMount:
    def __init__(self, max_versions=0, cas_required=False, delete_version_after=0):
        self.max_versions = int(max_versions)
        self.cas_required = bool(cas_required)
        self.dva = int(delete_version_after)
        self.keys = {}

    # ----- helpers used by tests through the control API -----
    def seed(self, path, data):
        """Write a new version directly (no CAS, no HTTP); returns the version number."""
        meta = self.keys.get(path) or KeyMeta(now_ns())
        self.keys[path] = meta
        self._add_version(meta, data)
        return meta.current

    def _add_version(self, meta, data):
        now = now_ns()
        dva = meta.dva if meta.dva > 0 else self.dva
        deletion = now + dva * 1_000_000_000 if dva > 0 else None
        meta.current += 1
        version = Version(now, deletion, data)
        meta.versions[meta.current] = version
        meta.updated = now
        effective = max(meta.max_versions, self.max_versions) or DEFAULT_MAX_VERSIONS
        if meta.current - meta.oldest >= effective:
            to_delete = meta.current - effective
            for n in range(meta.oldest, to_delete + 1):
                meta.versions.pop(n, None)
            meta.oldest = to_delete + 1
        return version


def version_meta(meta, number, v):
    return {
        "created_time": rfc3339(v.created),
        "custom_metadata": meta.custom,
        "deletion_time": rfc3339(v.deletion),
        "destroyed": v.destroyed,
        "version": number,
    }


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result
