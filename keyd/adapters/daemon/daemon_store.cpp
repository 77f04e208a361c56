// The SecretStore port over a keyd daemon's HTTP API; see include/keyd/adapters/daemon/daemon_store.hpp.
#include "keyd/adapters/daemon/daemon_store.hpp"

#include "keyd/adapters/os/fs.hpp"
#include "keyd/common/address.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "../os/wiping_allocator.hpp"
#include "../retry/retry_policy.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

namespace keyd::adapters {

namespace {

using detail::SecretJson;

constexpr std::size_t k_max_message = 300;

std::optional<std::string> string_at(const SecretJson& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  const auto& s = it->get_ref<const detail::WipedString&>();
  return std::string(s.begin(), s.end());
}

std::optional<int> int_at(const SecretJson& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_number_integer()) return std::nullopt;
  const auto value = it->get<std::int64_t>();
  if (value < 0 || value > 1'000'000'000) return std::nullopt;
  return static_cast<int>(value);
}

// The daemon's {"error":{"code","message"}}: printable, bounded (it ends up on a terminal).
struct DaemonError {
  std::string code;
  std::string message;
};

DaemonError daemon_error(const Secret& body) {
  const auto doc = SecretJson::parse(body.reveal_text(), nullptr, false);
  DaemonError out;
  if (doc.is_object()) {
    if (const auto it = doc.find("error"); it != doc.end() && it->is_object()) {
      out.code = string_at(*it, "code").value_or("");
      out.message = string_at(*it, "message").value_or("");
    }
  }
  for (std::string* text : {&out.code, &out.message}) {
    std::ranges::replace_if(
        *text, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, ' ');
    if (text->size() > k_max_message) *text = text->substr(0, k_max_message) + "…";
  }
  if (out.message.empty()) out.message = "no error message";
  return out;
}

Error malformed(std::string_view what, std::string_view missing) {
  return Error{ErrorCode::unavailable, fmt::format("{}: unexpected response (missing or invalid {})", what, missing)};
}

class DaemonStore final : public ports::SecretStore {
 public:
  DaemonStore(DaemonStoreOptions options, ports::HttpTransport& transport, const ports::Clock& clock,
              ports::Random& random)
      : m_options(std::move(options)),
        m_transport(transport),
        m_retry({m_options.max_attempts, m_options.backoff_base, m_options.backoff_cap, m_options.retry_after_cap},
                clock, random, detail::AttemptsNote::after_retries) {}

  [[nodiscard]] std::string describe() const override { return fmt::format("keyd daemon {}", m_options.url); }

  [[nodiscard]] ports::StoreCapabilities capabilities() const override {
    return {.past_versions = false, .check_and_set = false, .writes = false};
  }

  Result<ports::PathMetadata> metadata(std::string_view path) override {
    KEYD_ASSIGN_OR_RETURN(const std::string swarm, swarm_name(path));
    const std::string api_path = "/v1/swarms/" + swarm;
    const std::string what = "keyd daemon GET " + api_path;
    KEYD_ASSIGN_OR_RETURN(const auto response, get(api_path, swarm, false));
    const auto doc = SecretJson::parse(response.body.reveal_text(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return fail(malformed(what, "JSON object"));
    const auto version = int_at(doc, "version");
    if (!version) return fail(malformed(what, "version"));
    if (*version == 0) {
      const auto reachable = doc.find("store_reachable");
      if (reachable != doc.end() && reachable->is_boolean() && !reachable->get<bool>()) {
        return fail(ErrorCode::unavailable,
                    fmt::format("{}: the daemon has not reached its store for swarm {} yet ({})", what, swarm,
                                string_at(doc, "last_error").value_or("no error recorded")));
      }
      return fail(ErrorCode::not_found, fmt::format("{}: swarm {} has no key yet", what, swarm));
    }
    ports::PathMetadata meta;
    meta.current_version = *version;
    meta.oldest_version = *version;  // the daemon tells only the current version
    meta.created_time = string_at(doc, "created").value_or("");
    meta.updated_time = meta.created_time;
    meta.versions.push_back(ports::VersionInfo{*version, meta.created_time, false, false});
    spdlog::debug("{}: version {} (fingerprint {})", what, *version, string_at(doc, "fingerprint").value_or("?"));
    return meta;
  }

  Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override {
    KEYD_ASSIGN_OR_RETURN(const std::string swarm, swarm_name(path));
    // A past version is refused before the key is asked for (each key read is audited by the daemon).
    if (version) KEYD_TRY(require_current(path, swarm, *version));
    const std::string api_path = "/v1/swarms/" + swarm + "/key";
    const std::string what = "keyd daemon GET " + api_path;
    KEYD_ASSIGN_OR_RETURN(const auto response, get(api_path, swarm, true));
    KEYD_ASSIGN_OR_RETURN(ports::StoredVersion stored, parse_key(response.body, swarm, what));
    if (version && *version != stored.info.version) return past_version(swarm, *version, stored.info.version);
    spdlog::debug("{}: version {} (fingerprint {})", what, stored.info.version, stored.data.fingerprint);
    return stored;
  }

  Result<int> write(std::string_view path, const ports::VersionData&, int) override {
    return fail(ErrorCode::invalid_config,
                fmt::format("store.backend daemon is read-only: {} serves keys but does not take new ones; rotate, "
                            "import and rollback of {} run in the daemon (POST /v1/swarms/<name>/rotate) or with its "
                            "store's configuration",
                            describe(), path));
  }

 private:
  Result<std::string> swarm_name(std::string_view path) const {
    const auto it = m_options.swarms.find(path);
    if (it == m_options.swarms.end()) {
      return fail(ErrorCode::invalid_config,
                  fmt::format("store path {} is not the path of a configured swarm; the daemon backend reads keys by "
                              "swarm name",
                              path));
    }
    return it->second;
  }

  Status require_current(std::string_view path, std::string_view swarm, int version) {
    KEYD_ASSIGN_OR_RETURN(const ports::PathMetadata meta, metadata(path));
    if (meta.current_version == version) return {};
    return fail(past_version(swarm, version, meta.current_version).error());
  }

  static Result<ports::StoredVersion> past_version(std::string_view swarm, int version, int current) {
    return fail(ErrorCode::invalid_input,
                fmt::format("version {} of swarm {} cannot be read through the keyd daemon: its API serves only the "
                            "current version ({}); read past versions from the daemon's own store",
                            version, swarm, current));
  }

  // The token as it is now in token_file (a projected token is replaced while the pod runs).
  Result<Secret> read_token() const {
    auto content = read_secret_file(m_options.token_file);
    if (!content) {
      return fail(ErrorCode::unauthorized, fmt::format("cannot read the daemon token file {}: {}", m_options.token_file,
                                                       content.error().message));
    }
    const auto text = content->reveal_text();
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
      return fail(ErrorCode::unauthorized, fmt::format("the daemon token file {} is empty", m_options.token_file));
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return Secret::from_text(text.substr(first, last - first + 1));
  }

  Result<ports::HttpResponse> send_once(const std::string& api_path) {
    KEYD_ASSIGN_OR_RETURN(const Secret token, read_token());
    ports::HttpRequest request;
    request.method = "GET";
    request.url = m_options.url + api_path;
    request.headers.push_back({"Accept", "application/json", false});
    request.headers.push_back({"Authorization", "Bearer " + std::string(token.reveal_text()), true});
    request.connect_timeout = m_options.connect_timeout;
    request.total_timeout = m_options.timeout;
    auto response = m_transport.send(request);
    std::string& bearer = request.headers.back().value;
    secure_zero(bearer.data(), bearer.size());
    return response;
  }

  // One GET with bounded retries of what may pass (429, 5xx, connection failures, timeouts).
  Result<ports::HttpResponse> get(const std::string& api_path, const std::string& swarm, bool key_request) {
    const std::string what = "keyd daemon GET " + api_path;
    return m_retry.run([&]() -> detail::Attempt {
      auto response = send_once(api_path);
      if (!response) {
        Error error = std::move(response).error();
        const bool retryable = detail::is_retryable_transport_error(error);
        if (retryable) error.message = fmt::format("{}: {}", what, error.message);
        return std::unexpected(detail::AttemptFailure{std::move(error), retryable, std::nullopt});
      }
      if (response->status >= 200 && response->status < 300) return std::move(*response);
      return std::unexpected(detail::AttemptFailure{
          status_error(what, swarm, response->status, response->body, key_request),
          response->status == 429 || response->status >= 500, detail::retry_after_of(*response)});
    });
  }

  // What a non-2xx answer means, named by the API path and the status, with the daemon's message.
  Error status_error(std::string_view what, std::string_view swarm, int status, const Secret& body,
                     bool key_request) const {
    const DaemonError e = daemon_error(body);
    const std::string head = fmt::format("{}: {}{}", what, status, e.code.empty() ? "" : " " + e.code);
    if (status == 401) {
      return Error{ErrorCode::unauthorized, fmt::format("{}: the daemon rejected the token from {} ({})", head,
                                                        m_options.token_file, e.message)};
    }
    if (status == 403) {
      return Error{ErrorCode::unauthorized,
                   key_request ? fmt::format("{}: not a key reader of swarm {} ({}); the daemon's swarms[].key_readers "
                                             "must name this caller",
                                             head, swarm, e.message)
                               : fmt::format("{}: refused ({})", head, e.message)};
    }
    if (status == 404 && e.code == "no_key") {
      return Error{ErrorCode::not_found, fmt::format("{}: swarm {} has no key yet ({})", head, swarm, e.message)};
    }
    if (status == 404) {
      return Error{ErrorCode::invalid_config,
                   fmt::format("{}: {} knows no swarm {} ({}); swarms[].name must match the daemon's configuration",
                               head, describe(), swarm, e.message)};
    }
    if (status == 504 || status == 408) return Error{ErrorCode::timeout, fmt::format("{}: {}", head, e.message)};
    if (status == 429 || status >= 500) return Error{ErrorCode::unavailable, fmt::format("{}: {}", head, e.message)};
    return Error{ErrorCode::invalid_input, fmt::format("{}: {}", head, e.message)};
  }

  // {"swarm","version","fingerprint","created_time","key"}: the key must parse as go-libp2p reads
  // it and have the fingerprint the daemon sent, else nothing of it is used.
  static Result<ports::StoredVersion> parse_key(const Secret& body, std::string_view swarm, std::string_view what) {
    const auto doc = SecretJson::parse(body.reveal_text(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return fail(malformed(what, "JSON object"));
    if (string_at(doc, "swarm") != swarm) return fail(malformed(what, fmt::format("swarm \"{}\"", swarm)));
    const auto version = int_at(doc, "version");
    if (!version || *version < 1) return fail(malformed(what, "version"));
    const auto fingerprint = string_at(doc, "fingerprint");
    if (!fingerprint || fingerprint->empty()) return fail(malformed(what, "fingerprint"));
    const auto key = doc.find("key");
    if (key == doc.end() || !key->is_string() || key->empty()) return fail(malformed(what, "key"));
    const auto& text = key->get_ref<const detail::WipedString&>();
    ports::StoredVersion stored;
    stored.info.version = *version;
    stored.info.created_time = string_at(doc, "created_time").value_or("");
    stored.data.key_text = Secret(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    stored.data.fingerprint = *fingerprint;
    auto parsed = domain::parse_swarm_key(stored.data.key_text);
    if (!parsed) {
      return fail(ErrorCode::integrity, fmt::format("{}: the key sent for swarm {} version {} is not a valid swarm key "
                                                    "({}); refused",
                                                    what, swarm, *version, parsed.error().message));
    }
    if (const std::string actual = parsed->key.fingerprint().hex(); actual != *fingerprint) {
      return fail(ErrorCode::integrity,
                  fmt::format("{}: the key sent for swarm {} version {} has fingerprint {}, not {} as the daemon "
                              "said; refused",
                              what, swarm, *version, actual, *fingerprint));
    }
    return stored;
  }

  DaemonStoreOptions m_options;
  ports::HttpTransport& m_transport;
  detail::RetryPolicy m_retry;
};

}  // namespace

Status check_daemon_url(std::string_view url) {
  if (url.starts_with("https://") && url.size() > 8) return {};
  if (!url.starts_with("http://")) {
    return fail(ErrorCode::invalid_config,
                fmt::format("keyd daemon URL '{}' must start with https:// (or http:// to a loopback host)", url));
  }
  if (is_loopback_url(url)) return {};
  return fail(ErrorCode::invalid_config,
              fmt::format("keyd daemon URL '{}' uses plain http to a non-loopback host, which would send the token "
                          "and the key unencrypted; use https://",
                          url));
}

Result<std::unique_ptr<ports::SecretStore>> make_daemon_store(DaemonStoreOptions options,
                                                              ports::HttpTransport& transport,
                                                              const ports::Clock& clock, ports::Random& random) {
  KEYD_TRY(check_daemon_url(options.url));
  while (options.url.ends_with('/')) options.url.pop_back();
  if (options.token_file.empty()) {
    return fail(ErrorCode::invalid_config, "store.daemon.token_file is required with store.backend: daemon");
  }
  options.max_attempts = std::clamp(options.max_attempts, 1, 10);
  return std::make_unique<DaemonStore>(std::move(options), transport, clock, random);
}

}  // namespace keyd::adapters
