"""ServiceAccounts (core/v1) and rbac.authorization.k8s.io/v1 Roles, RoleBindings, ClusterRoles and
ClusterRoleBindings: defaulting and validation as the apiserver does them.

Storage only: these objects never change what the double's own authorizer allows (that follows the
rules given to /_double/tokens and /_double/rules), and there is no escalation check on writes."""

from .strategies import DNS1123_SUBDOMAIN, SUBDOMAIN_MSG, Strategy
from .util import FieldError

GROUP = "rbac.authorization.k8s.io"
RULE_LISTS = ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs")


def rbac_name_errors(name):
    """path.IsValidPathSegmentName, the name rule of every RBAC object (colons are fine: system:…)."""
    if name in (".", ".."):
        return ["may not be '%s'" % name]
    return ["may not contain '%s'" % c for c in ("/", "%") if c in name]


class _Text(FieldError):
    """An Invalid error whose value prints as given (Go's %#v of a struct)."""

    def body(self):
        return "Invalid value: %s: %s" % (self.value, self.detail)


def _is_str_list(v):
    return v is None or (isinstance(v, list) and all(isinstance(x, str) for x in v))


class ServiceAccountStrategy(Strategy):
    def decode(self, obj):
        for field in ("secrets", "imagePullSecrets"):
            v = obj.get(field)
            if v is not None and not (isinstance(v, list) and all(isinstance(x, dict) for x in v)):
                raise self.cannot_handle("json: cannot unmarshal %s into Go struct field ServiceAccount.%s of type "
                                         "[]v1.%s" % (_json_type(v), field, "ObjectReference" if field == "secrets"
                                                      else "LocalObjectReference"))
        a = obj.get("automountServiceAccountToken")
        if a is not None and not isinstance(a, bool):
            raise self.cannot_handle("json: cannot unmarshal %s into Go struct field "
                                     "ServiceAccount.automountServiceAccountToken of type bool" % _json_type(a))


class _RulesStrategy(Strategy):
    namespaced_rules = True

    def decode(self, obj):
        rules = obj.get("rules")
        if rules is not None and not isinstance(rules, list):
            raise self.cannot_handle("json: cannot unmarshal %s into Go struct field %s.rules of type []v1.PolicyRule"
                                     % (_json_type(rules), self.res.kind))
        for rule in rules or []:
            if not isinstance(rule, dict):
                raise self.cannot_handle("json: cannot unmarshal %s into Go struct field %s.rules of type v1.PolicyRule"
                                         % (_json_type(rule), self.res.kind))
            for f in RULE_LISTS:
                if not _is_str_list(rule.get(f)):
                    raise self.cannot_handle("json: cannot unmarshal %s into Go struct field PolicyRule.rules.%s of "
                                             "type []string" % (_json_type(rule[f]), f))

    def default(self, obj):
        obj.setdefault("rules", None)    # `json:"rules"` without omitempty: an empty Role shows "rules": null

    def validate_name(self, name):
        return [FieldError("Invalid", "metadata.name", msg, name) for msg in rbac_name_errors(name)]

    def validate(self, obj):
        errs = []
        for i, rule in enumerate(obj.get("rules") or []):
            path = "rules[%d]" % i
            if not rule.get("verbs"):
                errs.append(FieldError("Required", path + ".verbs", "verbs must contain at least one value"))
            urls = rule.get("nonResourceURLs") or []
            if urls:
                if self.namespaced_rules:
                    errs.append(_Text("Invalid", path + ".nonResourceURLs",
                                      "namespaced rules cannot apply to non-resource URLs", _go_strs(urls)))
                if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
                    errs.append(_Text("Invalid", path + ".nonResourceURLs",
                                      "rules cannot apply to both regular resources and non-resource URLs",
                                      _go_strs(urls)))
                continue
            if not rule.get("apiGroups"):
                errs.append(FieldError("Required", path + ".apiGroups",
                                       "resource rules must supply at least one api group"))
            if not rule.get("resources"):
                errs.append(FieldError("Required", path + ".resources",
                                       "resource rules must supply at least one resource"))
        return errs


class RoleStrategy(_RulesStrategy):
    pass


class ClusterRoleStrategy(_RulesStrategy):
    namespaced_rules = False

    def decode(self, obj):
        super().decode(obj)
        agg = obj.get("aggregationRule")
        if agg is not None and not isinstance(agg, dict):
            raise self.cannot_handle("json: cannot unmarshal %s into Go struct field ClusterRole.aggregationRule of "
                                     "type v1.AggregationRule" % _json_type(agg))


class _BindingStrategy(Strategy):
    namespaced_subjects = True

    def decode(self, obj):
        ref = obj.get("roleRef")
        if ref is not None and not (isinstance(ref, dict) and all(isinstance(v, str) for v in ref.values())):
            raise self.cannot_handle("json: cannot unmarshal %s into Go struct field %s.roleRef of type v1.RoleRef"
                                     % (_json_type(ref), self.res.kind))
        subjects = obj.get("subjects")
        if subjects is not None and not (isinstance(subjects, list) and all(
                isinstance(s, dict) and all(isinstance(v, str) for v in s.values()) for s in subjects)):
            raise self.cannot_handle("json: cannot unmarshal %s into Go struct field %s.subjects of type []v1.Subject"
                                     % (_json_type(subjects), self.res.kind))

    def default(self, obj):
        ref = obj.get("roleRef")
        if not isinstance(ref, dict):
            ref = obj["roleRef"] = {}
        if not ref.get("apiGroup"):
            ref["apiGroup"] = GROUP
        ref.setdefault("kind", "")
        ref.setdefault("name", "")
        obj["roleRef"] = {k: ref[k] for k in ("apiGroup", "kind", "name")}
        for s in obj.get("subjects") or []:
            if not s.get("apiGroup") and s.get("kind") in ("User", "Group"):
                s["apiGroup"] = GROUP
            order = ("kind", "apiGroup", "name", "namespace")
            for k in [k for k in s if k not in order]:
                s.pop(k)
            items = [(k, s[k]) for k in order if k in s]
            s.clear()
            s.update(items)

    def validate_name(self, name):
        return [FieldError("Invalid", "metadata.name", msg, name) for msg in rbac_name_errors(name)]

    def validate(self, obj):
        errs = []
        ref = obj.get("roleRef") or {}
        if ref.get("apiGroup") != GROUP:
            errs.append(FieldError("NotSupported", "roleRef.apiGroup", '"%s"' % GROUP, ref.get("apiGroup")))
        if ref.get("kind") not in ("Role", "ClusterRole") or (ref.get("kind") == "Role" and not self.namespaced_subjects):
            allowed = '"Role", "ClusterRole"' if self.namespaced_subjects else '"ClusterRole"'
            errs.append(FieldError("NotSupported", "roleRef.kind", allowed, ref.get("kind")))
        if not ref.get("name"):
            errs.append(FieldError("Required", "roleRef.name", ""))
        else:
            for msg in rbac_name_errors(ref["name"]):
                errs.append(FieldError("Invalid", "roleRef.name", msg, ref["name"]))
        for i, s in enumerate(obj.get("subjects") or []):
            path = "subjects[%d]" % i
            name, kind, group = s.get("name") or "", s.get("kind") or "", s.get("apiGroup") or ""
            if not name:
                errs.append(FieldError("Required", path + ".name", ""))
            if kind == "ServiceAccount":
                if name and not (DNS1123_SUBDOMAIN.match(name) and len(name) <= 253):
                    errs.append(FieldError("Invalid", path + ".name", SUBDOMAIN_MSG, name))
                if group:
                    errs.append(FieldError("NotSupported", path + ".apiGroup", '""', group))
                if not self.namespaced_subjects and not s.get("namespace"):
                    errs.append(FieldError("Required", path + ".namespace", ""))
            elif kind in ("User", "Group"):
                if group != GROUP:
                    errs.append(FieldError("NotSupported", path + ".apiGroup", '"%s"' % GROUP, group))
            else:
                errs.append(FieldError("NotSupported", path + ".kind", '"ServiceAccount", "User", "Group"', kind))
        return errs

    def validate_update(self, new, old):
        a, b = new.get("roleRef") or {}, old.get("roleRef") or {}
        if a != b:
            go = "rbac.RoleRef{APIGroup:%s, Kind:%s, Name:%s}" % tuple(
                '"%s"' % (a.get(k) or "") for k in ("apiGroup", "kind", "name"))
            return [_Text("Invalid", "roleRef", "cannot change roleRef", go)]
        return []


class RoleBindingStrategy(_BindingStrategy):
    pass


class ClusterRoleBindingStrategy(_BindingStrategy):
    namespaced_subjects = False


def _go_strs(values):
    return "[]string{%s}" % ", ".join('"%s"' % v for v in values)


def _json_type(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"
