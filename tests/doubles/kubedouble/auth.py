"""Authentication (bearer tokens, client certificates), RBAC-like rules, access reviews, 403 bodies."""

import json
import secrets

from .util import ApiError, new_uid, qualified  # noqa: F401 (new_uid: for control.py)

MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
# what every authenticated user may do (system:discovery, system:basic-user, system:public-info-viewer)
PUBLIC_PATHS = ("/api", "/apis", "/version", "/openapi", "/healthz", "/livez", "/readyz")
DEFAULT_AUDIENCES = ["https://kubernetes.default.svc.cluster.local"]
SELF_REVIEWS = {("authorization.k8s.io", "selfsubjectaccessreviews"), ("authorization.k8s.io", "selfsubjectrulesreviews"),
                ("authentication.k8s.io", "selfsubjectreviews")}


def service_account_groups(name):
    """The groups the apiserver gives a service account "system:serviceaccount:<ns>:<name>" ([] for others)."""
    parts = name.split(":")
    if len(parts) != 4 or parts[:2] != ["system", "serviceaccount"] or not parts[2] or not parts[3]:
        return []
    return ["system:serviceaccounts", "system:serviceaccounts:" + parts[2]]


def new_token():
    return "kd-" + secrets.token_urlsafe(24)


POD_NAME = "authentication.kubernetes.io/pod-name"
POD_UID = "authentication.kubernetes.io/pod-uid"


class User:
    def __init__(self, name, groups=(), rules=None, allow_all=False):
        self.name = name
        self.groups = list(groups)
        self.rules = [Rule(r) for r in (rules or [])]
        self.allow_all = allow_all or MASTERS in self.groups

    def describe(self):
        return {"name": self.name, "groups": self.all_groups(), "allow_all": self.allow_all,
                "rules": [r.spec for r in self.rules]}

    def all_groups(self):
        return self.groups + ([AUTHENTICATED] if AUTHENTICATED not in self.groups else [])


def _strs(spec, key):
    val = spec.get(key)
    if val is None:
        return []
    if isinstance(val, str):
        return [val]
    if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
        raise ValueError("%s must be a list of strings" % key)
    return list(val)


class Rule:
    """{"verbs", "apiGroups", "resources" (may be "res/sub", "*", "*/sub"), "namespaces" (empty: all,
    like a ClusterRoleBinding), "resourceNames", "nonResourceURLs"}"""

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a rule is a JSON object")
        self.spec = spec
        self.verbs = _strs(spec, "verbs")
        self.groups = _strs(spec, "apiGroups")
        self.resources = _strs(spec, "resources")
        self.namespaces = _strs(spec, "namespaces")
        self.names = _strs(spec, "resourceNames")
        self.urls = _strs(spec, "nonResourceURLs")
        if not self.verbs:
            raise ValueError("a rule needs verbs")

    def allows(self, attrs):
        if "*" not in self.verbs and attrs["verb"] not in self.verbs:
            return False
        if attrs.get("path") is not None:
            return any(u == attrs["path"] or (u.endswith("*") and attrs["path"].startswith(u[:-1]))
                       for u in self.urls)
        if self.urls and not self.resources:
            return False
        if "*" not in self.groups and attrs["group"] not in self.groups:
            return False
        res, sub = attrs["resource"], attrs.get("subresource") or ""
        combined = res + ("/" + sub if sub else "")
        if not any(r == "*" or r == combined or (sub and r == "*/" + sub) for r in self.resources):
            return False
        if self.namespaces:
            if not attrs.get("namespace") or ("*" not in self.namespaces and attrs["namespace"] not in self.namespaces):
                return False
        if self.names:
            if not attrs.get("name") or attrs["name"] not in self.names:
                return False
        return True


class AuthConfig:
    def __init__(self, admin_token, admin_user="admin"):
        self.users = {}
        self.tokens = {}     # token -> user name
        self.token_audiences = {}  # token -> audiences it was issued for (TokenReview)
        self.token_pods = {}       # token -> {"name", "uid"} of the pod it is bound to (TokenReview user.extra)
        self.add_user(admin_user, groups=[MASTERS], allow_all=True)
        self.tokens[admin_token] = admin_user

    def token_review(self, token, audiences):
        """The status of a TokenReview of `token` for `audiences` (empty: the API server's own)."""
        name = self.tokens.get(token)
        user = self.users.get(name) if name else None
        # Not authenticated: the apiserver leaves `authenticated` out (omitempty) and sends an empty user.
        if user is None:
            return {"user": {}, "error": "[invalid bearer token, token lookup failed]"}
        issued = self.token_audiences.get(token, DEFAULT_AUDIENCES)
        wanted = list(audiences) or DEFAULT_AUDIENCES
        both = [a for a in wanted if a in issued]
        if not both:
            return {"user": {},
                    "error": "[invalid bearer token, token audiences %s is invalid for the target audiences %s]"
                             % (json.dumps(issued), json.dumps(wanted))}
        info = {"username": user.name, "uid": "uid-" + user.name, "groups": user.all_groups()}
        pod = self.token_pods.get(token)
        if pod:  # as the apiserver's service-account authenticator: extra values are lists of strings
            info["extra"] = {POD_NAME: [pod["name"]], POD_UID: [pod["uid"]]}
        return {"authenticated": True, "audiences": both, "user": info}

    def add_user(self, name, groups=(), rules=None, allow_all=False):
        user = User(name, groups, rules, allow_all)
        self.users[name] = user
        return user

    def user_for_cert(self, cn, orgs):
        """Client certificates: CN is the user, O the groups (rules come from a user of that name, if any)."""
        known = self.users.get(cn)
        groups = list(orgs) + [g for g in (known.groups if known else []) if g not in orgs]
        return User(cn, groups, [r.spec for r in known.rules] if known else [], known.allow_all if known else False)

    def authenticate(self, bearer, cert_subject):
        """The user, or None (anonymous). A client certificate wins over a token, as in the apiserver."""
        if cert_subject:
            cn, orgs = cert_subject
            if cn:
                return self.user_for_cert(cn, orgs)
        if bearer is not None:
            name = self.tokens.get(bearer)
            return self.users.get(name) if name else None
        return None


def allowed(user, attrs):
    """(allowed, reason) for request attributes {verb, group, resource, subresource, namespace, name} or
    {verb, path} for non-resource URLs."""
    if user.allow_all:
        return True, ""
    if attrs.get("path") is not None:
        path = attrs["path"]
        if attrs["verb"] in ("get", "head") and any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS):
            return True, ""
    elif attrs["verb"] == "create" and (attrs["group"], attrs["resource"]) in SELF_REVIEWS:
        return True, 'RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user" ' \
                     'to Group "system:authenticated"'
    for i, rule in enumerate(user.rules):
        if rule.allows(attrs):
            return True, 'RBAC: allowed by double rule %d of User "%s"' % (i, user.name)
    return False, ""


# What RBAC's rule resolver lists for every authenticated user (ClusterRoles system:basic-user,
# system:discovery and system:public-info-viewer), as the apiserver answers a SelfSubjectRulesReview.
BASIC_RESOURCE_RULES = [
    {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
     "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
    {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]},
]
BASIC_NON_RESOURCE_RULES = [
    {"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi",
                                          "/openapi/*", "/readyz", "/version", "/version/"]},
]


def rules_review(user, namespace):
    """The status of a SelfSubjectRulesReview in `namespace`: the rules that apply there (rules without
    namespaces apply everywhere, like a ClusterRoleBinding). RBAC evaluates completely: never incomplete."""
    if user.allow_all:
        return {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}] + BASIC_RESOURCE_RULES,
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}] + BASIC_NON_RESOURCE_RULES,
                "incomplete": False}
    resource_rules = list(BASIC_RESOURCE_RULES)
    non_resource_rules = list(BASIC_NON_RESOURCE_RULES)
    for rule in user.rules:
        if rule.namespaces and "*" not in rule.namespaces and namespace not in rule.namespaces:
            continue
        if rule.urls:
            non_resource_rules.append({"verbs": list(rule.verbs), "nonResourceURLs": list(rule.urls)})
        if rule.resources:
            out = {"verbs": list(rule.verbs), "apiGroups": list(rule.groups), "resources": list(rule.resources)}
            if rule.names:
                out["resourceNames"] = list(rule.names)
            resource_rules.append(out)
    return {"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": False}


def forbidden(user, attrs):
    """The apiserver's 403 Status for a denied request."""
    if attrs.get("path") is not None:
        msg = 'forbidden: User "%s" cannot %s path "%s"' % (user.name, attrs["verb"], attrs["path"])
        return ApiError(403, "Forbidden", msg, {})
    res = attrs["resource"] + ("/" + attrs["subresource"] if attrs.get("subresource") else "")
    if attrs.get("namespace"):
        why = 'User "%s" cannot %s resource "%s" in API group "%s" in the namespace "%s"' % (
            user.name, attrs["verb"], res, attrs["group"], attrs["namespace"])
    else:
        why = 'User "%s" cannot %s resource "%s" in API group "%s" at the cluster scope' % (
            user.name, attrs["verb"], res, attrs["group"])
    q = qualified(attrs["group"], attrs["resource"])
    msg = ('%s "%s" is forbidden: %s' % (q, attrs["name"], why)) if attrs.get("name") else "%s is forbidden: %s" % (q, why)
    details = {}
    if attrs.get("name"):
        details["name"] = attrs["name"]
    if attrs["group"]:
        details["group"] = attrs["group"]
    details["kind"] = attrs["resource"]
    return ApiError(403, "Forbidden", msg, details)


def access_review(user, spec):
    """The status of a SelfSubjectAccessReview for spec.resourceAttributes / spec.nonResourceAttributes."""
    if not isinstance(spec, dict):
        spec = {}
    ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if ra and nra:
        return None, "spec: Invalid value: \"\": cannot set both resourceAttributes and nonResourceAttributes"
    if not ra and not nra:
        return None, "spec: Invalid value: \"\": exactly one of nonResourceAttributes or resourceAttributes must be specified"
    if ra:
        attrs = {"verb": ra.get("verb") or "", "group": ra.get("group") or "", "resource": ra.get("resource") or "",
                 "subresource": ra.get("subresource") or "", "namespace": ra.get("namespace") or "",
                 "name": ra.get("name") or ""}
    else:
        attrs = {"verb": nra.get("verb") or "", "path": nra.get("path") or ""}
    ok, reason = allowed(user, attrs)
    status = {"allowed": ok}
    if reason:
        status["reason"] = reason
    return status, None
