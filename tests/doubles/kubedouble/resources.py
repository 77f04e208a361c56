"""The resource types the double serves: names, kinds, scope, verbs, subresources (for routing and discovery)."""

FULL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


class Resource:
    def __init__(self, group, version, plural, kind, singular, namespaced=True, short=(), verbs=FULL,
                 subresources=(), categories=(), storage=True):
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.singular = singular
        self.namespaced = namespaced
        self.short = list(short)
        self.verbs = list(verbs)
        self.subresources = list(subresources)   # "status", "scale"
        self.categories = list(categories)
        self.storage = storage                   # False: virtual (reviews), nothing is stored

    @property
    def key(self):
        return "%s/%s" % (self.group, self.plural)

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def list_kind(self):
        return self.kind + "List"

    def qualified_kind(self):
        return self.kind + ("." + self.group if self.group else "")


RESOURCES = [
    Resource("", "v1", "namespaces", "Namespace", "namespace", namespaced=False, short=["ns"],
             verbs=["create", "delete", "get", "list", "patch", "update", "watch"], subresources=["status"]),
    Resource("", "v1", "secrets", "Secret", "secret"),
    Resource("", "v1", "configmaps", "ConfigMap", "configmap", short=["cm"]),
    Resource("", "v1", "pods", "Pod", "pod", short=["po"], subresources=["status"], categories=["all"]),
    Resource("", "v1", "events", "Event", "event", short=["ev"]),
    Resource("", "v1", "serviceaccounts", "ServiceAccount", "serviceaccount", short=["sa"]),
    Resource("", "v1", "services", "Service", "service", short=["svc"], subresources=["status"], categories=["all"]),
    Resource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", "persistentvolumeclaim", short=["pvc"],
             subresources=["status"]),
    Resource("apps", "v1", "statefulsets", "StatefulSet", "statefulset", short=["sts"],
             subresources=["status", "scale"], categories=["all"]),
    Resource("apps", "v1", "deployments", "Deployment", "deployment", short=["deploy"],
             subresources=["status", "scale"], categories=["all"]),
    Resource("apps", "v1", "daemonsets", "DaemonSet", "daemonset", short=["ds"],
             subresources=["status"], categories=["all"]),
    Resource("batch", "v1", "cronjobs", "CronJob", "cronjob", short=["cj"], subresources=["status"],
             categories=["all"]),
    Resource("batch", "v1", "jobs", "Job", "job", subresources=["status"], categories=["all"]),
    Resource("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", "networkpolicy", short=["netpol"]),
    Resource("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", "poddisruptionbudget", short=["pdb"],
             subresources=["status"]),
    Resource("coordination.k8s.io", "v1", "leases", "Lease", "lease"),
    Resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", "clusterrolebinding",
             namespaced=False),
    Resource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", "clusterrole", namespaced=False),
    Resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", "rolebinding"),
    Resource("rbac.authorization.k8s.io", "v1", "roles", "Role", "role"),
    Resource("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview",
             "selfsubjectaccessreview", namespaced=False, verbs=["create"], storage=False),
    Resource("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview",
             "selfsubjectrulesreview", namespaced=False, verbs=["create"], storage=False),
    Resource("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview",
             "selfsubjectreview", namespaced=False, verbs=["create"], storage=False),
    Resource("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", "tokenreview", namespaced=False,
             verbs=["create"], storage=False),
]

BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KEY = {r.key: r for r in RESOURCES}


def by_kind(group, kind):
    for r in RESOURCES:
        if r.group == group and r.kind == kind:
            return r
    return None


def groups():
    """[(group, [versions])] in discovery order: legacy core first, then named groups."""
    out = []
    for r in RESOURCES:
        if r.group == "":
            continue
        for g, versions in out:
            if g == r.group:
                if r.version not in versions:
                    versions.append(r.version)
                break
        else:
            out.append((r.group, [r.version]))
    return out


def in_group_version(group, version):
    return [r for r in RESOURCES if r.group == group and r.version == version]


SUBRESOURCE_KIND = {"status": None, "scale": ("autoscaling", "v1", "Scale")}
