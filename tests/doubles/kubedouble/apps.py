"""apps/v1 StatefulSets, Deployments and DaemonSets: defaulting, validation, generation rules."""

import json

from .strategies import Strategy, default_pod_spec, validate_pod_spec
from .util import FieldError

STS_UPDATABLE = ("replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                 "minReadySeconds")
STS_FORBIDDEN = ("updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                 "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")


def selector_matches(selector, labels):
    if not isinstance(selector, dict):
        return False
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def selector_string(selector):
    """A label selector in the string form (for `kubectl get` and the Scale status)."""
    parts = ["%s=%s" % (k, v) for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for e in selector.get("matchExpressions") or []:
        op = e.get("operator")
        if op in ("In", "NotIn"):
            parts.append("%s %s (%s)" % (e["key"], op.lower(), ",".join(e.get("values") or [])))
        elif op == "Exists":
            parts.append(e["key"])
        elif op == "DoesNotExist":
            parts.append("!" + e["key"])
    return ",".join(parts)


def _go_selector(sel):
    return json.dumps(sel, separators=(",", ":"), sort_keys=True)



def _default_rolling_update(spec, field, rolling_defaults):
    """Default spec.<field> to RollingUpdate and fill its rollingUpdate defaults (Deployments, DaemonSets)."""
    strategy = spec.get(field)
    if not isinstance(strategy, dict):
        strategy = spec[field] = {}
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            rolling = strategy["rollingUpdate"] = {}
        for key, value in rolling_defaults.items():
            rolling.setdefault(key, value)

class WorkloadStrategy(Strategy):
    generation = True
    status_sub = True
    kind_word = "workload"
    empty_status = {}   # what Go's JSON encoding shows for a zero status (fields without omitempty)

    def on_create(self, obj):
        obj["status"] = dict(self.empty_status)

    def spec_of(self, obj):
        return obj.get("spec")

    def default(self, obj):
        spec = obj.setdefault("spec", {})
        tmpl = spec.setdefault("template", {})
        if isinstance(tmpl, dict):
            meta = tmpl.setdefault("metadata", {})
            if isinstance(meta, dict):
                meta.setdefault("creationTimestamp", None)
            default_pod_spec(tmpl.setdefault("spec", {}))
        spec.setdefault("revisionHistoryLimit", 10)

    def validate(self, obj):
        errs = []
        spec = obj.get("spec") or {}
        sel = spec.get("selector")
        if not sel:
            errs.append(FieldError("Required", "spec.selector", ""))
        elif not (sel.get("matchLabels") or sel.get("matchExpressions")):
            errs.append(FieldError("Invalid", "spec.selector", "empty selector is invalid for %s" % self.kind_word,
                                   _go_selector(sel)))
        tmpl = spec.get("template") or {}
        labels = (tmpl.get("metadata") or {}).get("labels") or {}
        if sel and (sel.get("matchLabels") or sel.get("matchExpressions")) and not selector_matches(sel, labels):
            errs.append(FieldError("Invalid", "spec.template.metadata.labels",
                                   "`selector` does not match template `labels`", labels))
        replicas = spec.get("replicas")
        if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
            errs.append(FieldError("Invalid", "spec.replicas", "must be greater than or equal to 0", replicas))
        pspec = tmpl.get("spec") or {}
        errs += validate_pod_spec(pspec, "spec.template.spec")
        if pspec.get("restartPolicy") not in (None, "Always"):
            errs = [e for e in errs if e.field != "spec.template.spec.restartPolicy"]
            errs.append(FieldError("NotSupported", "spec.template.spec.restartPolicy", '"Always"',
                                   pspec.get("restartPolicy")))
        return errs


class StatefulSetStrategy(WorkloadStrategy):
    kind_word = "statefulset"
    empty_status = {"replicas": 0, "availableReplicas": 0}

    def default(self, obj):
        super().default(obj)
        spec = obj["spec"]
        spec.setdefault("replicas", 1)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        us = spec.get("updateStrategy")
        if not isinstance(us, dict):
            us = spec["updateStrategy"] = {}
        if not us.get("type"):
            us["type"] = "RollingUpdate"
            if us.get("rollingUpdate") is None:
                us["rollingUpdate"] = {"partition": 0}
        if us["type"] == "RollingUpdate" and isinstance(us.get("rollingUpdate"), dict):
            us["rollingUpdate"].setdefault("partition", 0)
        spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})

    def validate(self, obj):
        errs = super().validate(obj)
        spec = obj.get("spec") or {}
        if spec.get("podManagementPolicy") not in ("OrderedReady", "Parallel"):
            errs.append(FieldError("NotSupported", "spec.podManagementPolicy", '"OrderedReady", "Parallel"',
                                   spec.get("podManagementPolicy")))
        us = spec.get("updateStrategy") or {}
        if us.get("type") not in ("RollingUpdate", "OnDelete"):
            errs.append(FieldError("NotSupported", "spec.updateStrategy.type", '"OnDelete", "RollingUpdate"',
                                   us.get("type")))
        elif us["type"] == "OnDelete" and us.get("rollingUpdate") is not None:
            errs.append(FieldError("Invalid", "spec.updateStrategy.rollingUpdate",
                                   "only allowed for updateStrategy 'RollingUpdate'", _go_selector(us["rollingUpdate"])))
        part = (us.get("rollingUpdate") or {}).get("partition")
        if part is not None and (not isinstance(part, int) or part < 0):
            errs.append(FieldError("Invalid", "spec.updateStrategy.rollingUpdate.partition",
                                   "must be greater than or equal to 0", part))
        return errs

    def validate_update(self, new, old):
        a = {k: v for k, v in (new.get("spec") or {}).items() if k not in STS_UPDATABLE}
        b = {k: v for k, v in (old.get("spec") or {}).items() if k not in STS_UPDATABLE}
        return [FieldError("Forbidden", "spec", STS_FORBIDDEN)] if a != b else []


class DeploymentStrategy(WorkloadStrategy):
    kind_word = "deployment"

    def default(self, obj):
        super().default(obj)
        spec = obj["spec"]
        spec.setdefault("replicas", 1)
        _default_rolling_update(spec, "strategy", {"maxUnavailable": "25%", "maxSurge": "25%"})
        spec.setdefault("progressDeadlineSeconds", 600)

    def validate(self, obj):
        errs = super().validate(obj)
        st = (obj.get("spec") or {}).get("strategy") or {}
        if st.get("type") not in ("Recreate", "RollingUpdate"):
            errs.append(FieldError("NotSupported", "spec.strategy.type", '"Recreate", "RollingUpdate"', st.get("type")))
        elif st["type"] == "Recreate" and st.get("rollingUpdate") is not None:
            errs.append(FieldError("Forbidden", "spec.strategy.rollingUpdate",
                                   "may not be specified when strategy `type` is 'Recreate'"))
        return errs

    def validate_update(self, new, old):
        if (new.get("spec") or {}).get("selector") != (old.get("spec") or {}).get("selector"):
            return [FieldError("Invalid", "spec.selector", "field is immutable",
                               _go_selector((new.get("spec") or {}).get("selector")))]
        return []


class DaemonSetStrategy(WorkloadStrategy):
    kind_word = "daemonset"
    empty_status = {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0,
                    "numberReady": 0}

    def default(self, obj):
        super().default(obj)
        spec = obj["spec"]
        _default_rolling_update(spec, "updateStrategy", {"maxUnavailable": 1, "maxSurge": 0})

    def validate(self, obj):
        errs = super().validate(obj)
        us = (obj.get("spec") or {}).get("updateStrategy") or {}
        if us.get("type") not in ("OnDelete", "RollingUpdate"):
            errs.append(FieldError("NotSupported", "spec.updateStrategy.type", '"OnDelete", "RollingUpdate"',
                                   us.get("type")))
        return errs

    def validate_update(self, new, old):
        if (new.get("spec") or {}).get("selector") != (old.get("spec") or {}).get("selector"):
            return [FieldError("Invalid", "spec.selector", "field is immutable",
                               _go_selector((new.get("spec") or {}).get("selector")))]
        return []
