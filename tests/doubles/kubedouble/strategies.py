"""Per-kind rules (defaulting, validation, update semantics) for the core kinds and Leases.

Secrets and ConfigMaps live in secrets.py, the apps/v1 workloads in apps.py, ServiceAccounts and the
rbac.authorization.k8s.io kinds in rbac.py."""

import re

from .util import FieldError, bad_request

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                 "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                 "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
             "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
             "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
MICRO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$")


class Strategy:
    generation = False            # metadata.generation is tracked (bumped when the spec changes)
    unconditional_update = True   # PUT without metadata.resourceVersion overwrites
    create_on_update = False      # PUT of a missing object creates it
    status_sub = False            # has /status: main writes keep .status, status writes keep the rest
    return_deleted = False        # DELETE answers with the object instead of a Status
    label_name = False            # the name must be a DNS label (not a subdomain)

    def __init__(self, res):
        self.res = res

    def decode(self, obj):
        """Wire-format checks that the apiserver's decoder would reject with 400."""

    def default(self, obj):
        pass

    def on_create(self, obj):
        if self.status_sub:
            obj.pop("status", None)

    def validate(self, obj):
        return []

    def validate_update(self, new, old):
        return []

    def validate_name(self, name):
        rx, msg = (DNS1123_LABEL, LABEL_MSG) if self.label_name else (DNS1123_SUBDOMAIN, SUBDOMAIN_MSG)
        if not rx.match(name) or len(name) > (63 if self.label_name else 253):
            return [FieldError("Invalid", "metadata.name", msg, name)]
        return []

    def spec_of(self, obj):
        return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}

    def cannot_handle(self, why):
        return bad_request('%s in version "%s" cannot be handled as a %s: %s'
                           % (self.res.kind, self.res.version, self.res.kind, why))


class NamespaceStrategy(Strategy):
    label_name = True
    status_sub = True
    return_deleted = True

    def default(self, obj):
        obj.setdefault("metadata", {}).setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])

    def on_create(self, obj):
        obj["status"] = {"phase": "Active"}


class LeaseStrategy(Strategy):
    unconditional_update = False
    create_on_update = True

    def decode(self, obj):
        spec = obj.get("spec") or {}
        if not isinstance(spec, dict):
            raise self.cannot_handle("json: cannot unmarshal into Go struct field Lease.spec")
        for field in ("acquireTime", "renewTime"):
            val = spec.get(field)
            if val is None:
                continue
            if not isinstance(val, str) or not MICRO_RE.match(val):
                text = val if isinstance(val, str) else str(val)
                rest = text[19:] if len(text) >= 19 and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", text) else text
                raise self.cannot_handle('parsing time "%s" as "2006-01-02T15:04:05.000000Z07:00": cannot parse '
                                         '"%s" as "%s"' % (text, rest, ".000000" if rest is not text else "2006"))
            spec[field] = _utc_micro(val)

    def validate(self, obj):
        errs = []
        spec = obj.get("spec") or {}
        d = spec.get("leaseDurationSeconds")
        if d is not None and (not isinstance(d, int) or d <= 0):
            errs.append(FieldError("Invalid", "spec.leaseDurationSeconds", "must be greater than 0", d))
        t = spec.get("leaseTransitions")
        if t is not None and (not isinstance(t, int) or t < 0):
            errs.append(FieldError("Invalid", "spec.leaseTransitions", "must be greater than or equal to 0", t))
        return errs


def _utc_micro(text):
    """Normalise a MicroTime to UTC 'Z' with six digits (as the apiserver re-encodes it)."""
    import datetime
    dt = datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % dt.microsecond


class EventStrategy(Strategy):
    def validate(self, obj):
        errs = []
        inv = obj.get("involvedObject") or {}
        ns = obj["metadata"].get("namespace", "")
        if inv.get("namespace") and inv["namespace"] != ns:
            errs.append(FieldError("Invalid", "involvedObject.namespace", "does not match event.namespace",
                                   inv["namespace"]))
        return errs

    def default(self, obj):
        obj.setdefault("involvedObject", {})
        obj.setdefault("reportingComponent", "")
        obj.setdefault("reportingInstance", "")


class PodStrategy(Strategy):
    status_sub = True
    return_deleted = True

    def default(self, obj):
        default_pod_spec(obj.setdefault("spec", {}))

    def on_create(self, obj):
        if "status" not in obj:
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}

    def validate(self, obj):
        return validate_pod_spec(obj.get("spec") or {}, "spec")


def _image_policy(image):
    last = (image or "").rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def default_pod_spec(spec):
    """SetDefaults_PodSpec and friends, the fields that show in `kubectl get -o json`."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for field in ("containers", "initContainers"):
        for c in spec.get(field) or []:
            if not isinstance(c, dict):
                continue
            c.setdefault("resources", {})
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
            c.setdefault("imagePullPolicy", _image_policy(c.get("image")))
            for p in c.get("ports") or []:
                if isinstance(p, dict):
                    p.setdefault("protocol", "TCP")
    for v in spec.get("volumes") or []:
        if isinstance(v, dict):
            if isinstance(v.get("secret"), dict):
                v["secret"].setdefault("defaultMode", 420)
            if isinstance(v.get("configMap"), dict):
                v["configMap"].setdefault("defaultMode", 420)
            if not any(k for k in v if k != "name"):
                v["emptyDir"] = {}


def validate_pod_spec(spec, path):
    errs = []
    containers = spec.get("containers")
    if not containers:
        errs.append(FieldError("Required", path + ".containers", ""))
        return errs
    seen = set()
    for i, c in enumerate(containers):
        p = "%s.containers[%d]" % (path, i)
        if not isinstance(c, dict):
            errs.append(FieldError("Invalid", p, "must be an object", c))
            continue
        name = c.get("name")
        if not name:
            errs.append(FieldError("Required", p + ".name", ""))
        elif not DNS1123_LABEL.match(name):
            errs.append(FieldError("Invalid", p + ".name", LABEL_MSG, name))
        elif name in seen:
            errs.append(FieldError("Duplicate", p + ".name", value=name))
        seen.add(name)
        if not c.get("image"):
            errs.append(FieldError("Required", p + ".image", ""))
    if spec.get("restartPolicy") not in ("Always", "OnFailure", "Never"):
        errs.append(FieldError("NotSupported", path + ".restartPolicy", '"Always", "Never", "OnFailure"',
                               spec.get("restartPolicy")))
    return errs


def strategy_for(res):
    from . import apps, batch, rbac, secrets, services
    table = {"namespaces": NamespaceStrategy, "leases": LeaseStrategy, "events": EventStrategy,
             "pods": PodStrategy, "secrets": secrets.SecretStrategy, "configmaps": secrets.ConfigMapStrategy,
             "statefulsets": apps.StatefulSetStrategy, "deployments": apps.DeploymentStrategy,
             "daemonsets": apps.DaemonSetStrategy, "serviceaccounts": rbac.ServiceAccountStrategy,
             "roles": rbac.RoleStrategy, "rolebindings": rbac.RoleBindingStrategy,
             "clusterroles": rbac.ClusterRoleStrategy, "clusterrolebindings": rbac.ClusterRoleBindingStrategy,
             "services": services.ServiceStrategy, "persistentvolumeclaims": services.PersistentVolumeClaimStrategy,
             "networkpolicies": services.NetworkPolicyStrategy, "cronjobs": batch.CronJobStrategy,
             "poddisruptionbudgets": services.PodDisruptionBudgetStrategy,
             "jobs": batch.JobStrategy}
    return table.get(res.plural, Strategy)(res)
