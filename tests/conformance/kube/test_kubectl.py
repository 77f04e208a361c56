#!/usr/bin/python3
"""Conformance: the real kubectl (1.32 on these machines) drives the kube-apiserver double.

Starts its own double on 127.0.0.1 (HTTPS, client certificates accepted), writes kubeconfigs (token and
client-certificate users) into a temp dir and gives kubectl a fresh --cache-dir. Prints
`kube-kubectl: passed=N failed=M` last."""

import base64
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kubedoublectl import (DEPLOY_YAML, DS_YAML, NS, SECRET_YAML, KubeDouble, Kubectl, make_certs,  # noqa: E402
                           sts_yaml, tmp_root, wait_for)

KEY = "/key/swarm/psk/1.0.0/\n/base16/\n" + "ab" * 32 + "\n"
KEY_B64 = base64.b64encode(KEY.encode()).decode()
AGG = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
RBAC_YAML = """apiVersion: v1
kind: ServiceAccount
metadata:
  name: keyd
  namespace: ipfs-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: keyd
  namespace: ipfs-system
rules:
  - apiGroups: [""]
    resources: [secrets]
    resourceNames: [ipfs-swarm-key]
    verbs: [%s]
  - apiGroups: [apps]
    resources: [statefulsets]
    verbs: [get, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: keyd
  namespace: ipfs-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: keyd
subjects:
  - kind: ServiceAccount
    name: keyd
    namespace: ipfs-system
"""

# The kinds keyd bundle renders besides workloads and RBAC (see keyd/app/bundle_ipfs.cpp).
SERVICE_YAML = """apiVersion: v1
kind: Service
metadata:
  name: ipfs
spec:
  selector:
    app: ipfs
  ports:
    - name: swarm
      port: 4001
      targetPort: swarm
    - name: api
      port: 5001
%s"""
NETPOL_YAML = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ipfs
spec:
  podSelector:
    matchLabels:
      app: ipfs
  ingress:
    - ports:
        - port: 4001
      from:
        - ipBlock:
            cidr: %s
"""
CRONJOB_YAML = """apiVersion: batch/v1
kind: CronJob
metadata:
  name: keyd
spec:
  schedule: "%s"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: %s
          containers:
            - name: keyd
              image: ghcr.io/flatracoon/keyd:0.1.0
              args: [rotate, --config, /etc/keyd/keyd.yaml]
"""


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = make_certs()
        cls.double = KubeDouble(cls.certs).start()
        cls.dir = tempfile.mkdtemp(prefix="kube-kubectl-", dir=tmp_root())
        cls.kc = cls.double.kubeconfig(os.path.join(cls.dir, "kubeconfig"))
        cls.k = Kubectl(cls.kc, os.path.join(cls.dir, "cache"))

    @classmethod
    def tearDownClass(cls):
        log = cls.double.log_text()
        rc = cls.double.stop()
        cls.double.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert rc == 0, "double exited with %r: %s" % (rc, log)
        assert cls.double.admin_token not in log

    def setUp(self):
        self.double.reset()

    def apply(self, text, **kw):
        return self.k("apply", "-f", "-", stdin=text, **kw)

    def sts(self):
        return self.k.json("get", "sts", "ipfs")

    def pods(self, selector="app=ipfs"):
        return self.k.json("get", "pods", "-l", selector)["items"]

    def rollout_done(self, target="sts/ipfs", timeout="30s"):
        p = self.k("rollout", "status", target, "--timeout=" + timeout)
        self.assertRegex(p.stdout, r"(roll out complete|successfully rolled out)")
        return p

    def user_kubeconfig(self, name, rules, groups=None):
        token = self.double.token_for(name, rules, groups)
        return self.double.kubeconfig(os.path.join(self.dir, "kc-" + name), token=token)


class Discovery(Base):
    def test_version_reports_server_and_client(self):
        v = self.k.json("version")
        self.assertEqual(v["serverVersion"]["gitVersion"], "v1.32.4")
        self.assertEqual(v["serverVersion"]["major"], "1")
        self.assertTrue(v["clientVersion"]["minor"].startswith(str(self.k.minor)), v["clientVersion"])
        print("kubectl client %s" % v["clientVersion"]["gitVersion"], end=" ... ", flush=True)

    def test_aggregated_discovery_is_used_and_short_names_resolve(self):
        k = Kubectl(self.kc, os.path.join(self.dir, "fresh-cache"))
        self.double.control("DELETE", "requests")
        k("get", "sts")
        paths = [r["path"] for r in self.double.requests()]
        self.assertIn("/api", paths)
        self.assertIn("/apis", paths)
        if self.k.minor >= 26:
            self.assertNotIn("/apis/apps/v1", paths, "kubectl fell back to legacy discovery")
        else:
            self.assertIn("/apis/apps/v1", paths)   # older kubectl: legacy discovery only
        status, headers, _ = self.double.http("GET", "/apis", headers={"Accept": AGG + ",application/json"})
        self.assertEqual(headers["Content-Type"], AGG)
        out = k("api-resources").stdout
        for line in (r"statefulsets\s+sts\s+apps/v1\s+true\s+StatefulSet",
                     r"secrets\s+v1\s+true\s+Secret", r"leases\s+coordination.k8s.io/v1\s+true\s+Lease",
                     r"selfsubjectaccessreviews\s+authorization.k8s.io/v1\s+false\s+SelfSubjectAccessReview"):
            self.assertRegex(out, line)


class Secrets(Base):
    def test_apply_get_reapply_change(self):
        p = self.apply(SECRET_YAML % KEY_B64)
        self.assertEqual(p.stdout.strip(), "secret/ipfs-swarm-key created")
        s = self.k.json("get", "secret", "ipfs-swarm-key")
        self.assertEqual(base64.b64decode(s["data"]["swarm.key"]).decode(), KEY)
        self.assertEqual(s["type"], "Opaque")
        self.assertEqual(s["metadata"]["labels"], {"app.kubernetes.io/managed-by": "keyd"})
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration", s["metadata"]["annotations"])
        rv = s["metadata"]["resourceVersion"]
        self.assertEqual(self.apply(SECRET_YAML % KEY_B64).stdout.strip(), "secret/ipfs-swarm-key unchanged")
        self.assertEqual(self.k.json("get", "secret", "ipfs-swarm-key")["metadata"]["resourceVersion"], rv)
        other = base64.b64encode(KEY.replace("ab", "cd").encode()).decode()
        self.assertEqual(self.apply(SECRET_YAML % other).stdout.strip(), "secret/ipfs-swarm-key configured")
        patches = self.double.requests(method="PATCH", resource="secrets")
        self.assertEqual(len(patches), 1)
        self.assertEqual(patches[0]["content_type"], "application/strategic-merge-patch+json")
        self.assertEqual(patches[0]["query"].get("fieldManager"), "kubectl-client-side-apply")
        table = self.k("get", "secrets").stdout.splitlines()
        self.assertRegex(table[0], r"^NAME\s+TYPE\s+DATA\s+AGE$")
        self.assertRegex(table[1], r"^ipfs-swarm-key\s+Opaque\s+1\s+\d+s$")

    def test_annotate_and_stale_resource_version_conflict(self):
        self.apply(SECRET_YAML % KEY_B64)
        self.assertIn("annotate", self.k("annotate", "secret", "ipfs-swarm-key", "keyd.io/fingerprint=f1").stdout)
        s = self.k.json("get", "secret", "ipfs-swarm-key")
        self.assertEqual(s["metadata"]["annotations"]["keyd.io/fingerprint"], "f1")
        self.assertEqual(self.double.requests(method="PATCH")[-1]["content_type"], "application/merge-patch+json")
        self.double.control("POST", "objects", {"resource": "secrets", "namespace": NS, "name": "ipfs-swarm-key"})
        p = self.k("annotate", "--overwrite", "--resource-version", s["metadata"]["resourceVersion"], "secret",
                   "ipfs-swarm-key", "keyd.io/fingerprint=f2", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Error from server (Conflict): Operation cannot be fulfilled on secrets "ipfs-swarm-key": the '
                      'object has been modified; please apply your changes to the latest version and try again',
                      p.stderr)

    def test_create_secret_sends_protobuf_and_duplicates_are_refused(self):
        p = self.k("create", "secret", "generic", "s2", "--from-literal=swarm.key=" + KEY)
        self.assertEqual(p.stdout.strip(), "secret/s2 created")
        post = self.double.requests(method="POST", resource="secrets")[-1]
        if self.k.minor >= 32:
            self.assertEqual(post["content_type"], "application/vnd.kubernetes.protobuf")
        else:   # older kubectl sends JSON (1.20: without a Content-Type, which the apiserver reads as JSON)
            self.assertIn(post["content_type"], (None, "application/json"))
        s = self.k.json("get", "secret", "s2")
        self.assertEqual(base64.b64decode(s["data"]["swarm.key"]).decode(), KEY)
        p = self.k("create", "secret", "generic", "s2", "--from-literal=a=b", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('secrets "s2" already exists', p.stderr)

    def test_delete_then_not_found(self):
        self.apply(SECRET_YAML % KEY_B64)
        self.assertEqual(self.k("delete", "secret", "ipfs-swarm-key").stdout.strip(), 'secret "ipfs-swarm-key" deleted')
        p = self.k("get", "secret", "ipfs-swarm-key", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('Error from server (NotFound): secrets "ipfs-swarm-key" not found', p.stderr)

    def test_server_side_apply(self):
        p = self.k("apply", "--server-side", "--field-manager=keyd", "-f", "-", stdin=SECRET_YAML % KEY_B64)
        self.assertEqual(p.stdout.strip(), "secret/ipfs-swarm-key serverside-applied")
        ssa = self.double.requests(method="PATCH", resource="secrets")[0]
        self.assertEqual((ssa["content_type"], ssa["query"]["fieldManager"], ssa["status"]),
                         ("application/apply-patch+yaml", "keyd", 201))
        s = self.k.json("get", "secret", "ipfs-swarm-key")
        self.assertEqual(base64.b64decode(s["data"]["swarm.key"]).decode(), KEY)

    def test_patch_types_and_server_dry_run(self):
        self.apply(SECRET_YAML % KEY_B64)
        self.k("patch", "secret", "ipfs-swarm-key", "--type=merge", "-p", '{"metadata":{"annotations":{"a":"1"}}}')
        self.k("patch", "secret", "ipfs-swarm-key", "--type=json", "-p",
               '[{"op":"add","path":"/metadata/annotations/b","value":"2"}]')
        ann = self.k.json("get", "secret", "ipfs-swarm-key")["metadata"]["annotations"]
        self.assertEqual((ann["a"], ann["b"]), ("1", "2"))
        if self.k.minor < 29:
            return   # older kubectl checks dry-run support in /openapi/v2, which the double does not serve
        p = self.k("apply", "--dry-run=server", "-f", "-", stdin=(SECRET_YAML % KEY_B64).replace("ipfs-swarm-key", "dry"))
        self.assertIn("secret/dry created (server dry run)", p.stdout)
        self.assertEqual(self.k("get", "secret", "dry", check=False).returncode, 1)


class StatefulSets(Base):
    def test_apply_defaults_and_get_json(self):
        self.assertEqual(self.apply(sts_yaml()).stdout.strip(), "statefulset.apps/ipfs created")
        sts = self.sts()
        self.assertEqual(sts["metadata"]["generation"], 1)
        self.assertEqual(sts["spec"]["updateStrategy"], {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        self.assertEqual(sts["spec"]["podManagementPolicy"], "OrderedReady")
        c = sts["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual((c["imagePullPolicy"], c["terminationMessagePath"]), ("IfNotPresent", "/dev/termination-log"))
        self.rollout_done()
        sts = self.sts()
        pods = self.pods()
        self.assertEqual(sorted(p["metadata"]["name"] for p in pods), ["ipfs-0", "ipfs-1", "ipfs-2"])
        for p in pods:
            self.assertEqual(p["metadata"]["labels"]["controller-revision-hash"], sts["status"]["updateRevision"])
        st = sts["status"]
        self.assertEqual((st["observedGeneration"], st["replicas"], st["readyReplicas"], st["updatedReplicas"]),
                         (1, 3, 3, 3))
        self.assertRegex(self.k("get", "sts").stdout.splitlines()[1], r"^ipfs\s+3/3\s+\d+s$")

    def test_reapply_merges_containers_by_name(self):
        self.apply(sts_yaml())
        self.rollout_done()
        changed = sts_yaml().replace("busybox:1.36", "busybox:1.37")
        self.assertEqual(self.apply(changed).stdout.strip(), "statefulset.apps/ipfs configured")
        sts = self.sts()
        self.assertEqual(sts["metadata"]["generation"], 2)
        images = [(c["name"], c["image"]) for c in sts["spec"]["template"]["spec"]["containers"]]
        self.assertEqual(images, [("ipfs", "ipfs/kubo:v0.29.0"), ("sidecar", "busybox:1.37")])
        self.assertEqual(sts["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"], 4001)
        self.rollout_done()

    def test_rollout_restart_then_status_completes(self):
        self.apply(sts_yaml())
        self.rollout_done()
        gen = self.sts()["metadata"]["generation"]
        self.assertEqual(self.k("rollout", "restart", "sts/ipfs").stdout.strip(), "statefulset.apps/ipfs restarted")
        patch = self.double.requests(method="PATCH", resource="statefulsets")[-1]
        self.assertEqual((patch["content_type"], patch["query"].get("fieldManager")),
                         ("application/strategic-merge-patch+json", "kubectl-rollout"))
        self.assertEqual(self.sts()["metadata"]["generation"], gen + 1)
        self.rollout_done()
        sts = self.sts()
        stamp = sts["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
        for p in self.pods():
            self.assertEqual(p["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"], stamp)
        self.assertEqual(sts["status"]["currentRevision"], sts["status"]["updateRevision"])
        watches = self.double.requests(verb="watch", resource="statefulsets")
        self.assertTrue(watches and watches[-1]["query"]["fieldSelector"] == "metadata.name=ipfs")

    def test_rollout_status_times_out_while_stuck(self):
        self.apply(sts_yaml())
        self.rollout_done()
        self.double.control("POST", "controller", {"stuck": True})
        self.k("rollout", "restart", "sts/ipfs")
        started = time.monotonic()
        p = self.k("rollout", "status", "sts/ipfs", "--timeout=2s", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("timed out waiting for the condition", p.stderr)
        self.assertLess(time.monotonic() - started, 10)
        pods = {p["metadata"]["name"]: p for p in self.pods()}
        waiting = pods["ipfs-2"]["status"]["containerStatuses"][0]["state"].get("waiting", {})
        self.assertEqual(waiting.get("reason"), "CrashLoopBackOff")
        self.double.control("POST", "controller", {"stuck": False})
        self.rollout_done()

    def test_ondelete_never_rolls_by_itself(self):
        self.apply(sts_yaml(strategy="  updateStrategy:\n    type: OnDelete\n"))
        wait_for(lambda: self.sts().get("status", {}).get("readyReplicas") == 3, what="3 ready pods")
        p = self.k("rollout", "status", "sts/ipfs", "--timeout=5s", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("rollout status is only available for RollingUpdate strategy type", p.stderr)
        self.k("rollout", "restart", "sts/ipfs")
        time.sleep(0.5)
        sts = self.sts()
        self.assertNotEqual(sts["status"]["currentRevision"], sts["status"]["updateRevision"])
        self.assertEqual(sts["status"].get("updatedReplicas", 0), 0)
        self.k("delete", "pod", "ipfs-0")
        wait_for(lambda: self.sts()["status"].get("updatedReplicas") == 1, what="ipfs-0 recreated")
        pod = self.k.json("get", "pod", "ipfs-0")
        self.assertIn("kubectl.kubernetes.io/restartedAt", pod["metadata"]["annotations"])

    def test_scale_and_describe(self):
        self.apply(sts_yaml())
        self.rollout_done()
        self.assertEqual(self.k("scale", "sts/ipfs", "--replicas=2").stdout.strip(), "statefulset.apps/ipfs scaled")
        wait_for(lambda: len(self.pods()) == 2, what="scale down to 2")
        self.double.http("POST", "/api/v1/namespaces/%s/events" % NS, {
            "metadata": {"name": "ipfs.rotated"}, "type": "Normal", "reason": "SwarmKeyRotated",
            "message": "swarm key rotated to fingerprint abc", "involvedObject": {
                "kind": "StatefulSet", "apiVersion": "apps/v1", "namespace": NS, "name": "ipfs",
                "uid": self.sts()["metadata"]["uid"]}, "source": {"component": "keyd"}})
        out = self.k("describe", "sts", "ipfs").stdout
        self.assertRegex(out, r"Replicas:\s+2 desired \| 2 total")
        self.assertRegex(out, r"Normal\s+SwarmKeyRotated\s+.*swarm key rotated to fingerprint abc")


class OtherWorkloads(Base):
    def test_deployment_and_daemonset_roll(self):
        self.apply(DEPLOY_YAML % {"paused": "false"})
        self.apply(DS_YAML)
        self.rollout_done("deployment/gateway")
        self.rollout_done("daemonset/cluster-agent")
        self.k("rollout", "restart", "deployment/gateway")
        self.k("rollout", "restart", "daemonset/cluster-agent")
        self.rollout_done("deployment/gateway")
        self.rollout_done("daemonset/cluster-agent")
        self.assertEqual(len(self.pods("app=gateway")), 2)
        self.assertEqual(len(self.pods("app=cluster-agent")), 2)

    def test_paused_deployment_is_refused_by_rollout_restart(self):
        self.apply(DEPLOY_YAML % {"paused": "true"})
        p = self.k("rollout", "restart", "deployment/gateway", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("can't restart paused deployment (run rollout resume first)", p.stderr)
        self.k("rollout", "resume", "deployment/gateway")
        self.rollout_done("deployment/gateway")


class Auth(Base):
    READER = [{"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"], "namespaces": [NS],
               "resourceNames": ["ipfs-swarm-key"]}]

    def test_can_i(self):
        self.assertEqual(self.k("auth", "can-i", "patch", "statefulsets.apps/ipfs").stdout.strip(), "yes")
        kc = self.user_kubeconfig("reader", self.READER)
        self.assertEqual(self.k("auth", "can-i", "get", "secrets/ipfs-swarm-key", kubeconfig=kc).stdout.strip(), "yes")
        p = self.k("auth", "can-i", "list", "secrets", kubeconfig=kc, check=False)
        self.assertEqual((p.returncode, p.stdout.strip()), (1, "no"))
        p = self.k("auth", "can-i", "patch", "statefulsets.apps/ipfs", kubeconfig=kc, check=False)
        self.assertEqual((p.returncode, p.stdout.strip()), (1, "no"))

    def test_can_i_list_reads_a_self_subject_rules_review(self):
        # kubectl auth can-i --list POSTs a SelfSubjectRulesReview for the namespace and prints its rules
        kc = self.user_kubeconfig("reader", self.READER)
        out = self.k("auth", "can-i", "--list", "-n", NS, kubeconfig=kc).stdout
        rows = [line.split() for line in out.splitlines()[1:]]
        self.assertIn(["secrets", "[]", "[ipfs-swarm-key]", "[get]"], rows)
        self.assertIn(["selfsubjectrulesreviews.authorization.k8s.io", "[]", "[]", "[create]"], rows)
        self.assertFalse(any(r[0].startswith("statefulsets") for r in rows), out)
        # another namespace: the namespaced rule does not apply there
        out = self.k("auth", "can-i", "--list", "-n", "elsewhere", kubeconfig=kc).stdout
        self.assertNotIn("ipfs-swarm-key", out)
        # the admin (system:masters) may do everything
        out = self.k("auth", "can-i", "--list", "-n", NS).stdout
        self.assertIn(["*.*", "[]", "[]", "[*]"], [line.split() for line in out.splitlines()[1:]])

    def test_restricted_user_gets_403_and_bad_token_401(self):
        self.apply(SECRET_YAML % KEY_B64)
        kc = self.user_kubeconfig("reader", self.READER)
        self.k("get", "secret", "ipfs-swarm-key", kubeconfig=kc)
        p = self.k("get", "secret", "other", kubeconfig=kc, check=False)
        self.assertIn('Error from server (Forbidden): secrets "other" is forbidden: User "reader" cannot get '
                      'resource "secrets" in API group "" in the namespace "ipfs-system"', p.stderr)
        p = self.k("rollout", "restart", "sts/ipfs", kubeconfig=kc, check=False)
        self.assertIn('statefulsets.apps "ipfs" is forbidden: User "reader" cannot get resource "statefulsets" in '
                      'API group "apps" in the namespace "ipfs-system"', p.stderr)
        bad = self.double.kubeconfig(os.path.join(self.dir, "kc-bad"), token="not-a-token")
        p = self.k("get", "secrets", kubeconfig=bad, check=False)
        self.assertIn("error: You must be logged in to the server (Unauthorized)", p.stderr)

    def test_client_certificates(self):
        kc = self.double.kubeconfig(os.path.join(self.dir, "kc-cert"), cert=os.path.join(self.certs, "admin-client.crt"),
                                    key=os.path.join(self.certs, "admin-client.key"))
        self.apply(sts_yaml(), kubeconfig=kc)
        self.rollout_done()
        if self.k.minor >= 28:
            out = self.k("auth", "whoami", kubeconfig=kc).stdout
            self.assertRegex(out, r"Username\s+kube-admin")
            self.assertIn("system:masters", out)
        self.assertEqual(self.double.requests(method="POST", resource="statefulsets")[-1]["auth"], "client-cert")
        rk = self.double.kubeconfig(os.path.join(self.dir, "kc-reader-cert"),
                                    cert=os.path.join(self.certs, "reader-client.crt"),
                                    key=os.path.join(self.certs, "reader-client.key"))
        p = self.k("get", "sts", "ipfs", kubeconfig=rk, check=False)
        self.assertIn('User "cert-reader" cannot get resource "statefulsets"', p.stderr)
        self.double.control("POST", "rules", {"user": "cert-reader", "rules": [
            {"verbs": ["get", "list", "watch"], "apiGroups": ["apps"], "resources": ["statefulsets"]}]})
        self.k("get", "sts", "ipfs", kubeconfig=rk)
        sk = self.double.kubeconfig(os.path.join(self.dir, "kc-stranger"),
                                    cert=os.path.join(self.certs, "stranger-client.crt"),
                                    key=os.path.join(self.certs, "stranger-client.key"))
        self.assertNotEqual(self.k("get", "ns", kubeconfig=sk, check=False, timeout=20).returncode, 0)


class Rbac(Base):
    """ServiceAccounts, Roles and RoleBindings are stored (they do not change the double's own authorization)."""

    def test_apply_get_reapply_delete_service_account_role_binding(self):
        out = self.k("api-resources").stdout
        for line in (r"serviceaccounts\s+sa\s+v1\s+true\s+ServiceAccount",
                     r"roles\s+rbac.authorization.k8s.io/v1\s+true\s+Role",
                     r"rolebindings\s+rbac.authorization.k8s.io/v1\s+true\s+RoleBinding",
                     r"clusterroles\s+rbac.authorization.k8s.io/v1\s+false\s+ClusterRole"):
            self.assertRegex(out, line)
        p = self.apply(RBAC_YAML % "get, update")
        self.assertEqual(p.stdout.splitlines(), ["serviceaccount/keyd created", "role.rbac.authorization.k8s.io/keyd created",
                                                 "rolebinding.rbac.authorization.k8s.io/keyd created"])
        self.assertEqual(self.k.json("get", "sa", "keyd")["metadata"]["name"], "keyd")
        role = self.k.json("get", "role", "keyd")
        self.assertEqual(role["rules"][0], {"apiGroups": [""], "resources": ["secrets"],
                                            "resourceNames": ["ipfs-swarm-key"], "verbs": ["get", "update"]})
        rb = self.k.json("get", "rolebinding", "keyd")
        self.assertEqual(rb["roleRef"], {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "keyd"})
        self.assertEqual(rb["subjects"], [{"kind": "ServiceAccount", "name": "keyd", "namespace": NS}])
        table = self.k("get", "rolebindings", "-o", "wide").stdout.splitlines()
        self.assertRegex(table[0], r"^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS$")
        self.assertRegex(table[1], r"^keyd\s+Role/keyd\s+\d+s\s+ipfs-system/keyd$")
        self.assertRegex(self.k("get", "roles").stdout.splitlines()[1], r"^keyd\s+\d{4}-\d\d-\d\dT[\d:]+Z$")
        self.assertRegex(self.k("get", "sa").stdout.splitlines()[1], r"^keyd\s+0\s+\d+s$")
        rv = role["metadata"]["resourceVersion"]
        p = self.apply(RBAC_YAML % "get, update")
        self.assertEqual(p.stdout.splitlines(), ["serviceaccount/keyd unchanged", "role.rbac.authorization.k8s.io/keyd unchanged",
                                                 "rolebinding.rbac.authorization.k8s.io/keyd unchanged"])
        self.assertEqual(self.k.json("get", "role", "keyd")["metadata"]["resourceVersion"], rv)
        p = self.apply(RBAC_YAML % "get")
        self.assertIn("role.rbac.authorization.k8s.io/keyd configured", p.stdout)
        self.assertEqual(self.k.json("get", "role", "keyd")["rules"][0]["verbs"], ["get"])   # rules are atomic
        p = self.apply(RBAC_YAML.replace("kind: Role\n  name: keyd", "kind: Role\n  name: other") % "get", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('The RoleBinding "keyd" is invalid: roleRef: Invalid value: '
                      'rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change '
                      'roleRef', p.stderr)
        p = self.k("delete", "-f", "-", stdin=RBAC_YAML % "get")
        self.assertEqual(p.stdout.splitlines(), ['serviceaccount "keyd" deleted', 'role.rbac.authorization.k8s.io "keyd" '
                                                 'deleted', 'rolebinding.rbac.authorization.k8s.io "keyd" deleted'])
        p = self.k("get", "role", "keyd", check=False)
        self.assertIn('Error from server (NotFound): roles.rbac.authorization.k8s.io "keyd" not found', p.stderr)
        if self.k.minor >= 32:   # typed create commands send protobuf
            self.assertEqual(self.k("create", "sa", "other").stdout.strip(), "serviceaccount/other created")
            self.k("create", "role", "r2", "--verb=get", "--resource=secrets", "--resource-name=x")
            self.k("create", "rolebinding", "rb2", "--role=r2", "--serviceaccount=%s:other" % NS, "--user=alice")
            rb = self.k.json("get", "rolebinding", "rb2")
            self.assertEqual(rb["subjects"], [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
                                              {"kind": "ServiceAccount", "name": "other", "namespace": NS}])
            self.assertEqual(self.k.json("get", "role", "r2")["rules"], [
                {"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"], "resourceNames": ["x"]}])


class BundleKinds(Base):
    """Services, NetworkPolicies and CronJobs: created, read and applied as keyd bundle's output needs."""

    def test_discovery_lists_the_kinds(self):
        out = self.k("api-resources").stdout
        for line in (r"services\s+svc\s+v1\s+true\s+Service",
                     r"persistentvolumeclaims\s+pvc\s+v1\s+true\s+PersistentVolumeClaim",
                     r"networkpolicies\s+netpol\s+networking.k8s.io/v1\s+true\s+NetworkPolicy",
                     r"cronjobs\s+cj\s+batch/v1\s+true\s+CronJob", r"jobs\s+batch/v1\s+true\s+Job"):
            self.assertRegex(out, line)

    def test_service_create_get_apply_merges_ports_and_keeps_the_cluster_ip(self):
        p = self.k("create", "-f", "-", stdin=SERVICE_YAML % "")
        self.assertEqual(p.stdout.strip(), "service/ipfs created")
        svc = self.k.json("get", "svc", "ipfs")
        ip = svc["spec"]["clusterIP"]
        self.assertRegex(ip, r"^10\.96\.\d+\.\d+$")
        self.assertEqual((svc["spec"]["type"], svc["spec"]["sessionAffinity"]), ("ClusterIP", "None"))
        self.assertEqual(svc["spec"]["ports"][1], {"name": "api", "port": 5001, "protocol": "TCP", "targetPort": 5001})
        self.k("delete", "svc", "ipfs")
        self.assertEqual(self.apply(SERVICE_YAML % "").stdout.strip(), "service/ipfs created")
        ip = self.k.json("get", "svc", "ipfs")["spec"]["clusterIP"]
        self.assertEqual(self.apply(SERVICE_YAML % "").stdout.strip(), "service/ipfs unchanged")
        gateway = "    - name: gateway\n      port: 8080\n"
        self.assertEqual(self.apply(SERVICE_YAML % gateway).stdout.strip(), "service/ipfs configured")
        patch = self.double.requests(method="PATCH", resource="services")[-1]
        self.assertEqual(patch["content_type"], "application/strategic-merge-patch+json")
        svc = self.k.json("get", "svc", "ipfs")
        self.assertEqual([p["port"] for p in svc["spec"]["ports"]], [4001, 5001, 8080])
        self.assertEqual(svc["spec"]["clusterIP"], ip)
        p = self.k("create", "-f", "-", stdin=(SERVICE_YAML % "").replace("name: api", "name: swarm").replace("name: ipfs", "name: dup"),
                   check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('The Service "dup" is invalid: spec.ports[1].name: Duplicate value: "swarm"', p.stderr)

    def test_network_policy_defaults_and_atomic_rules(self):
        p = self.k("create", "-f", "-", stdin=NETPOL_YAML % "10.147.17.0/24")
        self.assertEqual(p.stdout.strip(), "networkpolicy.networking.k8s.io/ipfs created")
        pol = self.k.json("get", "netpol", "ipfs")
        self.assertEqual(pol["spec"]["policyTypes"], ["Ingress"])
        self.assertEqual(pol["spec"]["ingress"][0]["ports"], [{"port": 4001, "protocol": "TCP"}])
        self.k("delete", "netpol", "ipfs")
        self.apply(NETPOL_YAML % "10.147.17.0/24")
        self.assertEqual(self.apply(NETPOL_YAML % "10.147.18.0/24").stdout.strip(),
                         "networkpolicy.networking.k8s.io/ipfs configured")
        pol = self.k.json("get", "netpol", "ipfs")
        self.assertEqual(pol["spec"]["ingress"][0]["from"], [{"ipBlock": {"cidr": "10.147.18.0/24"}}])
        self.assertEqual(pol["metadata"]["generation"], 2)
        p = self.apply(NETPOL_YAML.replace("        - ipBlock:\n            cidr: %s\n", "        - {}\n"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("spec.ingress[0].from[0]: Required value: must specify a peer", p.stderr)

    def test_cronjob_defaults_validation_and_apply(self):
        p = self.k("create", "-f", "-", stdin=CRONJOB_YAML % ("0 3 * * 1", "Never"))
        self.assertEqual(p.stdout.strip(), "cronjob.batch/keyd created")
        cj = self.k.json("get", "cj", "keyd")
        self.assertEqual((cj["spec"]["concurrencyPolicy"], cj["spec"]["suspend"], cj["spec"]["successfulJobsHistoryLimit"],
                          cj["spec"]["failedJobsHistoryLimit"]), ("Forbid", False, 3, 1))
        self.assertEqual(cj["spec"]["jobTemplate"]["spec"]["backoffLimit"], 6)
        pod = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        self.assertEqual(pod["containers"][0]["imagePullPolicy"], "IfNotPresent")
        self.k("delete", "cj", "keyd")
        self.apply(CRONJOB_YAML % ("0 3 * * 1", "Never"))
        self.assertEqual(self.apply(CRONJOB_YAML % ("@daily", "Never")).stdout.strip(), "cronjob.batch/keyd configured")
        self.assertEqual(self.k.json("get", "cj", "keyd")["spec"]["schedule"], "@daily")
        p = self.apply(CRONJOB_YAML % ("@daily", "Always"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: '
                      '"OnFailure", "Never"', p.stderr)


PDB_YAML = """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ipfs
spec:
%s  selector:
    matchLabels:
      app.kubernetes.io/name: ipfs
"""


class PodDisruptionBudgets(Base):
    """policy/v1 PodDisruptionBudgets, as keyd bundle renders one for a StatefulSet of several nodes."""

    def test_create_reapply_and_validation(self):
        self.assertRegex(self.k("api-resources").stdout,
                         r"poddisruptionbudgets\s+pdb\s+policy/v1\s+true\s+PodDisruptionBudget")
        self.assertEqual(self.apply(PDB_YAML % "  maxUnavailable: 1\n").stdout.strip(),
                         "poddisruptionbudget.policy/ipfs created")
        pdb = self.k.json("get", "pdb", "ipfs")
        self.assertEqual(pdb["spec"], {"maxUnavailable": 1,
                                       "selector": {"matchLabels": {"app.kubernetes.io/name": "ipfs"}}})
        # kubectl always sends spec.selector again (its patchStrategy is replace): "configured", though
        # nothing changed, and the object's generation stays 1.
        self.assertEqual(self.apply(PDB_YAML % "  maxUnavailable: 1\n").stdout.strip(),
                         "poddisruptionbudget.policy/ipfs configured")
        self.assertEqual(self.k.json("get", "pdb", "ipfs")["metadata"]["generation"], 1)
        p = self.apply(PDB_YAML % "  maxUnavailable: 1\n  minAvailable: 2\n", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("minAvailable and maxUnavailable cannot be both set", p.stderr)
        p = self.apply(PDB_YAML % "  maxUnavailable: -1\n", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("spec.maxUnavailable", p.stderr)
        self.k("delete", "pdb", "ipfs")


class Faults(Base):
    def test_retry_after_is_honoured_and_500_is_reported(self):
        self.apply(SECRET_YAML % KEY_B64)
        self.double.control("POST", "faults", {"method": "GET", "path": "/secrets/ipfs-swarm-key$", "times": 1,
                                               "status": 429, "headers": {"Retry-After": "1"}})
        self.double.control("DELETE", "requests")
        self.k("get", "secret", "ipfs-swarm-key")
        gets = self.double.requests(method="GET", resource="secrets")
        self.assertEqual([g["status"] for g in gets], [429, 200])
        self.double.control("POST", "faults", {"method": "GET", "path": "/secrets/ipfs-swarm-key$", "times": 1,
                                               "status": 500, "message": "etcd is sad"})
        p = self.k("get", "secret", "ipfs-swarm-key", check=False)
        self.assertIn("Error from server (InternalError): etcd is sad", p.stderr)


class TokenReviews(Base):
    """`kubectl create -f tokenreview.json -o json` as keyd's daemon sends TokenReviews (admin kubeconfig).
    --validate=false: the double's /openapi/v3 has no authentication.k8s.io document to validate against."""

    SA = "system:serviceaccount:ipfs:ipfs-overlay"

    def review(self, token, audiences=("keyd",), kubeconfig=None, check=True):
        path = os.path.join(self.dir, "tokenreview.json")
        with open(path, "w") as fh:
            json.dump({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                       "spec": {"token": token, "audiences": list(audiences)}}, fh)
        p = self.k("create", "--validate=false", "-f", path, "-o", "json", kubeconfig=kubeconfig, check=check)
        os.unlink(path)
        return json.loads(p.stdout) if p.returncode == 0 else p

    def test_valid_token_is_authenticated_with_user_groups_and_audiences(self):
        token = self.double.sa_token(self.SA, ["keyd", "other"])
        tr = self.review(token)
        self.assertEqual((tr["kind"], tr["apiVersion"]), ("TokenReview", "authentication.k8s.io/v1"))
        st = tr["status"]
        self.assertIs(st["authenticated"], True)
        self.assertEqual(st["user"]["username"], self.SA)
        self.assertEqual(st["user"]["groups"],
                         ["system:serviceaccounts", "system:serviceaccounts:ipfs", "system:authenticated"])
        self.assertTrue(st["user"]["uid"])
        self.assertEqual(st["audiences"], ["keyd"])
        self.assertNotIn("extra", st["user"])
        self.assertNotIn(token, json.dumps(tr))
        self.assertEqual(self.double.requests(resource="tokenreviews")[-1]["status"], 201)

    def test_bound_token_carries_the_pod_in_user_extra(self):
        token = self.double.sa_token(self.SA, ["keyd"], pod="ipfs-0", uid="7d1c50a4-1b35-4f4e-b1d2-8c0f5a9e3b21")
        st = self.review(token)["status"]
        self.assertIs(st["authenticated"], True)
        self.assertEqual(st["user"]["extra"], {"authentication.kubernetes.io/pod-name": ["ipfs-0"],
                                               "authentication.kubernetes.io/pod-uid":
                                                   ["7d1c50a4-1b35-4f4e-b1d2-8c0f5a9e3b21"]})

    def test_unknown_token_is_not_authenticated_and_says_why(self):
        st = self.review("kd-never-issued")["status"]
        self.assertFalse(st.get("authenticated", False))
        self.assertEqual(st.get("user"), {})
        self.assertIn("invalid bearer token", st["error"])

    def test_audience_mismatch_is_not_authenticated(self):
        token = self.double.sa_token(self.SA, ["vault"])
        st = self.review(token, audiences=["keyd"])["status"]
        self.assertFalse(st.get("authenticated", False))
        self.assertIn('token audiences ["vault"] is invalid for the target audiences ["keyd"]', st["error"])
        self.assertIs(self.review(token, audiences=["vault"])["status"]["authenticated"], True)

    def test_caller_without_create_tokenreviews_gets_403(self):
        token = self.double.sa_token(self.SA, ["keyd"])
        kc = self.user_kubeconfig("reader", [{"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"]}])
        p = self.review(token, kubeconfig=kc, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('Error from server (Forbidden): error when creating', p.stderr)
        self.assertIn('tokenreviews.authentication.k8s.io is forbidden: User "reader" cannot create resource '
                      '"tokenreviews" in API group "authentication.k8s.io" at the cluster scope', p.stderr)
        kc = self.user_kubeconfig("delegator", [{"verbs": ["create"], "apiGroups": ["authentication.k8s.io"],
                                                 "resources": ["tokenreviews"]}])
        self.assertIs(self.review(token, kubeconfig=kc)["status"]["authenticated"], True)


class Result(unittest.TextTestResult):
    pass


def main():
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=Result)
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors)
    print("kube-kubectl: passed=%d failed=%d" % (result.testsRun - failed - len(result.skipped), failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
