"""Simulated workload controllers: StatefulSets (ordered, highest ordinal first), Deployments, DaemonSets.

A pod becomes Ready `seconds_per_pod` after it is created; with `stuck` new pods never become Ready, so
a rollout never completes; `paused` stops the controllers altogether (status is then never observed).
Pods copy the template's labels and annotations and carry controller-revision-hash / pod-template-hash.
Deleting a pod makes the controller recreate it; pods whose owner is gone are garbage-collected."""

import hashlib
import json
import secrets
import threading
import time

from .util import deep, new_uid, rfc3339

SAFE = "bcdfghjklmnpqrstvwxz2456789"
INF = float("inf")
STS, DEPLOY, DS, PODS = "apps/statefulsets", "apps/deployments", "apps/daemonsets", "/pods"


def rev_hash(template):
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(SAFE[b % len(SAFE)] for b in digest[:10])


def _rand5():
    return "".join(secrets.choice(SAFE) for _ in range(5))


class Controller:
    def __init__(self, state, stop, tick=0.02):
        self.state = state
        self.stop = stop
        self.tick = tick
        self.pod_seq = 0

    def start(self):
        threading.Thread(target=self._run, name="kube-double-controller", daemon=True).start()

    def _run(self):
        while not self.stop.wait(self.tick):
            with self.state.lock:
                try:
                    self.reconcile_all()
                except Exception as exc:  # never kill the controller thread; the log shows it
                    import sys
                    sys.stderr.write("kube-double: controller error: %r\n" % (exc,))

    # ---------------------------------------------------------------- helpers
    def reconcile_all(self):
        st = self.state
        if st.controller.get("paused"):
            return
        store = st.store
        owners = set()
        for key, fn in ((STS, self.sts), (DEPLOY, self.deployment), (DS, self.daemonset)):
            for obj in store.list(key):
                owners.add(obj["metadata"]["uid"])
                fn(obj)
        now = time.monotonic()
        for pod in store.list(PODS):
            refs = [r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")]
            if refs and refs[0].get("uid") not in owners and refs[0].get("kind") in ("StatefulSet", "Deployment",
                                                                                       "DaemonSet"):
                store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
                continue
            uid = pod["metadata"]["uid"]
            ready_at = st.runtime.get("pod:" + uid)
            if ready_at is None or self._ready(pod):
                continue
            s = st.controller_settings(pod["metadata"]["namespace"], refs[0]["name"] if refs else "")
            if ready_at == INF and not s["stuck"]:
                st.runtime["pod:" + uid] = ready_at = now + float(s["seconds_per_pod"])
            if ready_at <= now:
                self._set_pod_status(pod, ready=True)

    def _owned(self, obj):
        uid = obj["metadata"]["uid"]
        return [p for p in self.state.store.list(PODS, obj["metadata"]["namespace"])
                if any(r.get("uid") == uid for r in p["metadata"].get("ownerReferences") or [])]

    @staticmethod
    def _ready(pod):
        return any(c.get("type") == "Ready" and c.get("status") == "True"
                   for c in (pod.get("status") or {}).get("conditions") or [])

    def _template_for(self, obj, rev):
        return self.state.runtime.get("tmpl:%s:%s" % (obj["metadata"]["uid"], rev)) or obj["spec"]["template"]

    def _create_pod(self, owner, name, template, labels, node, generate_name=None):
        st = self.state
        meta_t = template.get("metadata") or {}
        ns = owner["metadata"]["namespace"]
        meta = {"name": name, "namespace": ns, "uid": new_uid(), "creationTimestamp": rfc3339(),
                "labels": dict(meta_t.get("labels") or {}, **labels)}
        if generate_name:
            meta["generateName"] = generate_name
        if meta_t.get("annotations"):
            meta["annotations"] = deep(meta_t["annotations"])
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner["kind"], "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
        spec = deep(template.get("spec") or {})
        spec["nodeName"] = node
        self.pod_seq += 1
        pod = {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec,
               "status": self._status(spec, False, False, self.pod_seq)}
        s = st.controller_settings(ns, owner["metadata"]["name"])
        st.runtime["pod:" + meta["uid"]] = INF if s["stuck"] else time.monotonic() + float(s["seconds_per_pod"])
        st.store.put(PODS, pod, "ADDED")
        if st.runtime["pod:" + meta["uid"]] <= time.monotonic():
            self._set_pod_status(st.store.get(PODS, ns, name), ready=True)

    def _status(self, spec, ready, crash, seq):
        cond = "True" if ready else "False"
        now = rfc3339()
        containers = []
        for c in spec.get("containers") or []:
            state = {"running": {"startedAt": now}} if ready else (
                {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting failed container"}}
                if crash else {"waiting": {"reason": "ContainerCreating"}})
            containers.append({"name": c.get("name"), "ready": ready, "restartCount": 1 if crash else 0,
                               "image": c.get("image"), "imageID": "", "started": ready, "state": state})
        status = {"phase": "Running" if ready or crash else "Pending",
                  "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
                                 {"type": "Initialized", "status": "True", "lastTransitionTime": now},
                                 {"type": "ContainersReady", "status": cond, "lastTransitionTime": now},
                                 {"type": "Ready", "status": cond, "lastTransitionTime": now}],
                  "hostIP": "127.0.0.1", "podIP": "127.0.1.%d" % (seq % 250 + 1), "startTime": now,
                  "containerStatuses": containers, "qosClass": "BestEffort"}
        return status

    def _set_pod_status(self, pod, ready):
        new = deep(pod)
        seq = int(new["status"].get("podIP", "0.0.0.1").rsplit(".", 1)[1])
        new["status"] = self._status(new["spec"], ready, False, seq - 1)
        self.state.store.put(PODS, new, "MODIFIED")

    def _delete_pod(self, pod):
        self.state.store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
        self.state.runtime.pop("pod:" + pod["metadata"]["uid"], None)

    def _write_status(self, key, obj, status):
        if obj.get("status") != status:
            new = deep(obj)
            new["status"] = status
            self.state.store.put(key, new, "MODIFIED")

    def _crashing(self, pods):
        st = self.state
        for p in pods:
            if st.runtime.get("pod:" + p["metadata"]["uid"]) == INF and not self._ready(p):
                waiting = ((p["status"].get("containerStatuses") or [{}])[0].get("state") or {}).get("waiting") or {}
                if waiting.get("reason") != "CrashLoopBackOff":
                    new = deep(p)
                    new["status"] = self._status(new["spec"], False, True, 0)
                    new["status"]["podIP"] = p["status"].get("podIP")
                    st.store.put(PODS, new, "MODIFIED")

    # ---------------------------------------------------------------- StatefulSets
    def sts(self, obj):
        st = self.state
        meta, spec = obj["metadata"], obj["spec"]
        name, uid = meta["name"], meta["uid"]
        status = obj.get("status") or {}
        replicas = spec.get("replicas", 1)
        upd = "%s-%s" % (name, rev_hash(spec["template"]))
        st.runtime.setdefault("tmpl:%s:%s" % (uid, upd), deep(spec["template"]))
        cur = status.get("currentRevision") or upd
        us = spec.get("updateStrategy") or {}
        rolling = us.get("type", "RollingUpdate") == "RollingUpdate"
        partition = (us.get("rollingUpdate") or {}).get("partition")
        parallel = spec.get("podManagementPolicy") == "Parallel"
        pods = {}
        for p in self._owned(obj):
            try:
                pods[int(p["metadata"]["name"].rsplit("-", 1)[1])] = p
            except ValueError:
                continue
        self._crashing(pods.values())
        all_ready = all(self._ready(p) for p in pods.values())
        acted = False
        for i in range(replicas):
            if i in pods:
                continue
            if not parallel and (acted or not all(self._ready(pods[j]) for j in pods if j < i)):
                break
            rev = cur if (rolling and partition is not None and i < partition) else upd
            self._create_pod(obj, "%s-%d" % (name, i), self._template_for(obj, rev),
                             {"controller-revision-hash": rev, "statefulset.kubernetes.io/pod-name": "%s-%d" % (name, i),
                              "apps.kubernetes.io/pod-index": str(i)}, "double-node-%d" % (i % 3))
            acted = True
        extra = sorted((i for i in pods if i >= replicas), reverse=True)
        if extra and (parallel or all_ready):
            for i in (extra if parallel else extra[:1]):
                self._delete_pod(pods.pop(i))
            acted = True
        if rolling and not acted and all_ready and len(pods) == replicas:
            for i in sorted(pods, reverse=True):
                if (partition is None or i >= partition) and pods[i]["metadata"]["labels"].get("controller-revision-hash") != upd:
                    self._delete_pod(pods.pop(i))
                    break
        pods = self._owned(obj)
        revs = [p["metadata"]["labels"].get("controller-revision-hash") for p in pods]
        ready = sum(1 for p in pods if self._ready(p))
        updated = revs.count(upd)
        if updated == replicas and ready == replicas and len(pods) == replicas:
            cur = upd
        new = {"observedGeneration": meta.get("generation", 1), "replicas": len(pods), "readyReplicas": ready,
               "currentReplicas": revs.count(cur), "updatedReplicas": updated, "currentRevision": cur,
               "updateRevision": upd, "collisionCount": 0, "availableReplicas": ready}
        for k in ("readyReplicas", "currentReplicas", "updatedReplicas"):
            if not new[k]:
                del new[k]
        self._write_status(STS, obj, new)

    # ---------------------------------------------------------------- Deployments
    def deployment(self, obj):
        st = self.state
        meta, spec = obj["metadata"], obj["spec"]
        name, uid = meta["name"], meta["uid"]
        desired = spec.get("replicas", 1)
        h = rev_hash(spec["template"])
        start_key = "rollout:%s:%s" % (uid, h)
        started = st.runtime.setdefault(start_key, time.monotonic())
        pods = self._owned(obj)
        self._crashing(pods)
        new = [p for p in pods if p["metadata"]["labels"].get("pod-template-hash") == h]
        old = [p for p in pods if p not in new]
        ready_new = [p for p in new if self._ready(p)]

        def add():
            pname = "%s-%s-%s" % (name, h, _rand5())
            self._create_pod(obj, pname, spec["template"], {"pod-template-hash": h}, "double-node-0",
                             generate_name="%s-%s-" % (name, h))
        if not spec.get("paused"):
            if (spec.get("strategy") or {}).get("type") == "Recreate":
                if old:
                    for p in old:
                        self._delete_pod(p)
                else:
                    for _ in range(desired - len(new)):
                        add()
            elif not old:
                for _ in range(desired - len(new)):
                    add()
            else:
                if len(ready_new) + len(old) > desired:
                    self._delete_pod(old[0])
                elif len(new) < desired and len(ready_new) == len(new):
                    add()
            for p in new[desired:]:
                self._delete_pod(p)
        pods = self._owned(obj)
        updated = sum(1 for p in pods if p["metadata"]["labels"].get("pod-template-hash") == h)
        ready = sum(1 for p in pods if self._ready(p))
        old_status = obj.get("status") or {}
        rs = "%s-%s" % (name, h)
        complete = updated == desired and len(pods) == desired and ready == desired
        if spec.get("paused"):
            prog = ("Unknown", "DeploymentPaused", "Deployment is paused")
        elif complete:
            prog = ("True", "NewReplicaSetAvailable", 'ReplicaSet "%s" has successfully progressed.' % rs)
        elif time.monotonic() - started > spec.get("progressDeadlineSeconds", 600):
            prog = ("False", "ProgressDeadlineExceeded", 'ReplicaSet "%s" has timed out progressing.' % rs)
        else:
            prog = ("True", "ReplicaSetUpdated", 'ReplicaSet "%s" is progressing.' % rs)
        avail_ok = ready >= desired - desired // 4
        conds = [self._cond(old_status, "Available", "True" if avail_ok else "False",
                            "MinimumReplicasAvailable" if avail_ok else "MinimumReplicasUnavailable",
                            "Deployment has minimum availability." if avail_ok else
                            "Deployment does not have minimum availability."),
                 self._cond(old_status, "Progressing", *prog)]
        status = {"observedGeneration": meta.get("generation", 1), "replicas": len(pods), "updatedReplicas": updated,
                  "readyReplicas": ready, "availableReplicas": ready,
                  "unavailableReplicas": max(0, desired - ready), "conditions": conds}
        for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"):
            if not status[k]:
                del status[k]
        self._write_status(DEPLOY, obj, status)

    @staticmethod
    def _cond(old_status, ctype, status, reason, message):
        for c in old_status.get("conditions") or []:
            if c.get("type") == ctype and c.get("status") == status and c.get("reason") == reason:
                return dict(c, message=message)
        now = rfc3339()
        return {"type": ctype, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
                "reason": reason, "message": message}

    # ---------------------------------------------------------------- DaemonSets
    def daemonset(self, obj):
        st = self.state
        meta, spec = obj["metadata"], obj["spec"]
        name = meta["name"]
        h = rev_hash(spec["template"])
        nodes = ["double-node-%d" % i for i in range(int(st.controller_settings(meta["namespace"], name)["daemonset_nodes"]))]
        pods = self._owned(obj)
        self._crashing(pods)
        by_node = {p["spec"].get("nodeName"): p for p in pods}
        for node in nodes:
            if node not in by_node:
                self._create_pod(obj, "%s-%s" % (name, _rand5()), spec["template"], {"controller-revision-hash": h},
                                 node, generate_name=name + "-")
        for p in pods:
            if p["spec"].get("nodeName") not in nodes:
                self._delete_pod(p)
        if (spec.get("updateStrategy") or {}).get("type") == "RollingUpdate" and all(self._ready(p) for p in pods):
            for p in pods:
                if p["metadata"]["labels"].get("controller-revision-hash") != h and p["spec"].get("nodeName") in nodes:
                    self._delete_pod(p)
                    break
        pods = self._owned(obj)
        ready = sum(1 for p in pods if self._ready(p))
        status = {"currentNumberScheduled": len(pods), "numberMisscheduled": 0, "desiredNumberScheduled": len(nodes),
                  "numberReady": ready, "observedGeneration": meta.get("generation", 1),
                  "updatedNumberScheduled": sum(1 for p in pods if p["metadata"]["labels"].get("controller-revision-hash") == h),
                  "numberAvailable": ready, "numberUnavailable": max(0, len(nodes) - ready)}
        for k in ("updatedNumberScheduled", "numberAvailable", "numberUnavailable"):
            if not status[k]:
                del status[k]
        self._write_status(DS, obj, status)
