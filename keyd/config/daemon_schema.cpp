// What `keyd daemon` reads: sync_interval, server, leader_election and swarms[].rotation.
#include "keyd/config/config.hpp"

#include "keyd/common/duration.hpp"
#include "keyd/domain/schedule.hpp"
#include "schema.hpp"

#include <algorithm>
#include <charconv>

namespace keyd::config::schema {
namespace {

constexpr std::int64_t k_second_ms = 1'000;
constexpr std::int64_t k_hour_ms = 3'600'000;
constexpr std::int64_t k_year_ms = 366 * 24 * k_hour_ms;

// "host:port", "[v6]:port"; port 0 lets the system choose (tests).
bool valid_listen(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  int number = -1;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || number < 0 || number > 65535) {
    return false;
  }
  if (host.front() == '[') return host.size() > 2 && host.back() == ']';
  return host.find_first_of(":[] /") == std::string_view::npos;
}

void parse_listen(const YAML::Node& value, const Where& where, Problems& problems, ServerConfig& out) {
  auto text = non_empty_string(value, where, problems);
  if (!text) return;
  if (!valid_listen(*text)) {
    problems.add(
        where.mark,
        where.prefix() + "expected host:port (e.g. 127.0.0.1:8750, [::1]:8750, 0.0.0.0:8750), got '" + *text + "'");
    return;
  }
  out.listen = std::move(*text);
}

// A non-empty list of non-empty strings.
void parse_strings(const YAML::Node& value, const Where& where, Problems& problems, std::string_view noun,
                   std::vector<std::string>& out) {
  if (!value.IsSequence() || value.size() == 0) {
    problems.add(where.mark,
                 where.prefix() + "expected a non-empty list of " + std::string(noun) + ", got " + describe(value));
    return;
  }
  std::size_t index = 0;
  for (const YAML::Node& item : value) {
    const Where at{where.path + "[" + std::to_string(index++) + "]", item.Mark()};
    if (auto text = non_empty_string(item, at, problems)) out.push_back(std::move(*text));
  }
}

void parse_audiences(const YAML::Node& value, const Where& where, Problems& problems, TokenReviewConfig& out) {
  parse_strings(value, where, problems, "audiences", out.audiences);
}

void parse_allowed_users(const YAML::Node& value, const Where& where, Problems& problems, TokenReviewConfig& out) {
  parse_strings(value, where, problems, "user names", out.allowed_users);
}

constexpr std::array k_tokenreview_fields{
    Field<TokenReviewConfig>{"enabled", false, bool_field<&TokenReviewConfig::enabled>},
    Field<TokenReviewConfig>{"audiences", false, parse_audiences},
    Field<TokenReviewConfig>{"allowed_users", false, parse_allowed_users},
    Field<TokenReviewConfig>{"cache_ttl", false, duration_field<&TokenReviewConfig::cache_ttl, k_second_ms, k_hour_ms>},
    Field<TokenReviewConfig>{"negative_cache_ttl", false,
                             duration_field<&TokenReviewConfig::negative_cache_ttl, k_second_ms, k_hour_ms>},
    Field<TokenReviewConfig>{"cache_size", false, int_field<&TokenReviewConfig::cache_size, 16, 1 << 20>},
    Field<TokenReviewConfig>{"reviews_per_second", false, int_field<&TokenReviewConfig::reviews_per_second, 1, 10'000>},
    Field<TokenReviewConfig>{"burst", false, int_field<&TokenReviewConfig::burst, 1, 100'000>},
};

constexpr std::array k_auth_fields{
    Field<ServerAuthConfig>{"tokens_file", false, string_field<&ServerAuthConfig::tokens_file>},
    Field<ServerAuthConfig>{"tokenreview", false, map_field<&ServerAuthConfig::tokenreview, k_tokenreview_fields>},
};

constexpr std::array k_tls_fields{
    Field<ServerTlsConfig>{"cert_file", true, string_field<&ServerTlsConfig::cert_file>},
    Field<ServerTlsConfig>{"key_file", true, string_field<&ServerTlsConfig::key_file>},
};

void parse_tls(const YAML::Node& value, const Where& where, Problems& problems, ServerConfig& out) {
  ServerTlsConfig tls;
  if (parse_map(value, where, problems, k_tls_fields, tls)) out.tls = std::move(tls);
}

constexpr std::array k_server_fields{
    Field<ServerConfig>{"listen", false, parse_listen},
    Field<ServerConfig>{"auth", false, map_field<&ServerConfig::auth, k_auth_fields>},
    Field<ServerConfig>{"tls", false, parse_tls},
    Field<ServerConfig>{"max_body_bytes", false, int_field<&ServerConfig::max_body_bytes, 0, 1 << 20>},
    Field<ServerConfig>{"threads", false, int_field<&ServerConfig::threads, 1, 64>},
    Field<ServerConfig>{"max_connections", false, int_field<&ServerConfig::max_connections, 8, 65536>},
    Field<ServerConfig>{"timeout", false, duration_field<&ServerConfig::timeout, 100, 5 * 60 * k_second_ms>},
};

void parse_lease_name(const YAML::Node& value, const Where& where, Problems& problems, LeaderElectionConfig& out) {
  auto text = non_empty_string(value, where, problems);
  if (!text) return;
  const auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'; };
  if (text->size() > 253 || !std::ranges::all_of(*text, ok) || text->front() == '-' || text->back() == '-') {
    problems.add(where.mark, where.prefix() + "invalid lease name '" + *text + "'");
    return;
  }
  out.lease_name = std::move(*text);
}

void parse_lock_file(const YAML::Node& value, const Where& where, Problems& problems, LeaderElectionConfig& out) {
  string_field<&LeaderElectionConfig::lock_file>(value, where, problems, out);
  out.lock_file_set = true;
}

constexpr std::array k_leader_fields{
    Field<LeaderElectionConfig>{"lease_name", false, parse_lease_name},
    Field<LeaderElectionConfig>{"lease_namespace", false, string_field<&LeaderElectionConfig::lease_namespace>},
    Field<LeaderElectionConfig>{"lease_duration", false,
                                duration_field<&LeaderElectionConfig::lease_duration, k_second_ms, k_hour_ms>},
    Field<LeaderElectionConfig>{"renew_deadline", false,
                                duration_field<&LeaderElectionConfig::renew_deadline, 100, k_hour_ms>},
    Field<LeaderElectionConfig>{"retry_period", false,
                                duration_field<&LeaderElectionConfig::retry_period, 100, k_hour_ms>},
    Field<LeaderElectionConfig>{"lock_file", false, parse_lock_file},
};

void parse_window(const YAML::Node& value, const Where& where, Problems& problems, RotationConfig& out) {
  auto text = non_empty_string(value, where, problems);
  if (!text) return;
  auto parsed = domain::RotationWindow::parse(*text);
  if (!parsed) {
    problems.add(where.mark, where.prefix() + parsed.error().message);
    return;
  }
  out.window = std::move(*parsed);
}

constexpr std::array k_rotation_fields{
    Field<RotationConfig>{"max_age", true, duration_field<&RotationConfig::max_age, k_hour_ms, 10 * k_year_ms>},
    Field<RotationConfig>{"window", false, parse_window},
};

}  // namespace

void parse_server_section(const YAML::Node& value, const Where& where, Problems& problems, Config& out) {
  parse_map(value, where, problems, k_server_fields, out.server);
}

void parse_leader_election_section(const YAML::Node& value, const Where& where, Problems& problems, Config& out) {
  if (!parse_map(value, where, problems, k_leader_fields, out.leader_election)) return;
  // client-go's rules: duration > renew deadline > 1.2 × retry period (else leadership flaps).
  const LeaderElectionConfig& le = out.leader_election;
  if (le.lease_duration <= le.renew_deadline) {
    problems.add(where.mark, where.prefix() + "lease_duration (" + format_duration(le.lease_duration) +
                                 ") must be longer than renew_deadline (" + format_duration(le.renew_deadline) + ")");
  }
  if (le.renew_deadline * 5 <= le.retry_period * 6) {
    problems.add(where.mark, where.prefix() + "renew_deadline (" + format_duration(le.renew_deadline) +
                                 ") must be longer than 1.2 × retry_period (" + format_duration(le.retry_period) + ")");
  }
}

void parse_sync_interval(const YAML::Node& value, const Where& where, Problems& problems, Config& out) {
  if (auto d = duration(value, where, problems, std::chrono::seconds{1}, std::chrono::hours{24}))
    out.sync_interval = *d;
}

void parse_rotation(const YAML::Node& value, const Where& where, Problems& problems, SwarmConfig& out) {
  RotationConfig rotation;
  if (parse_map(value, where, problems, k_rotation_fields, rotation) && rotation.max_age.count() > 0) {
    out.rotation = std::move(rotation);
  }
}

namespace {

// A list of caller names as ports::Caller spells them; [] (nobody) is allowed and the default.
void parse_callers(const YAML::Node& value, const Where& where, Problems& problems, std::vector<std::string>& out) {
  if (!value.IsSequence()) {
    problems.add(where.mark,
                 where.prefix() + "expected a list of caller names (token:<name>, k8s:<user>), got " + describe(value));
    return;
  }
  std::size_t index = 0;
  for (const YAML::Node& item : value) {
    const Where at{where.path + "[" + std::to_string(index++) + "]", item.Mark()};
    auto text = non_empty_string(item, at, problems);
    if (!text) continue;
    // Kubernetes user names have no blanks ("k8s:… pod=x" would name a pod: readers are users).
    const bool token = text->starts_with("token:") && text->size() > 6;
    const bool k8s = text->starts_with("k8s:") && text->size() > 4 && text->find_first_of(" \t") == std::string::npos;
    if (!token && !k8s) {
      problems.add(at.mark, at.prefix() + "'" + *text +
                                "' is not a caller: expected token:<name from server.auth.tokens_file> or "
                                "k8s:<TokenReview user name, e.g. system:serviceaccount:ipfs:ipfs-overlay>");
      continue;
    }
    if (std::ranges::find(out, *text) == out.end()) out.push_back(std::move(*text));
  }
}

}  // namespace

void parse_key_readers(const YAML::Node& value, const Where& where, Problems& problems, SwarmConfig& out) {
  parse_callers(value, where, problems, out.key_readers);
}

void parse_operators(const YAML::Node& value, const Where& where, Problems& problems, SwarmConfig& out) {
  parse_callers(value, where, problems, out.operators);
}

}  // namespace keyd::config::schema
