"""KV v2 metadata endpoints: read, write (custom_metadata limits), patch, delete."""

from .kvstore import MOUNT_TYPE, KeyMeta, merge_patch
from .util import (error, go_duration, multierror, not_found, now_ns, ok, ok_or_204, parse_duration,
                   rfc3339, weak_bool, weak_int, weak_str)

_CM_PREFIX = "custom_metadata validation failed"


def _custom_metadata(raw, filter_nils):
    """Parse and validate custom_metadata; returns (dict, None) or (None, Resp)."""
    if not isinstance(raw, dict):
        return None, error(400, "%s: expected a map of strings" % _CM_PREFIX)
    parsed = {}
    for k, v in raw.items():
        if filter_nils and v is None:
            continue
        try:
            parsed[k] = weak_str("" if v is None else v)
        except ValueError as exc:
            return None, error(400, "%s: %s" % (_CM_PREFIX, exc))
    if len(parsed) > 64:
        return None, error(400, multierror(["%s: payload must contain at most 64 keys, provided %d"
                                            % (_CM_PREFIX, len(parsed))]))
    errs = []
    for k in sorted(parsed):
        v = parsed[k]
        klen, vlen = len(k.encode()), len(v.encode())
        if klen == 0 or klen > 128:
            errs.append('%s: length of key "%s" is %d but must be 0 < len(key) <= 128' % (_CM_PREFIX, k, klen))
        if vlen == 0 or vlen > 512:
            errs.append('%s: length of value for key "%s" is %d but must be 0 < len(value) <= 512'
                        % (_CM_PREFIX, k, vlen))
        if not k.isprintable():
            errs.append('%s: key "%s" (%s) contains unprintable characters' % (_CM_PREFIX, k, k))
        if not v.isprintable():
            errs.append('%s: value for key "%s" contains unprintable characters' % (_CM_PREFIX, k))
    if errs:
        return None, error(400, multierror(errs))
    return parsed, None


def meta_read(mount, key, body, query):
    meta = mount.keys.get(key)
    if meta is None:
        return not_found()
    versions = {str(n): {"created_time": rfc3339(v.created), "deletion_time": rfc3339(v.deletion),
                         "destroyed": v.destroyed} for n, v in sorted(meta.versions.items())}
    return ok({
        "cas_required": meta.cas_required,
        "created_time": rfc3339(meta.created),
        "current_version": meta.current,
        "custom_metadata": meta.custom,
        "delete_version_after": go_duration(meta.dva),
        "max_versions": meta.max_versions,
        "oldest_version": meta.oldest,
        "updated_time": rfc3339(meta.updated),
        "versions": versions,
    }, mount_type=MOUNT_TYPE)


def _meta_fields(mount, body, patch):
    """Validated metadata fields: (dict, warnings, None) or (None, None, Resp)."""
    fields = {}
    try:
        if "max_versions" in body and body["max_versions"] is not None:
            fields["max_versions"] = weak_int(body["max_versions"])
        if "cas_required" in body and body["cas_required"] is not None:
            fields["cas_required"] = weak_bool(body["cas_required"])
        if "delete_version_after" in body and body["delete_version_after"] is not None:
            fields["delete_version_after"] = parse_duration(body["delete_version_after"])
    except ValueError as exc:
        return None, None, error(400, str(exc))
    if "custom_metadata" in body and body["custom_metadata"] is not None:
        cm, err = _custom_metadata(body["custom_metadata"], patch)
        if err:
            return None, None, err
        fields["custom_metadata"] = cm
    warnings = None
    if fields.get("cas_required") is False and mount.cas_required:
        warnings = ['"cas_required" set to false, but is mandated by backend config. '
                    'This value will be ignored.']
    return fields, warnings, None


def _apply_meta(meta, fields, patch_custom=None):
    if "max_versions" in fields:
        meta.max_versions = fields["max_versions"]
    if "cas_required" in fields:
        meta.cas_required = fields["cas_required"]
    if "delete_version_after" in fields:
        meta.dva = fields["delete_version_after"]
    if "custom_metadata" in fields:
        cm = fields["custom_metadata"]
        if patch_custom is not None:
            cm = merge_patch(meta.custom or {}, patch_custom)
        meta.custom = cm or None


def meta_write(mount, key, body, query):
    fields, warnings, err = _meta_fields(mount, body, False)
    if err:
        return err
    if not fields:
        return ok_or_204()
    meta = mount.keys.get(key)
    if meta is None:
        meta = mount.keys[key] = KeyMeta(now_ns())
    _apply_meta(meta, fields)
    return ok_or_204(warnings, mount_type=MOUNT_TYPE)


def meta_patch(mount, key, body, query):
    fields, warnings, err = _meta_fields(mount, body, True)
    if err:
        return err
    meta = mount.keys.get(key)
    if meta is None:
        return not_found()
    _apply_meta(meta, fields, body.get("custom_metadata") if "custom_metadata" in fields else None)
    return ok_or_204(warnings, mount_type=MOUNT_TYPE)


def meta_delete(mount, key, body, query):
    mount.keys.pop(key, None)
    return ok_or_204()
