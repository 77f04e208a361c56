"""Start/stop the kube-apiserver double from Python tests, talk to its control API, write kubeconfigs and
run the real kubectl against it (standard library only)."""

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DOUBLE = os.path.join(HERE, "..", "..", "doubles", "kube_double.py")
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(HERE, "..", "..", "doubles"))

from doublekit.client import DoubleProcess  # noqa: E402

KUBECTL = os.environ.get("KUBE_CONFORMANCE_KUBECTL") or shutil.which("kubectl") or "/usr/bin/kubectl"
NS = "ipfs-system"


def tmp_root():
    return os.environ.get("KUBE_CONFORMANCE_TMP")


def make_certs():
    """Certificates made with the openssl CLI; reuses $KUBE_DOUBLE_CERT_DIR when run.sh made them."""
    existing = os.environ.get("KUBE_DOUBLE_CERT_DIR")
    if existing and os.path.exists(os.path.join(existing, "admin-client.crt")):
        return existing
    d = tempfile.mkdtemp(prefix="kube-double-certs-", dir=tmp_root())
    subprocess.run([os.path.join(HERE, "make-kube-certs.sh"), d], check=True)
    return d


class KubeDouble(DoubleProcess):
    label = "kube double"
    token_env = "KUBE_DOUBLE_ADMIN_TOKEN"

    def __init__(self, certs=None, tls=True, client_ca=True, quiet=True, args=None):
        super().__init__(DOUBLE, "kube-double-", tmp_root())
        self.certs = certs
        self.tls = tls
        self.client_ca = client_ca
        self.quiet = quiet
        self.extra_args = list(args or [])

    def start(self):
        args = ["--quiet"] if self.quiet else []
        if self.tls:
            args += ["--tls-cert", os.path.join(self.certs, "server.crt"),
                     "--tls-key", os.path.join(self.certs, "server.key")]
            if self.client_ca:
                args += ["--client-ca", os.path.join(self.certs, "ca.crt")]
        else:
            args.append("--plain-http")
        self.admin_token = self.spawn(args + self.extra_args)
        self.url = "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)
        return self

    def reset(self, namespace=NS, seconds_per_pod=0.05):
        self.control("POST", "reset")
        if namespace:
            self.control("POST", "namespaces", {"name": namespace})
        self.control("POST", "controller", {"seconds_per_pod": seconds_per_pod})

    def requests(self, **match):
        out = self.control("GET", "requests")["requests"]
        return [r for r in out if all(r.get(k) == v for k, v in match.items())]

    def token_for(self, user, rules=None, groups=None):
        body = {"user": user, "rules": rules or []}
        if groups is not None:
            body["groups"] = groups
        return self.control("POST", "tokens", body)["token"]

    def sa_token(self, user, audiences, pod=None, uid=None):
        """A service-account token for TokenReviews: issued for `audiences`, bound to a pod when given."""
        body = {"user": user, "audiences": list(audiences)}
        if pod:
            body["pod"] = {"name": pod, "uid": uid or ""}
        return self.control("POST", "tokens", body)["token"]

    # ---------------------------------------------------------------- raw HTTP (for exact bodies)
    def http(self, method, path, body=None, token=None, content_type="application/json", headers=None):
        """(status, headers, parsed JSON or raw text) of one request with the admin token by default."""
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        hdrs = {"Content-Type": content_type, "Accept": "application/json"}
        if token is not False:
            hdrs["Authorization"] = "Bearer " + (token or self.admin_token)
        hdrs.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        ctx = None
        if self.tls:
            ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.crt"))
        try:
            with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
                status, rh, raw = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            status, rh, raw = exc.code, dict(exc.headers), exc.read()
        try:
            return status, rh, json.loads(raw)
        except ValueError:
            return status, rh, raw.decode("utf-8", "replace")

    # ---------------------------------------------------------------- kubeconfigs
    def kubeconfig(self, path, token=None, cert=None, key=None, namespace=NS, ca=True):
        """A YAML kubeconfig for the admin token (default), another token, or a client certificate."""
        user = []
        if cert:
            user = ["    client-certificate: %s" % cert, "    client-key: %s" % key]
        else:
            user = ["    token: %s" % (token or self.admin_token)]
        cluster = ["    server: %s" % self.url]
        if self.tls:
            cluster.append("    certificate-authority: %s" % os.path.join(self.certs, "ca.crt") if ca
                           else "    insecure-skip-tls-verify: true")
        text = "\n".join(["apiVersion: v1", "kind: Config", "clusters:", "- name: double", "  cluster:"] + cluster +
                         ["users:", "- name: u", "  user:"] + user +
                         ["contexts:", "- name: double", "  context:", "    cluster: double", "    user: u",
                          "    namespace: %s" % namespace, "current-context: double", ""])
        with open(path, "w") as fh:
            fh.write(text)
        os.chmod(path, 0o600)
        return path


_MINOR = []


def client_minor():
    """The kubectl minor version (the /usr/bin/kubectl dispatcher runs the 1.32 kubectl for this server)."""
    if not _MINOR:
        out = subprocess.run([KUBECTL, "version", "--client", "-o", "json"], capture_output=True, text=True,
                             timeout=20).stdout
        minor = json.loads(out or "{}").get("clientVersion", {}).get("minor", "0")
        _MINOR.append(int("".join(ch for ch in minor if ch.isdigit()) or 0))
    return _MINOR[0]


class Kubectl:
    """Runs the real kubectl with a generated kubeconfig and a fresh discovery cache."""

    def __init__(self, kubeconfig, cache_dir):
        self.kubeconfig = kubeconfig
        self.cache_dir = cache_dir
        self.minor = client_minor()

    def __call__(self, *args, check=True, stdin=None, timeout=40, kubeconfig=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        env["HOME"] = os.path.dirname(self.cache_dir)
        args = list(args)
        if args[:1] == ["apply"] and self.minor < 29 and not any(a.startswith("--validate") for a in args):
            args.insert(1, "--validate=false")   # older kubectl validates with /openapi/v2 (protobuf), not served
        cmd = [KUBECTL, "--kubeconfig", kubeconfig or self.kubeconfig, "--cache-dir", self.cache_dir] + args
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout, env=env)
        if check and p.returncode != 0:
            raise AssertionError("kubectl %s -> %d\nstdout: %s\nstderr: %s" % (" ".join(args), p.returncode,
                                                                              p.stdout, p.stderr))
        return p

    def json(self, *args, **kw):
        return json.loads(self(*(list(args) + ["-o", "json"]), **kw).stdout)


def wait_for(predicate, timeout=10.0, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting for %s" % what)


SECRET_YAML = """apiVersion: v1
kind: Secret
metadata:
  name: ipfs-swarm-key
  namespace: ipfs-system
  labels:
    app.kubernetes.io/managed-by: keyd
type: Opaque
data:
  swarm.key: %s
"""

STS_YAML = """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ipfs
  namespace: ipfs-system
spec:
  serviceName: ipfs
  replicas: %(replicas)d
  selector:
    matchLabels:
      app: ipfs
  template:
    metadata:
      labels:
        app: ipfs
    spec:
      containers:
      - name: ipfs
        image: %(image)s
        ports:
        - containerPort: 4001
          name: swarm
        volumeMounts:
        - name: swarm-key
          mountPath: /data/ipfs/swarm.key
          subPath: swarm.key
      - name: sidecar
        image: busybox:1.36
      volumes:
      - name: swarm-key
        secret:
          secretName: ipfs-swarm-key
%(strategy)s"""

DEPLOY_YAML = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: gateway
  namespace: ipfs-system
spec:
  replicas: 2
  paused: %(paused)s
  selector:
    matchLabels:
      app: gateway
  template:
    metadata:
      labels:
        app: gateway
    spec:
      containers:
      - name: gateway
        image: ipfs/kubo:v0.29.0
"""

DS_YAML = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: cluster-agent
  namespace: ipfs-system
spec:
  selector:
    matchLabels:
      app: cluster-agent
  template:
    metadata:
      labels:
        app: cluster-agent
    spec:
      containers:
      - name: agent
        image: ipfs/ipfs-cluster:v1.1.1
"""


def sts_yaml(replicas=3, image="ipfs/kubo:v0.29.0", strategy=""):
    return STS_YAML % {"replicas": replicas, "image": image, "strategy": strategy}
