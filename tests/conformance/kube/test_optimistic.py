#!/usr/bin/python3
"""Conformance: optimistic concurrency on Secrets, as the kube-apiserver does it (shared/reference/
kubernetes-api.md, "Secrets"): a PUT or PATCH carrying a metadata.resourceVersion that is no longer
current is a 409 Conflict with the apiserver's exact Status body, whichever client sends it; a PUT
without resourceVersion overwrites unconditionally (why keyd always sends the one it read). Two real
clients race: python3-kubernetes and kubectl read the same version, one writes, the other conflicts.

Run with /usr/bin/python3 (uses test_pyk8s's double, kubeconfig and clients). Prints
`kube-optimistic: passed=N failed=M` last."""

import json
import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kubernetes.client.rest import ApiException  # noqa: E402
from test_pyk8s import FP, NS, Base, status_of  # noqa: E402

CONFLICT = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": 'Operation cannot be fulfilled on secrets "ipfs-swarm-key": the object has been modified; '
                       "please apply your changes to the latest version and try again",
            "reason": "Conflict", "details": {"name": "ipfs-swarm-key", "kind": "secrets"}, "code": 409}


class OptimisticConcurrency(Base):
    def annotations(self):
        return self.core.read_namespaced_secret("ipfs-swarm-key", NS).metadata.annotations or {}

    def test_two_clients_read_one_version_the_later_put_conflicts(self):
        self.secret()
        mine = self.core.read_namespaced_secret("ipfs-swarm-key", NS)       # python3-kubernetes reads
        theirs = self.k.json("get", "secret", "ipfs-swarm-key")               # kubectl reads the same version
        self.assertEqual(theirs["metadata"]["resourceVersion"], mine.metadata.resource_version)
        mine.metadata.annotations = {FP: "python"}
        written = self.core.replace_namespaced_secret("ipfs-swarm-key", NS, mine)
        self.assertGreater(int(written.metadata.resource_version), int(mine.metadata.resource_version))

        theirs["metadata"].setdefault("annotations", {})[FP] = "kubectl"
        p = self.k("replace", "-f", "-", stdin=json.dumps(theirs), check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("Error from server (Conflict): ", p.stderr)
        self.assertIn(CONFLICT["message"], p.stderr)
        puts = self.double.requests(method="PUT", resource="secrets")
        self.assertEqual([r["status"] for r in puts], [200, 409])
        self.assertEqual([r["fault"] for r in puts], [None, None], "the double's own answer, not an injected one")
        self.assertEqual(self.annotations()[FP], "python", "the stale write changed nothing")

        # The loser reads again and wins with the current version.
        fresh = self.k.json("get", "secret", "ipfs-swarm-key")
        fresh["metadata"]["annotations"][FP] = "kubectl"
        self.assertIn("replaced", self.k("replace", "-f", "-", stdin=json.dumps(fresh)).stdout)
        self.assertEqual(self.annotations()[FP], "kubectl")

    def test_a_write_by_another_client_makes_the_read_version_stale(self):
        self.secret()
        read = self.core.read_namespaced_secret("ipfs-swarm-key", NS)
        self.double.control("POST", "objects", {"resource": "secrets", "namespace": NS, "name": "ipfs-swarm-key",
                                                "op": "merge", "patch": {"metadata": {"annotations": {"x": "y"}}}})
        read.metadata.annotations = {FP: "late"}
        with self.assertRaises(ApiException) as put:
            self.core.replace_namespaced_secret("ipfs-swarm-key", NS, read)
        self.assertEqual(put.exception.status, 409)
        self.assertEqual(status_of(put.exception), CONFLICT)
        with self.assertRaises(ApiException) as patch:
            self.core.patch_namespaced_secret("ipfs-swarm-key", NS, {"metadata": {
                "resourceVersion": read.metadata.resource_version, "annotations": {FP: "late"}}})
        self.assertEqual(status_of(patch.exception), CONFLICT)
        self.assertEqual(self.annotations(), {"x": "y"})

    def test_put_without_resource_version_overwrites_unconditionally(self):
        self.secret()
        read = self.core.read_namespaced_secret("ipfs-swarm-key", NS)
        self.double.control("POST", "objects", {"resource": "secrets", "namespace": NS, "name": "ipfs-swarm-key",
                                                "op": "merge", "patch": {"metadata": {"annotations": {"x": "y"}}}})
        read.metadata.annotations = {FP: "blind"}
        read.metadata.resource_version = None
        written = self.core.replace_namespaced_secret("ipfs-swarm-key", NS, read)
        self.assertEqual(written.metadata.annotations, {FP: "blind"}, "the other client's change is lost")
        self.assertEqual(self.double.requests(method="PUT", resource="secrets")[-1]["status"], 200)


def main():
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2)
    result = runner.run(unittest.defaultTestLoader.loadTestsFromTestCase(OptimisticConcurrency))
    failed = len(result.failures) + len(result.errors)
    print("kube-optimistic: passed=%d failed=%d" % (result.testsRun - failed - len(result.skipped), failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
