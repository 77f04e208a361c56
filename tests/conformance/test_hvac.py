#!/usr/bin/python3
"""Conformance: Debian's python3-hvac (0.11.2) drives the Vault double through the flows keyd uses.

Run with /usr/bin/python3 (the Debian interpreter that sees python3-hvac). Starts its own doubles on
127.0.0.1 with kernel-chosen ports: plain HTTP, HTTPS and mutual TLS (certificates from make-certs.sh).
"""

import base64
import json
import os
import shutil
import signal
import sys
import threading
import time
import unittest

for _name in [k for k in os.environ  # the clients' own VAULT_ADDR, VAULT_TOKEN, ... must not leak in
              if k.startswith("VAULT_") and not k.startswith(("VAULT_DOUBLE_", "VAULT_CONFORMANCE_"))]:
    del os.environ[_name]

import hvac  # noqa: E402
import requests  # noqa: E402
from hvac import exceptions as hx  # noqa: E402

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from doublectl import Double, make_certs  # noqa: E402

CAS_MISMATCH = "check-and-set parameter did not match the current version"
CAS_REQUIRED = "check-and-set parameter required for this call"
KEY = "/key/swarm/psk/1.0.0/\n/base16/\n" + "ab" * 32
RFC3339 = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$"


def jwt(claims):
    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return "%s.%s.%s" % (enc({"alg": "RS256", "kid": "test"}), enc(claims), "c2lnbmF0dXJl")


def legacy_sa_jwt(name, namespace):
    return jwt({"iss": "kubernetes/serviceaccount",
                "kubernetes.io/serviceaccount/namespace": namespace,
                "kubernetes.io/serviceaccount/secret.name": name + "-token-abcde",
                "kubernetes.io/serviceaccount/service-account.name": name,
                "kubernetes.io/serviceaccount/service-account.uid": "1111-2222",
                "sub": "system:serviceaccount:%s:%s" % (namespace, name)})


def projected_sa_jwt(name, namespace, exp=None):
    return jwt({"aud": ["vault"], "exp": exp or int(time.time()) + 600, "iss": "https://kubernetes.default.svc",
                "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": "3333"},
                                  "pod": {"name": "keyd-0", "uid": "4444"}},
                "sub": "system:serviceaccount:%s:%s" % (namespace, name)})


class Base(unittest.TestCase):
    double = None

    @classmethod
    def setUpClass(cls):
        cls.double = Double().start()

    @classmethod
    def tearDownClass(cls):
        log = cls.double.log_text()
        rc = cls.double.stop()
        assert rc == 0, "double exited with %r" % rc
        assert cls.double.root_token not in log

    def setUp(self):
        self.double.reset()
        self.client = hvac.Client(url=self.double.url, token=self.double.root_token, timeout=5)
        self.kv = self.client.secrets.kv.v2

    def write(self, path, data, cas=None):
        return self.kv.create_or_update_secret(path=path, secret=data, cas=cas)


class KVTests(Base):
    def test_cas_create_match_mismatch(self):
        r = self.write("swarm/prod", {"swarm.key": KEY}, cas=0)
        self.assertEqual(r["data"]["version"], 1)
        self.assertEqual(r["data"]["deletion_time"], "")
        self.assertFalse(r["data"]["destroyed"])
        self.assertRegex(r["data"]["created_time"], RFC3339)
        with self.assertRaises(hx.InvalidRequest) as ctx:
            self.write("swarm/prod", {"swarm.key": "other"}, cas=0)
        self.assertEqual(ctx.exception.errors, [CAS_MISMATCH])
        self.assertEqual(self.write("swarm/prod", {"swarm.key": KEY + "2"}, cas=1)["data"]["version"], 2)
        with self.assertRaises(hx.InvalidRequest) as ctx:
            self.write("swarm/prod", {"swarm.key": "stale"}, cas=1)
        self.assertIn(CAS_MISMATCH, str(ctx.exception))
        self.assertEqual(self.write("swarm/prod", {"x": "no cas"})["data"]["version"], 3)

    def test_concurrent_cas_writers_one_wins(self):
        self.write("race", {"v": "0"}, cas=0)
        results = []

        def writer(i):
            client = hvac.Client(url=self.double.url, token=self.double.root_token, timeout=5)
            try:
                client.secrets.kv.v2.create_or_update_secret(path="race", secret={"v": str(i)}, cas=1)
                results.append(("ok", i))
            except hx.InvalidRequest as exc:
                results.append((exc.errors[0], i))
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [i for status, i in results if status == "ok"]
        self.assertEqual(len(winners), 1)
        self.assertEqual(sorted(s for s, _ in results if s != "ok"), [CAS_MISMATCH] * 7)
        latest = self.kv.read_secret_version(path="race")["data"]
        self.assertEqual((latest["metadata"]["version"], latest["data"]["v"]), (2, str(winners[0])))

    def test_read_latest_and_version(self):
        self.write("swarm/prod", {"swarm.key": KEY, "fingerprint": "fp1"}, cas=0)
        self.write("swarm/prod", {"swarm.key": KEY + "2", "fingerprint": "fp2"}, cas=1)
        latest = self.kv.read_secret_version(path="swarm/prod")
        self.assertEqual(latest["data"]["data"]["fingerprint"], "fp2")
        self.assertEqual(latest["data"]["metadata"]["version"], 2)
        self.assertIsNone(latest["data"]["metadata"]["custom_metadata"])
        first = self.kv.read_secret_version(path="swarm/prod", version=1)
        self.assertEqual(first["data"]["data"], {"swarm.key": KEY, "fingerprint": "fp1"})
        self.assertEqual(first["data"]["metadata"]["version"], 1)
        for field in ("request_id", "lease_id", "renewable", "lease_duration", "wrap_info", "warnings", "auth"):
            self.assertIn(field, latest)

    def test_missing_is_404_with_empty_errors(self):
        with self.assertRaises(hx.InvalidPath) as ctx:
            self.kv.read_secret_version(path="nope")
        self.assertEqual(ctx.exception.errors, [])
        with self.assertRaises(hx.InvalidPath):
            self.kv.read_secret_metadata(path="nope")
        self.write("a", {"k": "v"})
        with self.assertRaises(hx.InvalidPath) as ctx:
            self.kv.read_secret_version(path="a", version=7)
        self.assertEqual(ctx.exception.errors, [])

    def test_metadata_and_custom_metadata(self):
        self.write("swarm/prod", {"swarm.key": KEY}, cas=0)
        # hvac 0.11.2's update_metadata has no custom_metadata parameter: post through its adapter
        resp = self.client.adapter.post("/v1/secret/metadata/swarm/prod",
                                        json={"custom_metadata": {"managed-by": "keyd", "network": "prod"}})
        self.assertEqual(resp.status_code, 204)
        self.assertEqual(resp.text, "")
        meta = self.kv.read_secret_metadata(path="swarm/prod")["data"]
        self.assertEqual(meta["custom_metadata"], {"managed-by": "keyd", "network": "prod"})
        self.assertEqual(meta["current_version"], 1)
        self.assertEqual(meta["oldest_version"], 0)
        self.assertEqual(meta["delete_version_after"], "0s")
        self.assertEqual(set(meta["versions"]), {"1"})
        self.assertEqual(set(meta["versions"]["1"]), {"created_time", "deletion_time", "destroyed"})
        read = self.kv.read_secret_version(path="swarm/prod")
        self.assertEqual(read["data"]["metadata"]["custom_metadata"]["managed-by"], "keyd")
        with self.assertRaises(hx.InvalidRequest) as ctx:
            self.client.adapter.post("/v1/secret/metadata/swarm/prod", json={"custom_metadata": {"k": "v" * 513}})
        self.assertIn("custom_metadata validation failed", str(ctx.exception))
        with self.assertRaises(hx.InvalidRequest):
            self.client.adapter.post("/v1/secret/metadata/swarm/prod",
                                     json={"custom_metadata": {"k%d" % i: "v" for i in range(65)}})

    def test_cas_required_and_warning_200(self):
        self.write("p", {"a": "1"})
        self.assertEqual(self.kv.update_metadata(path="p", cas_required=True).status_code, 204)
        with self.assertRaises(hx.InvalidRequest) as ctx:
            self.write("p", {"a": "2"})
        self.assertEqual(ctx.exception.errors, [CAS_REQUIRED])
        self.assertEqual(self.write("p", {"a": "2"}, cas=1)["data"]["version"], 2)
        self.kv.configure(max_versions=0, cas_required=True)
        self.assertTrue(self.kv.read_configuration()["data"]["cas_required"])
        resp = self.kv.update_metadata(path="p", cas_required=False)
        # a 204 endpoint answers 200 when it carries warnings; hvac then returns the parsed body
        self.assertIsInstance(resp, dict)
        self.assertIn("mandated by backend config", resp["warnings"][0])

    def test_max_versions_pruning(self):
        self.kv.configure(max_versions=3)
        for i in range(5):
            self.write("p", {"i": str(i)})
        meta = self.kv.read_secret_metadata(path="p")["data"]
        self.assertEqual(meta["current_version"], 5)
        self.assertEqual(meta["oldest_version"], 3)
        self.assertEqual(sorted(meta["versions"]), ["3", "4", "5"])
        with self.assertRaises(hx.InvalidPath):
            self.kv.read_secret_version(path="p", version=1)
        self.kv.update_metadata(path="p", max_versions=5)  # effective = max(key, engine)
        self.write("p", {"i": "5"})
        self.assertEqual(sorted(self.kv.read_secret_metadata(path="p")["data"]["versions"]), ["3", "4", "5", "6"])

    def test_list(self):
        for p in ("swarm/prod", "swarm/dev", "swarm/eu/one", "other"):
            self.write(p, {"k": "v"})
        self.assertEqual(self.kv.list_secrets(path="swarm")["data"]["keys"], ["dev", "eu/", "prod"])
        self.assertEqual(self.kv.list_secrets(path="")["data"]["keys"], ["other", "swarm/"])
        with self.assertRaises(hx.InvalidPath):
            self.kv.list_secrets(path="empty")
        via_get = requests.get(self.double.url + "/v1/secret/metadata/swarm", params={"list": "true"},
                               headers={"X-Vault-Token": self.double.root_token}, timeout=5)
        self.assertEqual(via_get.json()["data"]["keys"], ["dev", "eu/", "prod"])

    def test_delete_undelete_destroy(self):
        self.write("p", {"v": "1"})
        self.write("p", {"v": "2"})
        self.kv.delete_secret_versions(path="p", versions=[1])
        with self.assertRaises(hx.InvalidPath) as ctx:
            self.kv.read_secret_version(path="p", version=1)
        # hvac finds no "errors" in the 404 body, so the exception text is the whole envelope
        body = json.loads(ctx.exception.args[0])
        self.assertIsNone(ctx.exception.errors)
        self.assertIsNone(body["data"]["data"])
        self.assertEqual(body["data"]["metadata"]["version"], 1)
        self.assertRegex(body["data"]["metadata"]["deletion_time"], RFC3339)
        self.assertFalse(body["data"]["metadata"]["destroyed"])
        self.kv.undelete_secret_versions(path="p", versions=[1])
        self.assertEqual(self.kv.read_secret_version(path="p", version=1)["data"]["data"], {"v": "1"})
        self.kv.destroy_secret_versions(path="p", versions=[1])
        with self.assertRaises(hx.InvalidPath) as ctx:
            self.kv.read_secret_version(path="p", version=1)
        self.assertTrue(json.loads(ctx.exception.args[0])["data"]["metadata"]["destroyed"])
        self.kv.undelete_secret_versions(path="p", versions=[1])  # destroyed stays destroyed
        with self.assertRaises(hx.InvalidPath):
            self.kv.read_secret_version(path="p", version=1)
        self.kv.delete_latest_version_of_secret(path="p")
        with self.assertRaises(hx.InvalidPath):
            self.kv.read_secret_version(path="p")
        self.assertEqual(self.kv.read_secret_metadata(path="p")["data"]["current_version"], 2)
        self.assertEqual(self.write("p", {"v": "3"}, cas=2)["data"]["version"], 3)  # deleted keeps version
        with self.assertRaises(hx.InvalidRequest):
            self.client.adapter.post("/v1/secret/delete/p", json={})
        self.kv.delete_metadata_and_all_versions(path="p")
        with self.assertRaises(hx.InvalidPath):
            self.kv.read_secret_metadata(path="p")
        self.assertEqual(self.write("p", {"v": "new"}, cas=0)["data"]["version"], 1)

    def test_patch(self):
        self.write("p", {"a": "1", "b": "2"})
        self.kv.patch(path="p", secret={"b": "3"})  # hvac 0.11.2 patches by read + CAS write
        self.assertEqual(self.kv.read_secret_version(path="p")["data"]["data"], {"a": "1", "b": "3"})
        resp = requests.patch(self.double.url + "/v1/secret/data/p", json={"data": {"a": None}},
                              headers={"X-Vault-Token": self.double.root_token}, timeout=5)
        self.assertEqual(resp.status_code, 415)
        resp = requests.patch(self.double.url + "/v1/secret/data/p", data=json.dumps({"data": {"a": None}}),
                              headers={"X-Vault-Token": self.double.root_token,
                                       "Content-Type": "application/merge-patch+json"}, timeout=5)
        self.assertEqual(resp.status_code, 200)
        self.assertEqual(self.kv.read_secret_version(path="p")["data"]["data"], {"b": "3"})

    def test_other_mount_and_namespace(self):
        self.double.control("POST", "mounts", {"path": "kv-keyd"})
        self.kv.create_or_update_secret(path="x", secret={"k": "v"}, mount_point="kv-keyd")
        self.assertEqual(self.kv.read_secret_version(path="x", mount_point="kv-keyd")["data"]["data"], {"k": "v"})
        with self.assertRaises(hx.InvalidPath):
            self.kv.read_secret_version(path="x")
        team = hvac.Client(url=self.double.url, token=self.double.root_token, namespace="team-a", timeout=5)
        team.secrets.kv.v2.create_or_update_secret(path="ns-only", secret={"k": "v"})
        self.assertEqual(team.secrets.kv.v2.read_secret_version(path="ns-only")["data"]["data"], {"k": "v"})
        with self.assertRaises(hx.InvalidPath):
            self.kv.read_secret_version(path="ns-only")
        self.assertEqual(self.double.requests()[-1]["namespace"], "")
        self.assertEqual(self.double.requests()[-3]["namespace"], "team-a")

    def test_wire_format(self):
        self.write("p", {"k": "v"})
        h = {"X-Vault-Token": self.double.root_token}
        for url, code in (("/v1/secret/data/p", 200), ("/v1/secret/data/nope", 404), ("/v1/sys/health", 200)):
            resp = requests.get(self.double.url + url, headers=h, timeout=5)
            self.assertEqual(resp.status_code, code)
            self.assertEqual(resp.headers["Content-Type"], "application/json")
        self.assertEqual(requests.get(self.double.url + "/v1/secret/data/nope", headers=h, timeout=5).text.strip(),
                         '{"errors":[]}')
        resp = requests.post(self.double.url + "/v1/secret/data/p", json={"options": {"cas": 9}, "data": {}},
                             headers=h, timeout=5)
        self.assertEqual((resp.status_code, resp.json()), (400, {"errors": [CAS_MISMATCH]}))
        resp = requests.post(self.double.url + "/v1/secret/data/p", json={"options": {}}, headers=h, timeout=5)
        self.assertEqual(resp.json(), {"errors": ["no data provided"]})
        resp = requests.get(self.double.url + "/v1/secret/data/p",
                            headers={"Authorization": "Bearer " + self.double.root_token}, timeout=5)
        self.assertEqual(resp.status_code, 200)
        self.assertEqual(requests.get(self.double.url + "/v1/secret/data/p", timeout=5).status_code, 403)
        resp = requests.get(self.double.url + "/v1/nomount/data/p", headers=h, timeout=5)
        self.assertEqual(resp.status_code, 404)
        self.assertEqual(requests.get(self.double.url + "/v1/secret/data/p",
                                      headers={"X-Vault-Token": "hvs.bogus"}, timeout=5).json(),
                         {"errors": ["permission denied"]})


class AuthTests(Base):
    def test_approle_login(self):
        creds = self.double.control("POST", "approle/roles", {"name": "keyd", "policies": ["keyd"], "token_ttl": "1h"})
        client = hvac.Client(url=self.double.url, timeout=5)
        resp = client.auth.approle.login(role_id=creds["role_id"], secret_id=creds["secret_id"])
        self.assertTrue(resp["auth"]["client_token"])
        self.assertEqual(client.token, resp["auth"]["client_token"])
        self.assertEqual(resp["auth"]["policies"], ["default", "keyd"])
        self.assertEqual(resp["auth"]["lease_duration"], 3600)
        self.assertTrue(resp["auth"]["renewable"])
        self.assertEqual(resp["auth"]["metadata"], {"role_name": "keyd"})
        self.assertTrue(client.is_authenticated())
        with self.assertRaises(hx.InvalidRequest) as ctx:
            client.auth.approle.login(role_id=creds["role_id"], secret_id="wrong")
        self.assertEqual(ctx.exception.errors, ["invalid role or secret ID"])
        with self.assertRaises(hx.InvalidRequest) as ctx:
            client.auth.approle.login(role_id="", secret_id="x")
        self.assertEqual(ctx.exception.errors, ["missing role_id"])
        with self.assertRaises(hx.InvalidRequest):
            client.auth.approle.login(role_id="unknown", secret_id=creds["secret_id"])

    def test_kubernetes_login_legacy_and_projected(self):
        self.double.control("POST", "kubernetes/roles", {
            "name": "keyd", "bound_service_account_names": ["keyd"],
            "bound_service_account_namespaces": ["ipfs"], "policies": ["keyd-reader"], "token_ttl": "20m"})
        client = hvac.Client(url=self.double.url, timeout=5)
        resp = client.auth.kubernetes.login(role="keyd", jwt=legacy_sa_jwt("keyd", "ipfs"))
        self.assertEqual(client.token, resp["auth"]["client_token"])
        self.assertEqual(resp["auth"]["metadata"]["service_account_name"], "keyd")
        self.assertEqual(resp["auth"]["metadata"]["service_account_namespace"], "ipfs")
        self.assertEqual(resp["auth"]["metadata"]["role"], "keyd")
        self.assertEqual(resp["auth"]["lease_duration"], 1200)
        resp = client.auth.kubernetes.login(role="keyd", jwt=projected_sa_jwt("keyd", "ipfs"))
        self.assertEqual(resp["auth"]["metadata"]["service_account_uid"], "3333")
        with self.assertRaises(hx.Forbidden) as ctx:
            client.auth.kubernetes.login(role="keyd", jwt=legacy_sa_jwt("other", "ipfs"))
        self.assertEqual(ctx.exception.errors, ["service account name not authorized"])
        with self.assertRaises(hx.Forbidden) as ctx:
            client.auth.kubernetes.login(role="keyd", jwt=projected_sa_jwt("keyd", "default"))
        self.assertEqual(ctx.exception.errors, ["namespace not authorized"])
        with self.assertRaises(hx.Forbidden):
            client.auth.kubernetes.login(role="keyd", jwt=projected_sa_jwt("keyd", "ipfs", exp=1000))
        with self.assertRaises(hx.Forbidden):
            client.auth.kubernetes.login(role="keyd", jwt="not-a-jwt")
        with self.assertRaises(hx.InvalidRequest) as ctx:
            client.auth.kubernetes.login(role="nope", jwt=legacy_sa_jwt("keyd", "ipfs"))
        self.assertEqual(ctx.exception.errors, ['invalid role name "nope"'])
        with self.assertRaises(hx.InvalidRequest) as ctx:
            client.auth.kubernetes.login(role="", jwt="x")
        self.assertEqual(ctx.exception.errors, ["missing role"])

    def test_lookup_and_renew_self(self):
        tok = self.double.control("POST", "tokens", {"ttl": "1h", "policies": ["keyd"]})
        client = hvac.Client(url=self.double.url, token=tok["token"], timeout=5)
        data = client.auth.token.lookup_self()["data"]
        self.assertEqual(data["policies"], ["default", "keyd"])
        self.assertTrue(data["renewable"])
        self.assertTrue(3590 <= data["ttl"] <= 3600)
        self.assertRegex(data["expire_time"], RFC3339)
        self.assertEqual(data["accessor"], tok["accessor"])
        resp = client.auth.token.renew_self(increment="2h")
        self.assertEqual(resp["auth"]["lease_duration"], 7200)
        self.assertEqual(resp["lease_duration"], 0)
        self.assertTrue(7190 <= client.auth.token.lookup_self()["data"]["ttl"] <= 7200)
        root = self.client.auth.token.lookup_self()["data"]
        self.assertEqual((root["ttl"], root["expire_time"], root["policies"]), (0, None, ["root"]))
        with self.assertRaises(hx.InvalidRequest) as ctx:
            self.client.auth.token.renew_self()
        self.assertEqual(ctx.exception.errors, ["invalid lease ID"])

    def test_expired_token_then_relogin(self):
        creds = self.double.control("POST", "approle/roles", {"name": "keyd", "policies": ["root"]})
        client = hvac.Client(url=self.double.url, timeout=5)
        client.auth.approle.login(role_id=creds["role_id"], secret_id=creds["secret_id"])
        client.secrets.kv.v2.create_or_update_secret(path="p", secret={"k": "v"})
        self.assertEqual(self.double.control("POST", "tokens/expire", {"source": "approle"})["expired"], 1)
        with self.assertRaises(hx.Forbidden) as ctx:
            client.secrets.kv.v2.read_secret_version(path="p")
        self.assertEqual(ctx.exception.errors, ["permission denied"])
        self.assertFalse(client.is_authenticated())
        client.auth.approle.login(role_id=creds["role_id"], secret_id=creds["secret_id"])
        self.assertEqual(client.secrets.kv.v2.read_secret_version(path="p")["data"]["data"], {"k": "v"})

    def test_short_ttl_expires_by_itself(self):
        tok = self.double.control("POST", "tokens", {"ttl": 1, "policies": ["root"]})
        client = hvac.Client(url=self.double.url, token=tok["token"], timeout=5)
        self.assertTrue(client.is_authenticated())
        time.sleep(1.1)
        with self.assertRaises(hx.Forbidden):
            client.auth.token.lookup_self()

    def test_num_uses(self):
        tok = self.double.control("POST", "tokens", {"ttl": "1h", "num_uses": 2})
        client = hvac.Client(url=self.double.url, token=tok["token"], timeout=5)
        client.auth.token.lookup_self()
        client.auth.token.lookup_self()
        with self.assertRaises(hx.Forbidden):
            client.auth.token.lookup_self()

    def test_policy_enforcement(self):
        self.double.control("POST", "policies", {"name": "keyd-reader", "hcl": '''
# read-only for fetchers
path "secret/data/swarm/*" {
  capabilities = ["read"]
}
path "secret/metadata/swarm/*" { capabilities = ["read", "list"] }
'''})
        self.double.control("POST", "policies", {"name": "keyd", "rules": [
            {"path": "secret/data/swarm/prod", "capabilities": ["create", "update", "read"]}]})
        self.write("swarm/prod", {"k": "v"})
        reader = hvac.Client(url=self.double.url, token=self.double.control(
            "POST", "tokens", {"ttl": "1h", "policies": ["keyd-reader"]})["token"], timeout=5)
        self.assertEqual(reader.secrets.kv.v2.read_secret_version(path="swarm/prod")["data"]["data"], {"k": "v"})
        reader.secrets.kv.v2.read_secret_metadata(path="swarm/prod")
        with self.assertRaises(hx.Forbidden):
            reader.secrets.kv.v2.create_or_update_secret(path="swarm/prod", secret={"k": "w"}, cas=1)
        with self.assertRaises(hx.Forbidden):
            reader.secrets.kv.v2.read_secret_version(path="other")
        self.assertTrue(reader.is_authenticated())  # the default policy allows lookup-self
        writer = hvac.Client(url=self.double.url, token=self.double.control(
            "POST", "tokens", {"ttl": "1h", "policies": ["keyd"]})["token"], timeout=5)
        writer.secrets.kv.v2.create_or_update_secret(path="swarm/prod", secret={"k": "w"}, cas=1)
        with self.assertRaises(hx.Forbidden):
            writer.secrets.kv.v2.read_secret_metadata(path="swarm/prod")
        with self.assertRaises(hx.Forbidden):
            writer.secrets.kv.v2.create_or_update_secret(path="swarm/dev", secret={"k": "w"})


class SysAndFaultTests(Base):
    def test_health_and_seal(self):
        health = self.client.sys.read_health_status(method="GET")
        self.assertFalse(health["sealed"])
        self.assertEqual(self.client.sys.read_health_status(method="HEAD").status_code, 200)
        self.assertFalse(self.client.sys.is_sealed())
        self.double.control("POST", "seal")
        self.assertTrue(self.client.sys.is_sealed())
        resp = self.client.sys.read_health_status(method="GET")
        self.assertEqual(resp.status_code, 503)
        self.assertTrue(resp.json()["sealed"])
        self.assertEqual(self.client.sys.read_health_status(method="GET", sealed_code=200)["sealed"], True)
        with self.assertRaises(hx.VaultDown) as ctx:
            self.kv.read_secret_version(path="p")
        self.assertEqual(ctx.exception.errors, ["Vault is sealed"])
        with self.assertRaises(hx.VaultDown):
            self.client.auth.approle.login(role_id="x", secret_id="y")
        self.double.control("POST", "unseal")
        self.write("p", {"k": "v"})
        self.double.control("POST", "settings", {"standby": True})
        self.assertEqual(self.client.sys.read_health_status(method="GET").status_code, 429)
        self.assertFalse(self.client.sys.read_health_status(method="GET", standby_ok=True)["sealed"])

    def test_injected_errors(self):
        self.write("p", {"k": "v"})
        self.double.control("POST", "faults", {"method": "GET", "path": "^/v1/secret/data/", "times": 1,
                                               "status": 429, "headers": {"Retry-After": "2"},
                                               "body": {"errors": ["rate limit quota exceeded"]}})
        with self.assertRaises(hx.RateLimitExceeded) as ctx:
            self.kv.read_secret_version(path="p")
        self.assertEqual(ctx.exception.errors, ["rate limit quota exceeded"])
        self.assertEqual(self.kv.read_secret_version(path="p")["data"]["data"], {"k": "v"})
        self.double.control("POST", "faults", {"path": "^/v1/secret/", "times": 1, "status": 500})
        with self.assertRaises(hx.InternalServerError):
            self.kv.read_secret_version(path="p")
        self.double.control("POST", "faults", {"path": "^/v1/secret/", "times": 1, "status": 502, "body": "bad gw",
                                               "headers": {"Content-Type": "text/plain"}})
        with self.assertRaises(hx.BadGateway) as ctx:
            self.kv.read_secret_version(path="p")
        self.assertIn("bad gw", str(ctx.exception))
        self.double.control("POST", "faults", {"path": "^/v1/secret/", "times": 1, "after": 1, "status": 503,
                                               "body": {"errors": ["Vault is sealed"]}})
        self.kv.read_secret_version(path="p")
        with self.assertRaises(hx.VaultDown):
            self.kv.read_secret_version(path="p")
        self.kv.read_secret_version(path="p")
        faults = self.double.control("GET", "faults")["faults"]
        self.assertEqual([f["applied"] for f in faults], [1, 1, 1, 1])

    def test_malformed_dropped_and_slow(self):
        self.write("p", {"k": "v"})
        self.double.control("POST", "faults", {"path": "^/v1/secret/data/p$", "times": 1, "action": "malformed"})
        resp = self.kv.read_secret_version(path="p")
        # hvac's JSONAdapter silently hands back the raw Response when a 200 body is not JSON
        self.assertIsInstance(resp, requests.Response)
        with self.assertRaises(ValueError):
            resp.json()
        self.double.control("POST", "faults", {"path": "^/v1/secret/data/p$", "times": 1, "action": "drop"})
        with self.assertRaises(requests.exceptions.ConnectionError):
            self.kv.read_secret_version(path="p")
        self.double.control("POST", "faults", {"path": "^/v1/secret/data/p$", "times": 1, "action": "reset"})
        with self.assertRaises(requests.exceptions.ConnectionError):
            self.kv.read_secret_version(path="p")
        self.double.control("POST", "faults", {"path": "^/v1/secret/data/p$", "times": 1, "delay_ms": 1500})
        slow = hvac.Client(url=self.double.url, token=self.double.root_token, timeout=0.5)
        started = time.monotonic()
        with self.assertRaises(requests.exceptions.ReadTimeout):
            slow.secrets.kv.v2.read_secret_version(path="p")
        self.assertLess(time.monotonic() - started, 1.4)
        self.double.control("POST", "faults", {"path": "^/v1/secret/data/p$", "times": 1, "delay_ms": 200})
        self.assertEqual(self.kv.read_secret_version(path="p")["data"]["data"], {"k": "v"})
        outcomes = [r["outcome"] for r in self.double.requests() if r["fault"]]
        self.assertEqual(outcomes[:3], ["answered", "dropped", "dropped"])

    def test_request_log(self):
        self.double.control("DELETE", "requests")
        self.write("p", {"k": "v"}, cas=0)
        self.kv.read_secret_version(path="p")
        requests.get(self.double.url + "/v1/sys/health", timeout=5)
        log = self.double.requests()
        self.assertEqual([(r["method"], r["path"], r["status"]) for r in log],
                         [("POST", "/v1/secret/data/p", 200), ("GET", "/v1/secret/data/p", 200),
                          ("GET", "/v1/sys/health", 200)])
        self.assertEqual([r["auth"] for r in log], ["X-Vault-Token", "X-Vault-Token", None])
        self.assertEqual([r["x_vault_request"] for r in log], [True, True, False])
        raw = json.dumps(self.double.control("GET", "status")) + json.dumps(log)
        self.assertNotIn(self.double.root_token, raw)


class TLSTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs, cls.cleanup = make_certs()
        cls.tls = Double(tls=cls.certs).start()
        cls.mtls = Double(tls=cls.certs, mtls=True).start()

    @classmethod
    def tearDownClass(cls):
        assert cls.tls.stop() == 0 and cls.mtls.stop() == 0
        if cls.cleanup:
            shutil.rmtree(cls.cleanup, ignore_errors=True)

    def cert(self, name):
        return os.path.join(self.certs, name)

    def test_tls_verify_with_ca(self):
        client = hvac.Client(url=self.tls.url, token=self.tls.root_token, verify=self.cert("ca.crt"), timeout=5)
        client.secrets.kv.v2.create_or_update_secret(path="p", secret={"k": "v"}, cas=0)
        self.assertEqual(client.secrets.kv.v2.read_secret_version(path="p")["data"]["data"], {"k": "v"})
        by_name = hvac.Client(url="https://localhost:%d" % self.tls.port, token=self.tls.root_token,
                              verify=self.cert("ca.crt"), timeout=5)
        self.assertTrue(by_name.is_authenticated())

    def test_tls_wrong_ca_fails(self):
        client = hvac.Client(url=self.tls.url, token=self.tls.root_token, verify=self.cert("other-ca.crt"), timeout=5)
        with self.assertRaises(requests.exceptions.SSLError):
            client.secrets.kv.v2.read_secret_version(path="p")

    def test_mtls(self):
        client = hvac.Client(url=self.mtls.url, token=self.mtls.root_token, verify=self.cert("ca.crt"),
                             cert=(self.cert("client.crt"), self.cert("client.key")), timeout=5)
        client.secrets.kv.v2.create_or_update_secret(path="p", secret={"k": "v"})
        self.assertTrue(self.mtls.requests()[-1]["client_cert"])
        anonymous = hvac.Client(url=self.mtls.url, token=self.mtls.root_token, verify=self.cert("ca.crt"), timeout=5)
        with self.assertRaises(requests.exceptions.ConnectionError):  # SSLError is a ConnectionError
            anonymous.secrets.kv.v2.read_secret_version(path="p")


class Lifecycle(unittest.TestCase):
    def test_env_root_token_sigint_and_port_file_removed(self):
        d = Double(env={"VAULT_DOUBLE_ROOT_TOKEN": "hvs.fixed-root-for-test"}, quiet=False).start()
        self.assertEqual(d.root_token, "hvs.fixed-root-for-test")
        client = hvac.Client(url=d.url, token=d.root_token, timeout=5)
        client.secrets.kv.v2.create_or_update_secret(path="p", secret={"swarm.key": KEY})
        client.secrets.kv.v2.read_secret_version(path="p")
        port_file = os.path.join(d.tmp, "port")
        d.proc.send_signal(signal.SIGINT)
        self.assertEqual(d.proc.wait(5), 0)
        self.assertFalse(os.path.exists(port_file))
        log = d.log_text()
        self.assertIn("GET /v1/secret/data/p -> 200", log)
        self.assertNotIn(d.root_token, log)
        self.assertNotIn("ab" * 32, log)
        d.stop()


    def test_config_file_survives_reset(self):
        cfg = os.path.join(os.environ.get("VAULT_CONFORMANCE_TMP") or "/tmp", "vault-double-cfg-%d.json" % os.getpid())
        with open(cfg, "w") as fh:
            json.dump({"approle": [{"name": "keyd", "role_id": "rid-1", "secret_id": "sid-1", "policies": ["root"]}],
                       "mounts": [{"path": "kv-extra", "max_versions": 2}]}, fh)
        d = Double(args=["--config", cfg]).start()
        try:
            client = hvac.Client(url=d.url, timeout=5)
            for _ in range(2):
                client.auth.approle.login(role_id="rid-1", secret_id="sid-1")
                client.secrets.kv.v2.create_or_update_secret(path="p", secret={"k": "v"}, mount_point="kv-extra")
                d.reset()
        finally:
            os.unlink(cfg)
            self.assertEqual(d.stop(), 0)


class Summary(unittest.TextTestResult):
    pass


if __name__ == "__main__":
    runner = unittest.TextTestRunner(verbosity=2, resultclass=Summary)
    result = runner.run(unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__]))
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print("hvac: passed=%d failed=%d" % (result.testsRun - failed - len(result.skipped), failed))
    sys.exit(0 if result.wasSuccessful() else 1)
