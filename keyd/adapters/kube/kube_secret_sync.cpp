// The key into a Secret: create if missing, otherwise update with the read resourceVersion and
// re-read on 409; nothing written when the Secret already holds this key.
#include "kube_ops.hpp"

#include "keyd/common/base64.hpp"
#include "keyd/domain/swarm_key.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::kube {

namespace {

constexpr int k_max_attempts = 5;
constexpr std::chrono::milliseconds k_conflict_pause{50};

constexpr const char* k_fingerprint_annotation = "keyd.io/fingerprint";
constexpr const char* k_version_annotation = "keyd.io/store-version";
constexpr const char* k_path_annotation = "keyd.io/store-path";
constexpr const char* k_swarm_annotation = "keyd.io/swarm";

std::string label(const SecretSpec& spec) { return fmt::format("secret {}/{}", spec.ns, spec.name); }

// The fingerprint of the key in data[key], or "" when it is missing or not a swarm key.
std::string data_fingerprint(const SecretJson& secret, const std::string& key) {
  const SecretJson* data = find_at(secret, {"data"});
  if (data == nullptr || !data->is_object()) return {};
  const auto it = data->find(key.c_str());
  if (it == data->end() || !it->is_string()) return {};
  const auto& text = it->get_ref<const detail::WipedString&>();
  auto bytes = keyd::base64_decode(std::string_view(text.data(), text.size()));
  if (!bytes) return {};
  auto parsed = domain::parse_swarm_key(*bytes);
  return parsed ? parsed->key.fingerprint().hex() : std::string();
}

// The annotation is what keyd wrote; the data is what the pods read. Both must say this key, so
// a hand-edited Secret (data changed, annotation left) is put back.
bool holds(const SecretJson& secret, const SecretSpec& spec, std::string_view fingerprint) {
  return string_at(secret, {"metadata", "labels", k_managed_by_label}) == "keyd" &&
         string_at(secret, {"metadata", "annotations", k_fingerprint_annotation}) == fingerprint &&
         data_fingerprint(secret, spec.key) == fingerprint;
}

// Our fields on a Secret object (new or read): label, annotations, type, data[key]. Other labels,
// annotations and data keys stay as they are.
void set_fields(SecretJson& secret, const SecretSpec& spec, const ports::Delivery& delivery) {
  auto& meta = secret["metadata"];
  meta["labels"][k_managed_by_label] = "keyd";
  auto& annotations = meta["annotations"];
  annotations[k_fingerprint_annotation] = wiped(delivery.fingerprint);
  annotations[k_version_annotation] = wiped(std::to_string(delivery.version));
  annotations[k_path_annotation] = wiped(delivery.store_path);
  annotations[k_swarm_annotation] = wiped(delivery.swarm);
  if (!secret.contains("type")) secret["type"] = "Opaque";
  secret["data"][spec.key.c_str()] = wiped(keyd::base64_encode(delivery.key_text.bytes()).reveal_text());
  secret.erase("stringData");
}

SecretJson new_secret(const SecretSpec& spec, const ports::Delivery& delivery) {
  SecretJson secret;
  secret["apiVersion"] = "v1";
  secret["kind"] = "Secret";
  secret["metadata"]["name"] = wiped(spec.name);
  secret["metadata"]["namespace"] = wiped(spec.ns);
  secret["type"] = "Opaque";
  set_fields(secret, spec, delivery);
  return secret;
}

// What keyd refuses to update, before sending anything.
Status check_updatable(const SecretJson& secret, const SecretSpec& spec) {
  if (string_at(secret, {"metadata", "labels", k_managed_by_label}) != "keyd" && !spec.adopt) {
    return fail(ErrorCode::invalid_config,
                fmt::format("{} exists and is not managed by keyd (no label {}=keyd); keyd does not take it over "
                            "unless the target says adopt: true",
                            label(spec), k_managed_by_label));
  }
  if (const std::string type = string_at(secret, {"type"}); !type.empty() && type != "Opaque") {
    return fail(ErrorCode::invalid_config,
                fmt::format("{} has type {} (immutable); keyd writes Opaque Secrets: delete it or use another name",
                            label(spec), type));
  }
  if (const SecretJson* immutable = find_at(secret, {"immutable"});
      immutable != nullptr && immutable->is_boolean() && immutable->get<bool>()) {
    return fail(ErrorCode::invalid_input,
                fmt::format("{} is immutable (immutable: true), so its data cannot change: delete it and let keyd "
                            "create it again, or point the target at another Secret",
                            label(spec)));
  }
  return {};
}

// An RFC 6901 pointer token: "~" and "/" escaped.
std::string pointer_token(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

SecretJson json_patch_op(const char* op, const std::string& path, SecretJson value) {
  SecretJson o;
  o["op"] = op;
  o["path"] = wiped(path);
  o["value"] = std::move(value);
  return o;
}

// A version this run has just written cannot be in the Secret yet, so there is nothing to read
// first: one JSON patch (RFC 6902) whose `test` operations are the preconditions the read would
// have checked — the Secret is keyd's (the label) and Opaque — and which sets our annotations and
// data[key] like set_fields. The API server applies it whole or not at all. Any refusal (a missing
// Secret: 404; a failed test, a missing annotations or data map, an immutable Secret: 422) sends
// the caller to the read-and-update path, which says precisely what is wrong or creates the Secret.
Result<ports::ApplyOutcome> patch_fresh(KubeApi& api, const SecretSpec& spec, const ports::Delivery& delivery,
                                        const std::string& path) {
  SecretJson ops = SecretJson::array();
  ops.push_back(json_patch_op("test", "/metadata/labels/" + pointer_token(k_managed_by_label), wiped("keyd")));
  ops.push_back(json_patch_op("test", "/type", wiped("Opaque")));
  const auto annotate = [&](const char* name, std::string_view value) {
    ops.push_back(json_patch_op("add", "/metadata/annotations/" + pointer_token(name), wiped(value)));
  };
  annotate(k_fingerprint_annotation, delivery.fingerprint);
  annotate(k_version_annotation, std::to_string(delivery.version));
  annotate(k_path_annotation, delivery.store_path);
  annotate(k_swarm_annotation, delivery.swarm);
  ops.push_back(json_patch_op("add", "/data/" + pointer_token(spec.key),
                              wiped(keyd::base64_encode(delivery.key_text.bytes()).reveal_text())));
  auto patched = api.patch(path, PatchType::json, ops, k_field_manager);
  if (!patched) return fail(std::move(patched).error());
  if (!holds(*patched, spec, delivery.fingerprint)) {
    return fail(ErrorCode::internal, fmt::format("{}: the API server's answer to the patch does not hold the key "
                                                 "keyd sent",
                                                 label(spec)));
  }
  spdlog::info("kubernetes: updated {} to key version {} (fingerprint {})", label(spec), delivery.version,
               delivery.fingerprint);
  return ports::ApplyOutcome::changed;
}

}  // namespace

Result<ports::ApplyOutcome> sync_secret(KubeApi& api, const SecretSpec& spec, const ports::Delivery& delivery,
                                        const ports::Clock& clock) {
  const std::string path = secret_path(spec.ns, spec.name);
  if (delivery.fresh && spec.may_patch) {
    auto patched = patch_fresh(api, spec, delivery, path);
    if (patched) return patched;
    const ErrorCode code = patched.error().code;
    if (code != ErrorCode::not_found && code != ErrorCode::invalid_input && code != ErrorCode::conflict) {
      return patched;
    }
    // The server's words stay out of the log: a 422 may quote the data keyd sent.
    spdlog::debug("kubernetes: {}: the one-request update did not apply ({}); reading it first", label(spec),
                  to_string(code));
  }
  for (int attempt = 1; attempt <= k_max_attempts; ++attempt) {
    if (attempt > 1) clock.sleep_for(k_conflict_pause * (attempt - 1));
    auto current = api.get(path);
    if (!current && current.error().code != ErrorCode::not_found) return fail(std::move(current).error());

    if (!current) {
      if (!spec.may_create) {
        return fail(ErrorCode::unauthorized,
                    fmt::format("{} does not exist and keyd may not create secrets in namespace {}: create it "
                                "(labelled {}=keyd) or grant create on secrets",
                                label(spec), spec.ns, k_managed_by_label));
      }
      auto created = api.create(secrets_path(spec.ns), new_secret(spec, delivery));
      if (created) {
        spdlog::info("kubernetes: created {} with key version {} (fingerprint {})", label(spec), delivery.version,
                     delivery.fingerprint);
        return ports::ApplyOutcome::changed;
      }
      if (created.error().code != ErrorCode::conflict) return fail(std::move(created).error());
      spdlog::info("kubernetes: {} was created by someone else meanwhile; reading it again", label(spec));
      continue;
    }

    if (holds(*current, spec, delivery.fingerprint)) {
      spdlog::debug("kubernetes: {} already holds fingerprint {}", label(spec), delivery.fingerprint);
      return ports::ApplyOutcome::unchanged;
    }
    KEYD_TRY(check_updatable(*current, spec));
    if (string_at(*current, {"metadata", "labels", k_managed_by_label}) != "keyd") {
      spdlog::warn("kubernetes: adopting {} (adopt: true); it is managed by keyd from now on", label(spec));
    }
    SecretJson updated = std::move(*current);
    set_fields(updated, spec, delivery);
    auto replaced = api.replace(path, updated);
    if (replaced) {
      spdlog::info("kubernetes: updated {} to key version {} (fingerprint {})", label(spec), delivery.version,
                   delivery.fingerprint);
      return ports::ApplyOutcome::changed;
    }
    const ErrorCode code = replaced.error().code;
    if (code != ErrorCode::conflict && code != ErrorCode::not_found) return fail(std::move(replaced).error());
    spdlog::info("kubernetes: {} changed while keyd updated it ({}); reading it again (attempt {} of {})",
                 label(spec), replaced.error().message, attempt, k_max_attempts);
  }
  return fail(ErrorCode::conflict, fmt::format("{} kept changing while keyd updated it ({} attempts); another writer "
                                               "is updating it too",
                                               label(spec), k_max_attempts));
}

}  // namespace keyd::adapters::kube
