// Helpers of the bundle renderer's tests: find a file, parse every Kubernetes document back, pick an
// object by kind and name, and a set of values that differs from the defaults everywhere.
#pragma once

#include "keyd/app/bundle.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::app::bundle_test {

using config::BundleValues;

inline const BundleFile* find(const std::vector<BundleFile>& files, std::string_view name) {
  const auto it = std::ranges::find(files, name, &BundleFile::name);
  return it == files.end() ? nullptr : &*it;
}

// Every YAML document of every Kubernetes file, parsed back.
inline std::vector<YAML::Node> documents(const std::vector<BundleFile>& files) {
  std::vector<YAML::Node> out;
  for (const auto& file : files) {
    // operator/keyd.yaml is keyd's configuration for a workstation, not a Kubernetes object.
    if (!file.name.ends_with(".yaml") || file.name == "kustomization.yaml" || file.name.find('/') != std::string::npos) {
      continue;
    }
    for (const auto& doc : YAML::LoadAll(file.content)) {
      if (!doc.IsNull()) out.push_back(doc);
    }
  }
  return out;
}

inline YAML::Node object(const std::vector<BundleFile>& files, std::string_view kind, std::string_view name = {}) {
  for (const auto& doc : documents(files)) {
    if (doc["kind"].as<std::string>() == kind && (name.empty() || doc["metadata"]["name"].as<std::string>() == name)) {
      return doc;
    }
  }
  ADD_FAILURE() << "no " << kind << " " << name;
  return YAML::Node();
}

inline BundleValues custom() {
  BundleValues v;
  v.namespace_name = "storage";
  v.name = "kubo";
  v.ipfs.bootstrap = {"/ip4/10.147.17.10/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"};
  v.ipfs.api_address = "/ip4/127.0.0.1/tcp/5001";
  v.zerotier.host_network = true;
  v.zerotier.node_selector = {{"zerotier.flatracoon.io/member", "true"}};
  v.keyd.mode = "daemon";
  v.keyd.strategy = "recreate";
  v.keyd.vault.auth_method = config::VaultAuthMethod::approle;
  v.keyd.vault.credentials_secret = "keyd-approle";
  v.network_policy.swarm_cidrs = {"10.147.17.0/24"};
  v.network_policy.api_clients = {{"tier", "1"}};
  return v;
}

}  // namespace keyd::app::bundle_test
