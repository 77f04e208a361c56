#!/usr/bin/python3
"""Conformance: Debian's python3-kubernetes (22.6) drives the kube-apiserver double.

Run with /usr/bin/python3. Starts its own double on 127.0.0.1 (HTTPS, client certificates accepted) and
loads a generated kubeconfig with `kubernetes.config`. A few checks hand over to the real kubectl so the
two clients must agree. Prints `kube-python: passed=N failed=M` last."""

import base64
import datetime
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest

for _name in [k for k in os.environ if k.startswith("KUBERNETES_") or k == "KUBECONFIG"]:
    del os.environ[_name]  # the client must see only the generated kubeconfig

from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kubedoublectl import DEPLOY_YAML, NS, KubeDouble, Kubectl, make_certs, sts_yaml, tmp_root, wait_for  # noqa: E402

KEY = "/key/swarm/psk/1.0.0/\n/base16/\n" + "ab" * 32 + "\n"
FP = "keyd.io/swarm-key-fingerprint"


def b64(text):
    return base64.b64encode(text.encode()).decode()


def status_of(exc):
    return json.loads(exc.body)


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = make_certs()
        cls.double = KubeDouble(cls.certs).start()
        cls.dir = tempfile.mkdtemp(prefix="kube-python-", dir=tmp_root())
        cls.kc = cls.double.kubeconfig(os.path.join(cls.dir, "kubeconfig"))
        cls.k = Kubectl(cls.kc, os.path.join(cls.dir, "cache"))
        cls.api = cls.client_for(cls.kc)

    @classmethod
    def client_for(cls, kubeconfig):
        cfg = client.Configuration()
        config.load_kube_config(config_file=kubeconfig, client_configuration=cfg)
        return client.ApiClient(cfg)

    @classmethod
    def tearDownClass(cls):
        cls.api.close()
        log = cls.double.log_text()
        rc = cls.double.stop()
        cls.double.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert rc == 0, "double exited with %r: %s" % (rc, log)

    def setUp(self):
        self.double.reset()
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)

    def secret(self, name="ipfs-swarm-key", **kw):
        meta = client.V1ObjectMeta(name=name, labels={"app.kubernetes.io/managed-by": "keyd"})
        return self.core.create_namespaced_secret(NS, client.V1Secret(metadata=meta, type="Opaque",
                                                                      data={"swarm.key": b64(KEY)}, **kw))

    def statefulset(self, replicas=3):
        self.k("apply", "-f", "-", stdin=sts_yaml(replicas=replicas))
        return wait_for(lambda: self._complete(), what="statefulset rolled out")

    def _complete(self):
        s = self.apps.read_namespaced_stateful_set_status("ipfs", NS)
        st = s.status
        ok = st is not None and (st.observed_generation == s.metadata.generation and st.ready_replicas == s.spec.replicas
              and st.updated_replicas == s.spec.replicas and st.current_revision == st.update_revision)
        return s if ok else None


class Secrets(Base):
    def test_read_create_replace_conflict(self):
        created = self.secret()
        self.assertEqual(base64.b64decode(created.data["swarm.key"]).decode(), KEY)
        read = self.core.read_namespaced_secret("ipfs-swarm-key", NS)
        self.assertEqual(read.metadata.resource_version, created.metadata.resource_version)
        read.metadata.annotations = {FP: "f1"}
        replaced = self.core.replace_namespaced_secret("ipfs-swarm-key", NS, read)
        self.assertGreater(int(replaced.metadata.resource_version), int(read.metadata.resource_version))
        self.double.control("POST", "objects", {"resource": "secrets", "namespace": NS, "name": "ipfs-swarm-key"})
        replaced.metadata.annotations = {FP: "f2"}
        with self.assertRaises(ApiException) as cm:
            self.core.replace_namespaced_secret("ipfs-swarm-key", NS, replaced)
        self.assertEqual(cm.exception.status, 409)
        self.assertEqual(status_of(cm.exception), {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": 'Operation cannot be fulfilled on secrets "ipfs-swarm-key": the object has been modified; '
                       "please apply your changes to the latest version and try again",
            "reason": "Conflict", "details": {"name": "ipfs-swarm-key", "kind": "secrets"}, "code": 409})
        self.assertEqual(self.k("get", "secret", "ipfs-swarm-key", "-o",
                                "jsonpath={.metadata.annotations.keyd\\.io/swarm-key-fingerprint}").stdout, "f1")

    def test_exact_not_found_already_exists_and_delete_status(self):
        with self.assertRaises(ApiException) as cm:
            self.core.read_namespaced_secret("ipfs-swarm-key", NS)
        self.assertEqual(cm.exception.body.strip(), '{"kind":"Status","apiVersion":"v1","metadata":{},"status":'
                         '"Failure","message":"secrets \\"ipfs-swarm-key\\" not found","reason":"NotFound","details":'
                         '{"name":"ipfs-swarm-key","kind":"secrets"},"code":404}')
        self.secret()
        with self.assertRaises(ApiException) as cm:
            self.secret()
        self.assertEqual((cm.exception.status, status_of(cm.exception)["reason"]), (409, "AlreadyExists"))
        resp = self.core.delete_namespaced_secret("ipfs-swarm-key", NS, _preload_content=False)
        body = json.loads(resp.data)
        self.assertEqual(body["status"], "Success")
        self.assertNotIn("code", body)
        with self.assertRaises(ApiException) as cm:
            self.core.create_namespaced_secret("nope", client.V1Secret(metadata=client.V1ObjectMeta(name="x")))
        self.assertEqual(status_of(cm.exception)["message"], 'namespaces "nope" not found')

    def test_patch_with_stale_resource_version_and_string_data(self):
        created = self.secret()
        patched = self.core.patch_namespaced_secret("ipfs-swarm-key", NS, {"metadata": {
            "resourceVersion": created.metadata.resource_version, "annotations": {FP: "f1"}},
            "stringData": {"extra": "x"}})
        self.assertEqual(patched.metadata.annotations[FP], "f1")
        self.assertEqual(base64.b64decode(patched.data["extra"]).decode(), "x")
        self.assertIsNone(patched.string_data)
        with self.assertRaises(ApiException) as cm:
            self.core.patch_namespaced_secret("ipfs-swarm-key", NS, {"metadata": {
                "resourceVersion": created.metadata.resource_version, "annotations": {FP: "f2"}}})
        self.assertEqual((cm.exception.status, status_of(cm.exception)["reason"]), (409, "Conflict"))
        out = self.core.patch_namespaced_secret("ipfs-swarm-key", NS, [
            {"op": "replace", "path": "/metadata/annotations/" + FP.replace("/", "~1"), "value": "f3"}])
        self.assertEqual(out.metadata.annotations[FP], "f3")
        self.assertEqual(self.double.requests(method="PATCH")[-1]["content_type"], "application/json-patch+json")

    def test_validation_immutable_and_type(self):
        with self.assertRaises(ApiException) as cm:
            self.core.create_namespaced_secret(NS, client.V1Secret(metadata=client.V1ObjectMeta(name="bad"),
                                                                   data={"bad key": b64("x")}))
        st = status_of(cm.exception)
        self.assertEqual((cm.exception.status, st["reason"], st["details"]["kind"]), (422, "Invalid", "Secret"))
        self.assertTrue(st["message"].startswith('Secret "bad" is invalid: data[bad key]: Invalid value: "bad key": '
                                                 "a valid config key must consist of alphanumeric characters"))
        with self.assertRaises(ApiException) as cm:
            self.core.create_namespaced_secret(NS, client.V1Secret(metadata=client.V1ObjectMeta(name="big"),
                                                                   data={"blob": b64("x" * (1024 * 1024 + 1))}))
        self.assertEqual(status_of(cm.exception)["message"],
                         'Secret "big" is invalid: data: Too long: must have at most 1048576 bytes')
        self.secret(immutable=True)
        with self.assertRaises(ApiException) as cm:
            self.core.patch_namespaced_secret("ipfs-swarm-key", NS, {"data": {"swarm.key": b64("other")}})
        self.assertEqual(status_of(cm.exception)["message"], 'Secret "ipfs-swarm-key" is invalid: data: Forbidden: '
                         "field is immutable when `immutable` is set")
        self.core.create_namespaced_secret(NS, client.V1Secret(metadata=client.V1ObjectMeta(name="t"),
                                                               string_data={"a": "b"}))
        with self.assertRaises(ApiException) as cm:
            self.core.patch_namespaced_secret("t", NS, {"type": "kubernetes.io/tls"})
        self.assertIn('type: Invalid value: "kubernetes.io/tls": field is immutable', status_of(cm.exception)["message"])


class StatefulSets(Base):
    def test_strategic_merge_patch_restarts_once_and_kubectl_agrees(self):
        sts = self.statefulset()
        body = {"spec": {"template": {"metadata": {"annotations": {FP: "fp-1"}}}}}
        self.double.control("POST", "controller", {"paused": True})   # no status writes in between
        p1 = self.apps.patch_namespaced_stateful_set("ipfs", NS, body, field_manager="keyd")
        self.assertEqual(p1.metadata.generation, sts.metadata.generation + 1)
        self.assertEqual(self.double.requests(method="PATCH")[-1]["content_type"],
                         "application/strategic-merge-patch+json")
        self.assertEqual(self.double.requests(method="PATCH")[-1]["query"]["fieldManager"], "keyd")
        p2 = self.apps.patch_namespaced_stateful_set("ipfs", NS, body, field_manager="keyd")
        self.assertEqual((p2.metadata.generation, p2.metadata.resource_version),
                         (p1.metadata.generation, p1.metadata.resource_version), "same value must be a no-op")
        self.double.control("POST", "controller", {"paused": False})
        names = [c.name for c in p2.spec.template.spec.containers]
        self.assertEqual(names, ["ipfs", "sidecar"])
        self.k("rollout", "status", "sts/ipfs", "--timeout=30s")
        done = self.apps.read_namespaced_stateful_set_status("ipfs", NS)
        st = done.status
        self.assertEqual((st.observed_generation, st.ready_replicas, st.updated_replicas, st.current_replicas),
                         (p1.metadata.generation, 3, 3, 3))
        pods = self.core.list_namespaced_pod(NS, label_selector="app=ipfs").items
        self.assertEqual(len(pods), 3)
        for pod in pods:
            self.assertEqual(pod.metadata.annotations[FP], "fp-1")
            self.assertEqual(pod.metadata.labels["controller-revision-hash"], st.update_revision)
        self.assertEqual(len(self.core.list_namespaced_pod(NS, label_selector="app in (ipfs),app!=x").items), 3)
        self.assertEqual(len(self.core.list_namespaced_pod(NS, label_selector="app=other").items), 0)

    def test_containers_merge_by_name_and_merge_patch_replaces(self):
        self.statefulset()
        out = self.apps.patch_namespaced_stateful_set("ipfs", NS, {"spec": {"template": {"spec": {"containers": [
            {"name": "sidecar", "image": "busybox:1.37"}]}}}})
        self.assertEqual([(c.name, c.image) for c in out.spec.template.spec.containers],
                         [("ipfs", "ipfs/kubo:v0.29.0"), ("sidecar", "busybox:1.37")])
        out = self.apps.patch_namespaced_stateful_set("ipfs", NS, {"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "ipfs"}],
            "containers": [{"name": "ipfs", "$patch": "delete"}]}}}})
        self.assertEqual([c.name for c in out.spec.template.spec.containers], ["sidecar"])
        status, _, body = self.double.http(
            "PATCH", "/apis/apps/v1/namespaces/%s/statefulsets/ipfs" % NS,
            {"spec": {"template": {"spec": {"containers": [{"name": "solo", "image": "busybox:1.37"}]}}}},
            content_type="application/merge-patch+json")
        self.assertEqual(status, 200)
        self.assertEqual([c["name"] for c in body["spec"]["template"]["spec"]["containers"]], ["solo"])

    def test_rolls_highest_ordinal_first_and_watch_streams_status(self):
        self.statefulset()
        deleted, events = [], []

        def watch_pods():
            for ev in watch.Watch().stream(self.core.list_namespaced_pod, NS, label_selector="app=ipfs",
                                           timeout_seconds=10):
                if ev["type"] == "DELETED":
                    deleted.append(ev["object"].metadata.name)
                if len(deleted) == 3:
                    return
        t = threading.Thread(target=watch_pods)
        t.start()
        rv = self.apps.read_namespaced_stateful_set("ipfs", NS).metadata.resource_version
        time.sleep(0.2)
        self.apps.patch_namespaced_stateful_set("ipfs", NS, {"spec": {"template": {"metadata": {
            "annotations": {FP: "fp-2"}}}}})
        w = watch.Watch()
        for ev in w.stream(self.apps.list_namespaced_stateful_set, NS, resource_version=rv, timeout_seconds=10):
            events.append(ev["type"])
            s = ev["object"]
            if s.status.updated_replicas == 3 and s.status.ready_replicas == 3 and \
                    s.status.current_revision == s.status.update_revision and s.status.observed_generation == 2:
                w.stop()
        t.join(10)
        self.assertEqual(deleted, ["ipfs-2", "ipfs-1", "ipfs-0"])
        self.assertIn("MODIFIED", events)
        self.double.control("POST", "compact")
        with self.assertRaises(ApiException) as cm:
            for _ in watch.Watch().stream(self.apps.list_namespaced_stateful_set, NS, resource_version=rv,
                                          timeout_seconds=2):
                pass
        self.assertEqual(cm.exception.status, 410)

    def test_status_subresource_and_stale_update(self):
        sts = self.statefulset(replicas=1)
        sts.spec.replicas = 2
        self.double.control("POST", "objects", {"resource": "statefulsets", "group": "apps", "namespace": NS,
                                                "name": "ipfs"})
        with self.assertRaises(ApiException) as cm:
            self.apps.replace_namespaced_stateful_set("ipfs", NS, sts)
        self.assertEqual(status_of(cm.exception)["details"], {"name": "ipfs", "group": "apps", "kind": "statefulsets"})
        with self.assertRaises(ApiException) as cm:
            self.apps.read_namespaced_stateful_set("nope", NS)
        self.assertEqual(status_of(cm.exception)["message"], 'statefulsets.apps "nope" not found')
        cur = self.apps.read_namespaced_stateful_set("ipfs", NS)
        out = self.apps.patch_namespaced_stateful_set_status("ipfs", NS, {"spec": {"replicas": 9},
                                                                         "status": {"replicas": 1}})
        self.assertEqual((out.spec.replicas, out.metadata.generation), (1, cur.metadata.generation))

    def test_paused_deployment_and_events(self):
        self.k("apply", "-f", "-", stdin=DEPLOY_YAML % {"paused": "true"})
        d = self.apps.read_namespaced_deployment("gateway", NS)
        self.assertTrue(d.spec.paused)
        self.assertEqual(d.spec.strategy.rolling_update.max_surge, "25%")
        ev = client.CoreV1Event(metadata=client.V1ObjectMeta(generate_name="gateway."), type="Normal",
                                reason="SwarmKeyRotated", message="rotated", involved_object=client.V1ObjectReference(
                                    kind="Deployment", name="gateway", namespace=NS, uid=d.metadata.uid))
        made = self.core.create_namespaced_event(NS, ev)
        self.assertTrue(made.metadata.name.startswith("gateway."))
        found = self.core.list_namespaced_event(NS, field_selector="involvedObject.name=gateway,reason=SwarmKeyRotated")
        self.assertEqual([e.reason for e in found.items], ["SwarmKeyRotated"])


class DoubleControl(Base):
    def test_delete_collection_recreates_pods_and_reset_ends_watches(self):
        self.statefulset()
        uids = {p.metadata.uid for p in self.core.list_namespaced_pod(NS, label_selector="app=ipfs").items}
        gone = json.loads(self.core.delete_collection_namespaced_pod(NS, label_selector="app=ipfs",
                                                                     _preload_content=False).data)
        self.assertEqual((gone["kind"], len(gone["items"])), ("PodList", 3))
        wait_for(lambda: self._complete(), what="pods recreated")
        fresh = {p.metadata.uid for p in self.core.list_namespaced_pod(NS, label_selector="app=ipfs").items}
        self.assertFalse(uids & fresh)
        started = time.monotonic()
        threading.Timer(0.3, self.double.reset).start()
        for _ in watch.Watch().stream(self.core.list_namespaced_secret, NS, timeout_seconds=20):
            pass
        self.assertLess(time.monotonic() - started, 5)

    def test_faults_respond_delay_drop_malformed(self):
        path = "/api/v1/namespaces/%s/secrets" % NS
        self.double.control("POST", "faults", {"method": "GET", "path": "/secrets$", "times": 1, "status": 503})
        with self.assertRaises(ApiException) as cm:
            self.core.list_namespaced_secret(NS)
        self.assertEqual((cm.exception.status, status_of(cm.exception)["reason"]), (503, "ServiceUnavailable"))
        self.double.control("POST", "faults", {"method": "GET", "path": "/secrets$", "times": 1, "delay_ms": 300})
        started = time.monotonic()
        self.core.list_namespaced_secret(NS)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        self.double.control("POST", "faults", {"path": "/secrets$", "times": 1, "action": "drop"})
        with self.assertRaises(Exception):
            self.double.http("GET", path)
        self.double.control("POST", "faults", {"path": "/secrets$", "times": 1, "action": "malformed"})
        status, _, body = self.double.http("GET", path)
        self.assertEqual(status, 200)
        self.assertIsInstance(body, str)
        faults = self.double.control("GET", "faults")["faults"]
        self.assertEqual([f["applied"] for f in faults], [1, 1, 1, 1])
        log = self.double.requests(path=path)
        self.assertEqual([r["fault"] for r in log], [1, 2, 3, 4])
        self.assertTrue(all(r["auth"] == "bearer" and r["user"] == "admin" for r in log))
        self.assertNotIn(self.double.admin_token, json.dumps(self.double.control("GET", "requests")))

    def test_client_certificate_user(self):
        kc = self.double.kubeconfig(os.path.join(self.dir, "kc-cert"), cert=os.path.join(self.certs, "admin-client.crt"),
                                    key=os.path.join(self.certs, "admin-client.key"))
        api = self.client_for(kc)
        names = [n.metadata.name for n in client.CoreV1Api(api).list_namespace().items]
        self.assertIn(NS, names)
        entry = self.double.requests(resource="namespaces")[-1]
        self.assertEqual((entry["auth"], entry["user"]), ("client-cert", "kube-admin"))
        rk = self.double.kubeconfig(os.path.join(self.dir, "kc-reader"), cert=os.path.join(self.certs, "reader-client.crt"),
                                    key=os.path.join(self.certs, "reader-client.key"))
        reader = self.client_for(rk)
        with self.assertRaises(ApiException) as cm:
            client.CoreV1Api(reader).list_namespace()
        self.assertEqual(status_of(cm.exception)["message"], 'namespaces is forbidden: User "cert-reader" cannot list '
                         'resource "namespaces" in API group "" at the cluster scope')
        reader.close()
        api.close()

    def test_plain_http(self):
        d = KubeDouble(tls=False).start()
        try:
            kc = d.kubeconfig(os.path.join(self.dir, "kc-plain"))
            api = self.client_for(kc)
            self.assertEqual([n.metadata.name for n in client.CoreV1Api(api).list_namespace().items],
                             ["default", "kube-node-lease", "kube-public", "kube-system"])
            api.close()
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()


class LeasesAndAccess(Base):
    def test_lease_create_replace_conflict_and_microtime(self):
        coord = client.CoordinationV1Api(self.api)
        now = datetime.datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc)
        spec = client.V1LeaseSpec(holder_identity="keyd-a", lease_duration_seconds=15, acquire_time=now,
                                  renew_time=now, lease_transitions=0)
        made = coord.create_namespaced_lease(NS, client.V1Lease(metadata=client.V1ObjectMeta(name="keyd"), spec=spec))
        raw = self.double.http("GET", "/apis/coordination.k8s.io/v1/namespaces/%s/leases/keyd" % NS)[2]
        self.assertEqual(raw["spec"]["renewTime"], "2025-01-02T03:04:05.123456Z")
        made.spec.holder_identity = "keyd-b"
        made.spec.lease_transitions = 1
        taken = coord.replace_namespaced_lease("keyd", NS, made)
        self.assertEqual(taken.spec.holder_identity, "keyd-b")
        with self.assertRaises(ApiException) as cm:
            coord.replace_namespaced_lease("keyd", NS, made)
        self.assertEqual(cm.exception.status, 409)
        made.metadata.resource_version = None
        with self.assertRaises(ApiException) as cm:
            coord.replace_namespaced_lease("keyd", NS, made)
        self.assertEqual(status_of(cm.exception)["message"], 'Lease.coordination.k8s.io "keyd" is invalid: '
                         "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update")
        fresh = client.V1Lease(metadata=client.V1ObjectMeta(name="other"), spec=spec)
        self.assertEqual(coord.replace_namespaced_lease("other", NS, fresh).spec.holder_identity, "keyd-a")
        status, _, body = self.double.http("POST", "/apis/coordination.k8s.io/v1/namespaces/%s/leases" % NS, {
            "metadata": {"name": "bad"}, "spec": {"renewTime": "2025-01-02T03:04:05Z"}})
        self.assertEqual((status, body["reason"]), (400, "BadRequest"))

    def test_self_subject_access_review_follows_rules(self):
        token = self.double.token_for("keyd", [
            {"verbs": ["get", "update", "patch"], "apiGroups": [""], "resources": ["secrets"], "namespaces": [NS],
             "resourceNames": ["ipfs-swarm-key"]},
            {"verbs": ["get", "patch"], "apiGroups": ["apps"], "resources": ["statefulsets"], "namespaces": [NS]}])
        api = self.client_for(self.double.kubeconfig(os.path.join(self.dir, "kc-keyd"), token=token))
        authz = client.AuthorizationV1Api(api)

        def can(verb, resource, group="", name=None):
            review = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=client.V1ResourceAttributes(namespace=NS, verb=verb, group=group,
                                                                resource=resource, name=name)))
            return authz.create_self_subject_access_review(review).status.allowed
        self.assertTrue(can("patch", "secrets", name="ipfs-swarm-key"))
        self.assertFalse(can("patch", "secrets", name="other"))
        self.assertFalse(can("create", "secrets"))
        self.assertTrue(can("patch", "statefulsets", "apps", "ipfs"))
        self.assertFalse(can("delete", "pods"))
        with self.assertRaises(ApiException) as cm:
            client.CoreV1Api(api).list_namespaced_pod(NS)
        self.assertEqual(status_of(cm.exception)["message"], 'pods is forbidden: User "keyd" cannot list resource '
                         '"pods" in API group "" in the namespace "ipfs-system"')
        api.close()

    def test_self_subject_rules_review_lists_the_rules_of_the_namespace(self):
        token = self.double.token_for("keyd-rules", [
            {"verbs": ["get", "update"], "apiGroups": [""], "resources": ["secrets"], "namespaces": [NS],
             "resourceNames": ["ipfs-swarm-key"]},
            {"verbs": ["create"], "apiGroups": [""], "resources": ["events"]}])
        api = self.client_for(self.double.kubeconfig(os.path.join(self.dir, "kc-rules"), token=token))
        authz = client.AuthorizationV1Api(api)

        def rules(ns):
            review = client.V1SelfSubjectRulesReview(spec=client.V1SelfSubjectRulesReviewSpec(namespace=ns))
            status = authz.create_self_subject_rules_review(review).status
            self.assertFalse(status.incomplete)
            return [(r.verbs, r.api_groups, r.resources, r.resource_names) for r in status.resource_rules]
        here = rules(NS)
        self.assertIn((["get", "update"], [""], ["secrets"], ["ipfs-swarm-key"]), here)
        self.assertIn((["create"], [""], ["events"], None), here)   # no namespaces: applies everywhere
        self.assertIn((["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                       None), here)
        there = rules("elsewhere")
        self.assertNotIn((["get", "update"], [""], ["secrets"], ["ipfs-swarm-key"]), there)
        self.assertIn((["create"], [""], ["events"], None), there)
        with self.assertRaises(ApiException) as cm:   # the apiserver needs the namespace
            authz.create_self_subject_rules_review(client.V1SelfSubjectRulesReview(
                spec=client.V1SelfSubjectRulesReviewSpec()))
        self.assertEqual((cm.exception.status, status_of(cm.exception)["message"]), (400, "no namespace on request"))
        api.close()

    def test_unsupported_patch_type_and_anonymous(self):
        status, _, body = self.double.http("PATCH", "/api/v1/namespaces/%s/secrets/x" % NS, {},
                                           content_type="application/xml")
        self.assertEqual((status, body["reason"]), (415, "UnsupportedMediaType"))
        status, _, body = self.double.http("GET", "/api/v1/namespaces", token=False)
        self.assertEqual(body, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": "Unauthorized", "reason": "Unauthorized", "code": 401})


class Rbac(Base):
    def test_service_account_role_and_binding_are_stored(self):
        rbac = client.RbacAuthorizationV1Api(self.api)
        subject = getattr(client, "RbacV1Subject", None) or client.V1Subject   # renamed in later clients
        meta = client.V1ObjectMeta(name="keyd", labels={"app.kubernetes.io/name": "keyd"})
        sa = self.core.create_namespaced_service_account(NS, client.V1ServiceAccount(metadata=meta))
        self.assertEqual(sa.metadata.namespace, NS)
        rule = client.V1PolicyRule(api_groups=[""], resources=["secrets"], resource_names=["ipfs-swarm-key"],
                                   verbs=["get", "update"])
        made = rbac.create_namespaced_role(NS, client.V1Role(metadata=meta, rules=[rule]))
        self.assertTrue(made.metadata.uid)
        role = rbac.read_namespaced_role("keyd", NS)
        self.assertEqual((role.rules[0].verbs, role.rules[0].resource_names), (["get", "update"], ["ipfs-swarm-key"]))
        self.assertEqual(role.metadata.resource_version, made.metadata.resource_version)
        self.assertEqual([r.metadata.name for r in rbac.list_namespaced_role(NS).items], ["keyd"])
        binding = client.V1RoleBinding(metadata=meta, role_ref=client.V1RoleRef(api_group="", kind="Role", name="keyd"),
                                       subjects=[subject(kind="ServiceAccount", name="keyd", namespace=NS),
                                                 subject(kind="User", name="alice")])
        rb = rbac.create_namespaced_role_binding(NS, binding)
        self.assertEqual(rb.role_ref.api_group, "rbac.authorization.k8s.io")   # defaulted, like subjects' apiGroup
        self.assertEqual([(s.kind, s.api_group) for s in rb.subjects],
                         [("ServiceAccount", None), ("User", "rbac.authorization.k8s.io")])
        with self.assertRaises(ApiException) as cm:
            rbac.create_namespaced_role(NS, client.V1Role(metadata=client.V1ObjectMeta(name="bad"), rules=[
                client.V1PolicyRule(verbs=["get"], resources=["secrets"], api_groups=[])]))
        self.assertEqual(status_of(cm.exception)["message"], 'Role.rbac.authorization.k8s.io "bad" is invalid: '
                         'rules[0].apiGroups: Required value: resource rules must supply at least one api group')
        with self.assertRaises(ApiException) as cm:
            rbac.create_namespaced_role(NS, client.V1Role(metadata=meta, rules=[rule]))
        self.assertEqual(status_of(cm.exception)["message"], 'roles.rbac.authorization.k8s.io "keyd" already exists')
        role.rules[0].verbs = ["get"]
        self.assertEqual(rbac.replace_namespaced_role("keyd", NS, role).rules[0].verbs, ["get"])
        self.assertEqual(self.k.json("get", "role", "keyd")["rules"][0]["verbs"], ["get"])   # kubectl agrees
        rbac.delete_namespaced_role("keyd", NS)
        with self.assertRaises(ApiException) as cm:
            rbac.read_namespaced_role("keyd", NS)
        self.assertEqual(cm.exception.status, 404)


class TokenReviews(Base):
    """AuthenticationV1Api().create_token_review, as keyd's daemon uses TokenReviews: the answer parsed into
    V1TokenReview by the client's own models."""

    SA = "system:serviceaccount:ipfs:ipfs-overlay"

    def review(self, token, audiences=("keyd",), api=None):
        body = client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token, audiences=list(audiences)))
        return client.AuthenticationV1Api(api or self.api).create_token_review(body)

    def test_valid_token_user_groups_and_audiences(self):
        tr = self.review(self.double.sa_token(self.SA, ["keyd"]))
        self.assertIsInstance(tr, client.V1TokenReview)
        self.assertIs(tr.status.authenticated, True)
        self.assertEqual(tr.status.user.username, self.SA)
        self.assertIn("system:serviceaccounts:ipfs", tr.status.user.groups)
        self.assertIn("system:authenticated", tr.status.user.groups)
        self.assertEqual(tr.status.audiences, ["keyd"])
        self.assertIsNone(tr.status.user.extra)
        self.assertIsNone(tr.status.error)

    def test_bound_token_extra_pod_name_and_uid(self):
        uid = "2c9d1f7e-8a43-4b6c-9e05-d1a2b3c4d5e6"
        tr = self.review(self.double.sa_token(self.SA, ["keyd"], pod="ipfs-1", uid=uid))
        self.assertIs(tr.status.authenticated, True)
        extra = tr.status.user.extra
        self.assertEqual(extra["authentication.kubernetes.io/pod-name"], ["ipfs-1"])
        self.assertEqual(extra["authentication.kubernetes.io/pod-uid"], [uid])
        made_up = self.review(self.double.sa_token(self.SA, ["keyd"], pod="ipfs-2")).status.user.extra
        self.assertRegex(made_up["authentication.kubernetes.io/pod-uid"][0], r"^[0-9a-f-]{36}$")

    def test_unknown_token_and_audience_mismatch(self):
        st = self.review("kd-never-issued").status
        self.assertFalse(st.authenticated)
        self.assertIn("invalid bearer token", st.error)
        self.assertIsNone(st.user.username)
        st = self.review(self.double.sa_token(self.SA, ["vault"])).status
        self.assertFalse(st.authenticated)
        self.assertIn("is invalid for the target audiences", st.error)

    def test_no_create_tokenreviews_permission_is_a_403_status(self):
        token = self.double.sa_token(self.SA, ["keyd"])
        kc = self.double.kubeconfig(os.path.join(self.dir, "kc-no-review"), token=self.double.token_for("viewer", [
            {"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"]}]))
        api = self.client_for(kc)
        try:
            with self.assertRaises(ApiException) as cm:
                self.review(token, api=api)
        finally:
            api.close()
        self.assertEqual(cm.exception.status, 403)
        st = status_of(cm.exception)
        self.assertEqual((st["kind"], st["status"], st["reason"], st["code"]), ("Status", "Failure", "Forbidden", 403))
        self.assertEqual(st["message"], 'tokenreviews.authentication.k8s.io is forbidden: User "viewer" cannot create '
                                        'resource "tokenreviews" in API group "authentication.k8s.io" at the cluster '
                                        'scope')
        self.assertEqual(st["details"], {"group": "authentication.k8s.io", "kind": "tokenreviews"})


def main():
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2)
    result = runner.run(unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__]))
    failed = len(result.failures) + len(result.errors)
    print("kube-python: passed=%d failed=%d" % (result.testsRun - failed - len(result.skipped), failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
