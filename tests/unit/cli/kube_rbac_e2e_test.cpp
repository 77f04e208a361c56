// manifests/keyd-rbac.yaml, read by the real kubectl: its shape (least privilege, `create` never
// restricted by name), and that its Role is exactly enough: the keyd binary rotates (rolling and
// recreate) as a user holding those rules in the kube double, and fails naming the permission
// when any rule is taken away. kubectl applies the manifest to the double, which stores its objects.
#include "kube_cli_support.hpp"

#include <filesystem>
#include <sstream>

namespace keyd::testing {
namespace {

using nlohmann::json;

constexpr const char* k_kubectl = "/usr/bin/kubectl";
constexpr const char* k_sa_user = "system:serviceaccount:ipfs-system:keyd";

class KubeRbac : public KubeCli {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(k_kubectl))
      GTEST_SKIP() << "kubectl is not installed (scripts/install-kube-test-tools.sh)";
  }

  CommandResult kubectl(std::vector<std::string> args) {
    args.insert(args.begin(), {k_kubectl, "--kubeconfig", (dir / "kubeconfig").string(), "--cache-dir",
                               (dir / "kube-cache").string()});
    return run_command(args, dir.path(), env());
  }

  // The manifest's objects as kubectl decodes them (--local: no server involved).
  std::vector<json> manifest_objects() {
    const auto r = kubectl({"label", "--local", "-o", "json", "-f",
                            std::string(KEYD_SOURCE_DIR) + "/manifests/keyd-rbac.yaml", "keyd.io/checked=true"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // kubectl prints one pretty JSON document per object; each ends with a "}" line.
    std::vector<json> objects;
    std::istringstream in(r.out);
    std::string line, chunk;
    while (std::getline(in, line)) {
      chunk += line + "\n";
      if (line == "}") {
        objects.push_back(json::parse(chunk));
        chunk.clear();
      }
    }
    return objects;
  }

  json role_rules() {
    for (const auto& o : manifest_objects()) {
      if (o["kind"] == "Role") return o["rules"];
    }
    ADD_FAILURE() << "no Role in the manifest";
    return json::array();
  }

  // The Role's rules as the double's user rules (RBAC fields, limited to the Role's namespace).
  static json as_double_rules(const json& rules) {
    json out = json::array();
    for (json rule : rules) {
      rule["namespaces"] = {k_kube_ns};
      out.push_back(std::move(rule));
    }
    return out;
  }

  void use_rules(const json& rules) {
    write_kubeconfig({{"token", kube.token_for(k_sa_user, as_double_rules(rules))}});
  }
};

TEST_F(KubeRbac, ManifestIsAServiceAccountALeastPrivilegeRoleAndItsBinding) {
  std::map<std::string, json> by_kind;
  for (const auto& o : manifest_objects()) {
    EXPECT_EQ(o["metadata"]["name"], "keyd");
    EXPECT_EQ(o["metadata"]["namespace"], k_kube_ns);
    by_kind[o["kind"].get<std::string>()] = o;
  }
  ASSERT_EQ(by_kind.size(), 3U);
  ASSERT_TRUE(by_kind.contains("ServiceAccount"));
  ASSERT_TRUE(by_kind.contains("RoleBinding"));
  const json binding = by_kind["RoleBinding"];
  EXPECT_EQ(binding["roleRef"], json({{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "keyd"}}));
  EXPECT_EQ(binding["subjects"], json::parse(R"([{"kind":"ServiceAccount","name":"keyd","namespace":"ipfs-system"}])"));

  for (const auto& rule : by_kind["Role"]["rules"]) {
    SCOPED_TRACE(rule.dump());
    for (const auto& field : {"verbs", "apiGroups", "resources"}) {
      for (const auto& v : rule[field]) EXPECT_NE(v, "*") << "no wildcards";
    }
    const auto verbs = rule["verbs"].get<std::vector<std::string>>();
    const bool has_create = std::ranges::find(verbs, "create") != verbs.end();
    // A create never matches a rule limited by resourceNames, so it must stand alone.
    EXPECT_FALSE(has_create && rule.contains("resourceNames"));
    EXPECT_EQ(std::ranges::find(verbs, "watch"), verbs.end());
    const std::string resource = rule["resources"][0];
    if (resource == "secrets" && !has_create) {
      EXPECT_EQ(rule["resourceNames"], json({k_kube_secret}));
    }
    if (resource == "secrets") {
      EXPECT_EQ(std::ranges::find(verbs, "list"), verbs.end()) << "list would read every Secret";
    }
    if (resource == "statefulsets") {
      EXPECT_EQ(rule["resourceNames"], json({k_kube_sts}));
    }
    EXPECT_NE(resource, "selfsubjectaccessreviews") << "every identity may create those already";
    EXPECT_NE(resource, "selfsubjectrulesreviews") << "every identity may create those already";
  }
}

TEST_F(KubeRbac, RoleIsEnoughForRollingAndRecreateRotations) {
  use_rules(role_rules());
  EXPECT_EQ(ok_json({"rotate"})["targets"][0]["outcome"], "changed");
  EXPECT_EQ(ok_json({"sync"})["targets"][0]["outcome"], "unchanged");
  write_config(std::string(k_kube_target) + "        strategy: recreate\n");
  const json recreated = ok_json({"rotate"});
  EXPECT_EQ(recreated["targets"][0]["outcome"], "changed");
  EXPECT_EQ(template_fingerprint(), recreated["fingerprint"]);
  EXPECT_EQ(secret_key_text(), fetched_key());
  for (const auto& r : kube.requests()) EXPECT_NE(r.value("status", 0), 403) << r.dump();
}

TEST_F(KubeRbac, EveryRuleIsNeededExceptCreatingAnExistingSecret) {
  write_config(std::string(k_kube_target) + "        strategy: recreate\n");
  const json rules = role_rules();
  use_rules(rules);
  ok({"rotate"});  // the Secret exists from now on
  for (std::size_t i = 0; i < rules.size(); ++i) {
    json fewer = rules;
    fewer.erase(i);
    SCOPED_TRACE("without " + rules[i].dump());
    use_rules(fewer);
    const auto r = keyd({"rotate"});
    const bool create_secrets = rules[i]["resources"] == json({"secrets"}) && rules[i]["verbs"] == json({"create"});
    if (create_secrets) {
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    } else {
      EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
      EXPECT_NE(r.out.find("missing Kubernetes permissions in namespace ipfs-system"), std::string::npos) << r.out;
      EXPECT_NE(r.out.find("cannot " + rules[i]["verbs"][0].get<std::string>() + " " +
                           rules[i]["resources"][0].get<std::string>()),
                std::string::npos)
          << r.out;
    }
  }
}

// The Role grants `patch` on the Secret so a rotation writes its fresh key in one JSON patch
// (docs/performance.md: 7 requests on the critical path, not 9 with GET + PUT). `patch` is optional:
// without it keyd reads the Secret and replaces it with the resourceVersion, as before.
TEST_F(KubeRbac, ThePatchOnTheSecretMakesTheFreshKeyOneRequestAndIsOptional) {
  const json rules = role_rules();
  use_rules(rules);
  ok({"rotate"});  // the Secret exists from now on
  const auto secret_requests = [this] {
    std::vector<std::string> seen;
    for (const auto& r : kube.requests()) {
      if (r.value("resource", "") == "secrets")
        seen.push_back(r.value("method", "") + " " + std::to_string(r.value("status", 0)));
    }
    return seen;
  };
  kube.clear_requests();
  EXPECT_EQ(ok_json({"rotate"})["targets"][0]["outcome"], "changed");
  EXPECT_EQ(secret_requests(), std::vector<std::string>{"PATCH 200"}) << "the Role must let keyd patch its Secret";
  EXPECT_EQ(secret_key_text(), fetched_key());

  json without_patch = rules;
  for (auto& rule : without_patch) {
    if (rule["resources"] == json({"secrets"}) && rule.contains("resourceNames")) {
      json verbs = json::array();
      for (const auto& v : rule["verbs"])
        if (v != "patch") verbs.push_back(v);
      ASSERT_NE(verbs.size(), rule["verbs"].size()) << "the Secret's rule grants patch";
      rule["verbs"] = verbs;
    }
  }
  use_rules(without_patch);
  kube.clear_requests();
  EXPECT_EQ(ok_json({"rotate"})["targets"][0]["outcome"], "changed");
  EXPECT_EQ(secret_requests(), (std::vector<std::string>{"GET 200", "PUT 200"}));
  EXPECT_EQ(secret_key_text(), fetched_key());
}

TEST_F(KubeRbac, KubectlAppliesTheManifest) {
  const auto resources = kubectl({"api-resources", "-o", "name"});
  ASSERT_EQ(resources.exit_code, 0) << resources.err;
  const auto applied =
      kubectl({"apply", "--validate=false", "-f", std::string(KEYD_SOURCE_DIR) + "/manifests/keyd-rbac.yaml"});
  EXPECT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_NE(applied.out.find("serviceaccount/keyd created"), std::string::npos) << applied.out;
  EXPECT_NE(applied.out.find("role.rbac.authorization.k8s.io/keyd created"), std::string::npos) << applied.out;
  EXPECT_NE(applied.out.find("rolebinding.rbac.authorization.k8s.io/keyd created"), std::string::npos) << applied.out;
}

}  // namespace
}  // namespace keyd::testing
