"""/version, discovery (/api, /apis: aggregated v2 and legacy lists) and a minimal /openapi/v3."""

import hashlib
import json

from . import resources as R
from .util import ApiError, json_resp, text_resp

AGG_MEDIA = "application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList"
SUB_VERBS = ["get", "patch", "update"]


def version_info(state):
    v = state.settings["version"]
    major, minor = v.lstrip("v").split(".")[:2]
    return {"major": major, "minor": minor, "gitVersion": v,
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.8", "compiler": "gc",
            "platform": "linux/amd64"}


def _aggregated_version(accept):
    """'v2' / 'v2beta1' when the Accept header asks for aggregated discovery, else None."""
    for part in (accept or "").split(","):
        params = {}
        for p in part.split(";")[1:]:
            if "=" in p:
                k, v = p.strip().split("=", 1)
                params[k] = v
        if params.get("as") == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io" \
                and params.get("v") in ("v2", "v2beta1"):
            return params["v"]
    return None


def _resource_discovery(r):
    entry = {"resource": r.plural, "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
             "scope": "Namespaced" if r.namespaced else "Cluster", "singularResource": r.singular,
             "verbs": r.verbs}
    if r.short:
        entry["shortNames"] = r.short
    if r.categories:
        entry["categories"] = r.categories
    subs = []
    for sub in sorted(r.subresources):
        g, v, k = R.SUBRESOURCE_KIND[sub] or (r.group, r.version, r.kind)
        subs.append({"subresource": sub, "responseKind": {"group": g, "version": v, "kind": k}, "verbs": SUB_VERBS})
    if subs:
        entry["subresources"] = subs
    return entry


def _group_discovery(group, versions):
    meta = {"creationTimestamp": None}
    if group:
        meta = {"name": group, "creationTimestamp": None}
    return {"metadata": meta, "versions": [
        {"version": v, "resources": [_resource_discovery(r) for r in R.in_group_version(group, v)],
         "freshness": "Current"} for v in versions]}


def _aggregated(which, groups):
    body = {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/" + which,
            "metadata": {}, "items": [_group_discovery(g, vs) for g, vs in groups]}
    text = json.dumps(body, separators=(",", ":"))
    etag = '"%s"' % hashlib.sha256(text.encode()).hexdigest()[:32].upper()
    return json_resp(200, body, {"ETag": etag, "Vary": "Accept"}, content_type=AGG_MEDIA % which)


def _resource_list(group, version):
    items = []
    for r in R.in_group_version(group, version):
        items.append({"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                      "kind": r.kind, "verbs": r.verbs, **({"shortNames": r.short} if r.short else {}),
                      **({"categories": r.categories} if r.categories else {})})
        for sub in sorted(r.subresources):
            e = {"name": "%s/%s" % (r.plural, sub), "singularName": "", "namespaced": r.namespaced}
            if R.SUBRESOURCE_KIND[sub]:
                g, v, k = R.SUBRESOURCE_KIND[sub]
                e.update({"group": g, "version": v, "kind": k})
            else:
                e["kind"] = r.kind
            e["verbs"] = SUB_VERBS
            items.append(e)
    gv = "%s/%s" % (group, version) if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": items}


def _api_group(group, versions):
    vs = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in versions]
    return {"name": group, "versions": vs, "preferredVersion": vs[0]}


def handle(state, path, headers, host):
    """Answer a discovery/version/openapi GET, or None when the path is not one of them."""
    accept = headers.get("Accept", "")
    if path == "/version":
        return json_resp(200, version_info(state))
    if path in ("/healthz", "/livez", "/readyz"):
        return text_resp(200, "ok")
    if path == "/api":
        which = _aggregated_version(accept)
        if which:
            return _aggregated(which, [("", ["v1"])])
        return json_resp(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": host}]})
    if path == "/apis":
        which = _aggregated_version(accept)
        if which:
            return _aggregated(which, R.groups())
        return json_resp(200, {"kind": "APIGroupList", "apiVersion": "v1",
                               "groups": [_api_group(g, vs) for g, vs in R.groups()]})
    if path == "/api/v1":
        return json_resp(200, _resource_list("", "v1"))
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["apis"] and len(parts) in (2, 3):
        for g, vs in R.groups():
            if g == parts[1]:
                if len(parts) == 2:
                    return json_resp(200, dict(kind="APIGroup", apiVersion="v1", **_api_group(g, vs)))
                if parts[2] in vs:
                    return json_resp(200, _resource_list(g, parts[2]))
        raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
    if parts[:1] == ["openapi"]:
        return _openapi(state, parts[1:])
    return None


# ------------------------------------------------------------------ /openapi/v3
def _gv_paths():
    out = [("api/v1", "", "v1")]
    for g, vs in R.groups():
        for v in vs:
            out.append(("apis/%s/%s" % (g, v), g, v))
    return out


def _param(name, desc):
    return {"name": name, "in": "query", "description": desc, "schema": {"type": "string", "uniqueItems": True}}


def _gv_doc(state, group, version):
    paths = {}
    schemas = {}
    for r in R.in_group_version(group, version):
        if not r.storage:
            continue
        gvk = {"group": r.group, "kind": r.kind, "version": r.version}
        prefix = "/api/v1" if not group else "/apis/%s/%s" % (group, version)
        base = prefix + ("/namespaces/{namespace}/" if r.namespaced else "/") + r.plural
        op_name = r.kind
        write_params = [_param("dryRun", "dry run"), _param("fieldManager", "field manager"),
                        _param("fieldValidation", "Ignore, Warn or Strict")]
        ref = {"$ref": "#/components/schemas/" + _schema_name(r)}
        body = {"content": {"*/*": {"schema": ref}}, "required": True}
        ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
        paths[base + "/{name}"] = {
            "get": {"operationId": "read" + op_name, "x-kubernetes-action": "get",
                    "x-kubernetes-group-version-kind": gvk, "responses": ok},
            "put": {"operationId": "replace" + op_name, "x-kubernetes-action": "put",
                    "x-kubernetes-group-version-kind": gvk, "parameters": write_params,
                    "requestBody": body, "responses": ok},
            "patch": {"operationId": "patch" + op_name, "x-kubernetes-action": "patch",
                      "x-kubernetes-group-version-kind": gvk,
                      "parameters": write_params + [_param("force", "force apply")],
                      "requestBody": {"content": {t: {"schema": {"type": "object"}} for t in (
                          "application/apply-patch+yaml", "application/json-patch+json",
                          "application/merge-patch+json", "application/strategic-merge-patch+json")},
                          "required": True},
                      "responses": ok},
            "delete": {"operationId": "delete" + op_name, "x-kubernetes-action": "delete",
                       "x-kubernetes-group-version-kind": gvk, "responses": ok},
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
        }
        paths[base] = {"post": {"operationId": "create" + op_name, "x-kubernetes-action": "post",
                                "x-kubernetes-group-version-kind": gvk, "parameters": write_params,
                                "requestBody": body, "responses": ok}}
        # no x-kubernetes-group-version-kind here: kubectl then computes apply patches from its built-in
        # types instead of this (property-less) schema
        schemas[_schema_name(r)] = {"type": "object", "description": r.kind + " (schema elided by the double)"}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": state.settings["version"]},
            "paths": paths, "components": {"schemas": schemas}}


def _schema_name(r):
    pkg = {"": "core", "coordination.k8s.io": "coordination", "authorization.k8s.io": "authorization",
           "authentication.k8s.io": "authentication", "rbac.authorization.k8s.io": "rbac",
           "networking.k8s.io": "networking"}.get(r.group, r.group)
    return "io.k8s.api.%s.%s.%s" % (pkg, r.version, r.kind)


def _openapi(state, rest):
    if rest[:1] != ["v3"]:
        # no /openapi/v2: kubectl then relies on /openapi/v3 (and its built-in types for patches)
        raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
    if len(rest) == 1:
        root = {}
        for key, g, v in _gv_paths():
            text = json.dumps(_gv_doc(state, g, v), sort_keys=True)
            digest = hashlib.sha512(text.encode()).hexdigest()[:128].upper()
            root[key] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (key, digest)}
        return json_resp(200, {"paths": root})
    key = "/".join(rest[1:])
    for k, g, v in _gv_paths():
        if k == key:
            return json_resp(200, _gv_doc(state, g, v), {"Cache-Control": "no-cache, private"})
    raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
