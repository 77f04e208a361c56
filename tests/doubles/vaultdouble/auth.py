"""Tokens, AppRole and Kubernetes logins, and a minimal ACL policy engine.

Kubernetes logins do NOT verify the JWT signature (no TokenReview, no issuer keys): the claims are
base64url-decoded from the payload, which is all a double needs to exercise the client side.
"""

import base64
import binascii
import fnmatch
import json
import re
import uuid

from .util import (denied, error, new_accessor, new_token, new_uuid, no_content, now_ns, ok,
                   parse_duration, rfc3339, weak_int)

SYSTEM_MAX_TTL = 768 * 3600  # Vault's default max lease TTL (32 days)
NS = 1_000_000_000

DEFAULT_POLICY = [
    {"path": "auth/token/lookup-self", "capabilities": ["read"]},
    {"path": "auth/token/renew-self", "capabilities": ["update"]},
    {"path": "auth/token/revoke-self", "capabilities": ["update"]},
    {"path": "sys/capabilities-self", "capabilities": ["update"]},
    {"path": "sys/internal/ui/mounts", "capabilities": ["read"]},
    {"path": "sys/internal/ui/mounts/*", "capabilities": ["read"]},
]
CAPABILITIES = {"create", "read", "update", "delete", "list", "patch", "sudo", "deny"}


class Token:
    def __init__(self, policies, ttl=0, renewable=True, num_uses=0, explicit_max_ttl=0, max_ttl=0,
                 meta=None, display_name="token", path="auth/token/create", source="control", token_id=None,
                 entity_id=""):
        now = now_ns()
        self.id = token_id or new_token()
        self.accessor = new_accessor()
        self.policies = sorted(set(policies))
        self.creation_ttl = int(ttl)
        self.created = now
        self.expire = now + int(ttl) * NS if ttl else None
        self.renewable = bool(renewable) and bool(ttl)
        self.num_uses = int(num_uses)
        self.explicit_max_ttl = int(explicit_max_ttl)
        self.max_ttl = int(max_ttl)
        self.meta = meta or None
        self.display_name = display_name
        self.path = path
        self.source = source
        self.entity_id = entity_id

    def expired(self, now):
        return self.expire is not None and now >= self.expire

    def ttl_left(self, now):
        if self.expire is None:
            return 0
        return max(0, (self.expire - now) // NS)

    def auth_block(self, lease_duration=None):
        return {
            "client_token": self.id,
            "accessor": self.accessor,
            "policies": self.policies,
            "token_policies": self.policies,
            "metadata": self.meta,
            "lease_duration": self.creation_ttl if lease_duration is None else lease_duration,
            "renewable": self.renewable,
            "entity_id": self.entity_id,
            "token_type": "service",
            "orphan": True,
            "mfa_requirement": None,
            "num_uses": self.num_uses,
        }

    def public(self, now):
        """Description without the token value (for the control API)."""
        return {"accessor": self.accessor, "policies": self.policies, "ttl": self.ttl_left(now),
                "expired": self.expired(now), "renewable": self.renewable, "num_uses": self.num_uses,
                "source": self.source, "display_name": self.display_name}


# ---------------------------------------------------------------- policies

class Rule:
    def __init__(self, path, caps):
        self.path = path
        self.caps = set(caps)
        glob = path.endswith("*")
        body = path[:-1] if glob else path
        parts = [r"[^/]+" if seg == "+" else re.escape(seg) for seg in body.split("/")]
        self.regex = re.compile("/".join(parts) + (".*" if glob else "") + r"\Z", re.S)
        first_wild = min([i for i in (path.find("+"), path.find("*")) if i >= 0], default=len(path) + 1)
        exact = "+" not in path and not glob
        # Vault's priority: exact > later first wildcard > no trailing * > fewer + > longer > lexical
        self.priority = (exact, first_wild, not glob, -body.split("/").count("+"), len(path), path)


def parse_hcl(text):
    """The policy subset keyd ships: path "x" { capabilities = ["read", ...] } blocks."""
    text = re.sub(r"(?m)^\s*(#|//).*$", "", text)
    rules = []
    for m in re.finditer(r'path\s+"([^"]+)"\s*\{([^}]*)\}', text):
        caps = re.search(r"capabilities\s*=\s*\[([^\]]*)\]", m.group(2))
        names = re.findall(r'"([^"]+)"', caps.group(1)) if caps else []
        rules.append({"path": m.group(1), "capabilities": names})
    if not rules and text.strip():
        raise ValueError("no path blocks found in policy")
    return rules


def compile_rules(rules):
    out = []
    for r in rules:
        caps = [c.lower() for c in r.get("capabilities", [])]
        bad = [c for c in caps if c not in CAPABILITIES]
        if bad:
            raise ValueError("unknown capabilities %s" % bad)
        out.append(Rule(str(r["path"]).lstrip("/"), caps))
    return out


# ---------------------------------------------------------------- the store

class AuthStore:
    def __init__(self):
        self.tokens = {}
        self.approle = {}      # mount -> name -> role dict
        self.kubernetes = {}   # mount -> name -> role dict
        self.policies = {"default": compile_rules(DEFAULT_POLICY)}

    # tokens
    def add(self, token):
        self.tokens[token.id] = token
        return token

    def find(self, token_id):
        tok = self.tokens.get(token_id) if token_id else None
        if tok is None or tok.expired(now_ns()):
            return None
        return tok

    def by_accessor(self, accessor):
        return next((t for t in self.tokens.values() if t.accessor == accessor), None)

    def use(self, tok):
        if tok.num_uses > 0:
            tok.num_uses -= 1
            if tok.num_uses == 0:
                self.tokens.pop(tok.id, None)

    # ACL
    def allowed(self, tok, path, capability):
        if "root" in tok.policies:
            return True
        matches = []
        for name in tok.policies:
            for rule in self.policies.get(name, []):
                if rule.regex.match(path):
                    matches.append(rule)
        if not matches:
            return False
        best = max(r.priority for r in matches)
        caps = set().union(*(r.caps for r in matches if r.priority == best))
        return "deny" not in caps and capability in caps

    # ---------------------------------------------------------- /v1/auth/token/*
    def lookup_self(self, tok):
        now = now_ns()
        root = tok.expire is None and "root" in tok.policies
        return ok({
            "accessor": tok.accessor,
            "creation_time": tok.created // NS,
            "creation_ttl": tok.creation_ttl,
            "display_name": tok.display_name,
            "entity_id": tok.entity_id,
            "expire_time": rfc3339(tok.expire) if tok.expire is not None else None,
            "explicit_max_ttl": tok.explicit_max_ttl,
            "id": tok.id,
            "issue_time": rfc3339(tok.created),
            "meta": tok.meta,
            "num_uses": tok.num_uses,
            "orphan": True,
            "path": "auth/token/root" if root else tok.path,
            "policies": tok.policies,
            "renewable": tok.renewable,
            "ttl": tok.ttl_left(now),
            "type": "service",
        }, mount_type="token")

    def renew_self(self, tok, body):
        if tok.expire is None:
            return error(400, "invalid lease ID")
        if not tok.renewable:
            return error(400, "lease is not renewable")
        try:
            inc = parse_duration(body["increment"]) if body.get("increment") not in (None, "") else 0
        except ValueError:
            return error(400, "invalid increment")
        now = now_ns()
        ttl = inc or tok.creation_ttl
        warnings = None
        max_ttl = tok.explicit_max_ttl or tok.max_ttl or SYSTEM_MAX_TTL
        limit = tok.created + max_ttl * NS
        if now + ttl * NS > limit:
            capped = max(0, (limit - now) // NS)
            warnings = ['TTL of "%ds" exceeded the effective max_ttl of "%ds"; TTL value is capped '
                        'accordingly' % (ttl, capped)]
            ttl = capped
        tok.expire = now + ttl * NS
        return ok(None, auth=tok.auth_block(lease_duration=ttl), warnings=warnings, mount_type="token")

    def revoke_self(self, tok):
        self.tokens.pop(tok.id, None)
        return no_content()

    # ---------------------------------------------------------- logins
    def _issue(self, role, meta, display, path, source, alias=None):
        policies = list(role.get("policies") or role.get("token_policies") or [])
        if not role.get("token_no_default_policy"):
            policies.append("default")
        tok = Token(policies, ttl=role.get("token_ttl") or SYSTEM_MAX_TTL,
                    renewable=role.get("renewable", True), num_uses=role.get("token_num_uses", 0),
                    max_ttl=role.get("token_max_ttl", 0), meta=meta, display_name=display, path=path,
                    source=source, entity_id=entity_id(path, alias) if alias else "")
        self.add(tok)
        return ok(None, auth=tok.auth_block(), mount_type="")

    def approle_login(self, mount, body):
        roles = self.approle.get(mount, {})
        role_id = body.get("role_id")
        if not role_id:
            return error(400, "missing role_id")
        found = next(((n, r) for n, r in roles.items() if r["role_id"] == role_id), None)
        if found is None:
            return error(400, "invalid role or secret ID")
        name, role = found
        if role.get("bind_secret_id", True):
            secret_id = body.get("secret_id")
            if not secret_id:
                return error(400, "missing secret_id")
            if secret_id not in role["secret_ids"]:
                return error(400, "invalid role or secret ID")
        return self._issue(role, {"role_name": name}, "approle", "auth/%s/login" % mount, "approle",
                           alias=role_id)

    def kubernetes_login(self, mount, body):
        roles = self.kubernetes.get(mount, {})
        name = body.get("role")
        if not name:
            return error(400, "missing role")
        role = roles.get(name)
        if role is None:
            return error(400, 'invalid role name "%s"' % name)
        jwt = body.get("jwt")
        if not jwt:
            return error(400, "missing jwt")
        claims = decode_jwt_claims(jwt)
        if claims is None:
            return denied()
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and exp * NS < now_ns():
            return denied()
        sa = service_account(claims)
        if not sa["service_account_name"] or not sa["service_account_namespace"]:
            return denied()
        names = role.get("bound_service_account_names") or []
        if not any(fnmatch.fnmatchcase(sa["service_account_name"], p) for p in names):
            return error(403, "service account name not authorized")
        namespaces = role.get("bound_service_account_namespaces") or []
        if not any(fnmatch.fnmatchcase(sa["service_account_namespace"], p) for p in namespaces):
            return error(403, "namespace not authorized")
        meta = {"role": name}
        meta.update(sa)
        display = "%s-%s-%s" % (mount, sa["service_account_namespace"], sa["service_account_name"])
        # Vault's default alias for Kubernetes auth is the service account's uid.
        alias = sa["service_account_uid"] or "%s/%s" % (sa["service_account_namespace"], sa["service_account_name"])
        return self._issue(role, meta, display, "auth/%s/login" % mount, "kubernetes", alias=alias)


def entity_id(login_path, alias):
    """Like Vault, the same identity entity for every login of one alias on one auth mount."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "vault-double:%s:%s" % (login_path, alias)))


def decode_jwt_claims(jwt):
    parts = str(jwt).split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def service_account(claims):
    """Legacy secret-based token claims, or the nested "kubernetes.io" form of projected tokens."""
    legacy = "kubernetes.io/serviceaccount/"
    nested = claims.get("kubernetes.io") if isinstance(claims.get("kubernetes.io"), dict) else {}
    nested_sa = nested.get("serviceaccount") if isinstance(nested.get("serviceaccount"), dict) else {}
    return {
        "service_account_name": claims.get(legacy + "service-account.name") or nested_sa.get("name") or "",
        "service_account_namespace": claims.get(legacy + "namespace") or nested.get("namespace") or "",
        "service_account_secret_name": claims.get(legacy + "secret.name") or "",
        "service_account_uid": claims.get(legacy + "service-account.uid") or nested_sa.get("uid") or "",
    }


def role_from_control(kind, body):
    """Normalise a role definition posted to the control API; raises ValueError."""
    name = body.get("name")
    if not name or not isinstance(name, str):
        raise ValueError("name is required")
    role = {
        "policies": list(body.get("policies") or body.get("token_policies") or []),
        "token_ttl": parse_duration(body.get("token_ttl", body.get("ttl", 0)) or 0),
        "token_max_ttl": parse_duration(body.get("token_max_ttl", 0) or 0),
        "token_num_uses": weak_int(body.get("token_num_uses", 0) or 0),
        "token_no_default_policy": bool(body.get("token_no_default_policy", False)),
        "renewable": bool(body.get("renewable", True)),
    }
    if kind == "approle":
        role["role_id"] = body.get("role_id") or new_uuid()
        ids = body.get("secret_ids") or ([body["secret_id"]] if body.get("secret_id") else [new_uuid()])
        role["secret_ids"] = list(ids)
        role["bind_secret_id"] = bool(body.get("bind_secret_id", True))
    else:
        for field in ("bound_service_account_names", "bound_service_account_namespaces"):
            value = body.get(field)
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not value:
                raise ValueError("%s is required" % field)
            role[field] = list(value)
    return name, role
