"""core/v1 Services and PersistentVolumeClaims, networking.k8s.io/v1 NetworkPolicies: stored with the
apiserver's defaulting and the validation `kubectl apply` of a rendered bundle meets. No proxying, no
endpoints, no volume binding (claims stay Pending)."""

import itertools

from .strategies import DNS1123_LABEL, LABEL_MSG, Strategy
from .util import FieldError

_cluster_ips = itertools.count(1)

PROTOCOLS = ("TCP", "UDP", "SCTP")
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")


def _next_cluster_ip():
    n = next(_cluster_ips)
    return "10.96.%d.%d" % ((n // 250) % 250, n % 250 + 2)


class ServiceStrategy(Strategy):
    label_name = True
    status_sub = True

    def default(self, obj):
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if spec["type"] != "ExternalName":
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        for p in spec.get("ports") or []:
            if isinstance(p, dict):
                p.setdefault("protocol", "TCP")
                if "port" in p:
                    p.setdefault("targetPort", p["port"])

    def on_create(self, obj):
        spec = obj["spec"]
        if spec.get("type") != "ExternalName":
            if not spec.get("clusterIP"):
                spec["clusterIP"] = _next_cluster_ip()
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
        obj["status"] = {"loadBalancer": {}}

    def validate(self, obj):
        errs = []
        spec = obj.get("spec") or {}
        if spec.get("type") not in SERVICE_TYPES:
            errs.append(FieldError("NotSupported", "spec.type", ", ".join('"%s"' % t for t in SERVICE_TYPES),
                                   spec.get("type")))
        ports = spec.get("ports") or []
        if not ports and spec.get("clusterIP") != "None" and spec.get("type") != "ExternalName":
            errs.append(FieldError("Required", "spec.ports", ""))
        names = set()
        for i, p in enumerate(ports):
            path = "spec.ports[%d]" % i
            if not isinstance(p, dict):
                errs.append(FieldError("Invalid", path, "must be an object", p))
                continue
            port = p.get("port")
            if not isinstance(port, int) or not 1 <= port <= 65535:
                errs.append(FieldError("Invalid", path + ".port", "must be between 1 and 65535, inclusive", port))
            if p.get("protocol") not in PROTOCOLS:
                errs.append(FieldError("NotSupported", path + ".protocol", '"SCTP", "TCP", "UDP"', p.get("protocol")))
            name = p.get("name")
            if len(ports) > 1 and not name:
                errs.append(FieldError("Required", path + ".name", ""))
            if name:
                if not DNS1123_LABEL.match(name):
                    errs.append(FieldError("Invalid", path + ".name", LABEL_MSG, name))
                elif name in names:
                    errs.append(FieldError("Duplicate", path + ".name", value=name))
                names.add(name)
        return errs

    def validate_update(self, new, old):
        old_ip = (old.get("spec") or {}).get("clusterIP")
        new_spec = new.setdefault("spec", {})
        if not new_spec.get("clusterIP") and old_ip:
            new_spec["clusterIP"] = old_ip            # kubectl apply never sends the allocated address
            new_spec.setdefault("clusterIPs", [old_ip])
        if old_ip and new_spec.get("clusterIP") != old_ip:
            return [FieldError("Invalid", "spec.clusterIPs[0]", "may not change once set", new_spec.get("clusterIP"))]
        return []


class PersistentVolumeClaimStrategy(Strategy):
    status_sub = True

    def default(self, obj):
        obj.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")

    def on_create(self, obj):
        obj["status"] = {"phase": "Pending"}

    def validate(self, obj):
        errs = []
        spec = obj.get("spec") or {}
        modes = spec.get("accessModes") or []
        if not modes:
            errs.append(FieldError("Required", "spec.accessModes", ""))
        for m in modes:
            if m not in ACCESS_MODES:
                errs.append(FieldError("NotSupported", "spec.accessModes", ", ".join('"%s"' % a for a in ACCESS_MODES), m))
        if not ((spec.get("resources") or {}).get("requests") or {}).get("storage"):
            errs.append(FieldError("Required", "spec.resources[storage]", ""))
        return errs

    def validate_update(self, new, old):
        keep = ("accessModes", "selector", "storageClassName", "volumeMode", "volumeName")
        n, o = new.get("spec") or {}, old.get("spec") or {}
        if any(n.get(k) != o.get(k) for k in keep if k in n):
            return [FieldError("Forbidden", "spec", "spec is immutable after creation except resources.requests and "
                               "volumeAttributesClassName for bound claims")]
        return []


class PodDisruptionBudgetStrategy(Strategy):
    """policy/v1 validation as the API server does it: a selector, and minAvailable or maxUnavailable
    (not both), each a non-negative integer or a percentage."""
    generation = True

    def spec_of(self, obj):
        return obj.get("spec")

    def validate(self, obj):
        errs = []
        spec = obj.get("spec") or {}
        if "minAvailable" in spec and "maxUnavailable" in spec:
            errs.append(FieldError("Invalid", "spec", "minAvailable and maxUnavailable cannot be both set", spec))
        for key in ("minAvailable", "maxUnavailable"):
            v = spec.get(key)
            if v is None:
                continue
            ok = (isinstance(v, int) and not isinstance(v, bool) and v >= 0) or (
                isinstance(v, str) and v.endswith("%") and v[:-1].isdigit())
            if not ok:
                errs.append(FieldError("Invalid", "spec." + key, "must be a non-negative integer or a percentage", v))
        return errs


class NetworkPolicyStrategy(Strategy):
    generation = True

    def default(self, obj):
        spec = obj.setdefault("spec", {})
        spec.setdefault("podSelector", {})
        if "policyTypes" not in spec:
            spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
        for rule in (spec.get("ingress") or []) + (spec.get("egress") or []):
            for p in (rule or {}).get("ports") or []:
                if isinstance(p, dict):
                    p.setdefault("protocol", "TCP")

    def spec_of(self, obj):
        return obj.get("spec")

    def validate(self, obj):
        errs = []
        spec = obj.get("spec") or {}
        for t in spec.get("policyTypes") or []:
            if t not in ("Ingress", "Egress"):
                errs.append(FieldError("NotSupported", "spec.policyTypes", '"Egress", "Ingress"', t))
        for i, rule in enumerate(spec.get("ingress") or []):
            for j, peer in enumerate((rule or {}).get("from") or []):
                if not isinstance(peer, dict) or not any(k in peer for k in ("podSelector", "namespaceSelector", "ipBlock")):
                    errs.append(FieldError("Required", "spec.ingress[%d].from[%d]" % (i, j),
                                           "must specify a peer"))
                elif "ipBlock" in peer and "/" not in str((peer["ipBlock"] or {}).get("cidr", "")):
                    errs.append(FieldError("Invalid", "spec.ingress[%d].from[%d].ipBlock.cidr" % (i, j),
                                           "must be a valid CIDR", (peer["ipBlock"] or {}).get("cidr")))
        return errs
