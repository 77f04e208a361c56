"""A kube-apiserver test double (standard library only) for the API subset keyd uses.

Modules: util (helpers, Status bodies), resources (the served resource types), discovery (/version,
/api, /apis, /openapi/v3), auth (authentication, RBAC-like rules, access reviews), store (objects,
resourceVersions, watch history), strategies (defaulting/validation per kind), secrets, apps, rbac
(ServiceAccounts and rbac.authorization.k8s.io objects, stored only), patch (strategic-merge / merge /
JSON patch), protobuf (decoding of kubectl's protobuf bodies), table (meta.k8s.io Table answers), api
(REST verbs), controller (simulated workload controllers), control (/_double/ API), state (everything
the server holds), server (apiserver answers and watch streaming on doublekit), cli (command line on doublekit).
"""
