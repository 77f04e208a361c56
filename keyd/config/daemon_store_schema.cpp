// store.daemon: the read-only backend that reads keys through a keyd daemon's HTTP API.
#include "keyd/config/config.hpp"

#include "schema.hpp"

#include "keyd/common/address.hpp"

#include <algorithm>
#include <cstdint>

namespace keyd::config::schema {
namespace {

void parse_url(const YAML::Node& value, const Where& where, Problems& problems, DaemonStoreConfig& out) {
  auto text = non_empty_string(value, where, problems);
  if (!text) return;
  const bool http = text->starts_with("http://");
  const std::size_t host_at = http ? 7 : 8;
  if ((!http && !text->starts_with("https://")) || text->size() <= host_at || (*text)[host_at] == '/') {
    problems.add(where.mark, where.prefix() +
                                 "expected an https:// URL (http:// only to 127.0.0.1, localhost or "
                                 "[::1]), got '" +
                                 *text + "'");
    return;
  }
  if (http && !is_loopback_url(*text)) {
    problems.add(where.mark, where.prefix() + "'" + *text +
                                 "' uses plain http to a non-loopback host, which would send the token and the key "
                                 "unencrypted; use https://");
    return;
  }
  out.url = std::move(*text);
}

constexpr std::int64_t k_hour_ms = 3'600'000;

constexpr std::array k_daemon_fields{
    Field<DaemonStoreConfig>{"url", false, parse_url},
    Field<DaemonStoreConfig>{"token_file", false, string_field<&DaemonStoreConfig::token_file>},
    Field<DaemonStoreConfig>{"ca_file", false, string_field<&DaemonStoreConfig::ca_file>},
    Field<DaemonStoreConfig>{"timeout", false, duration_field<&DaemonStoreConfig::timeout, 10, k_hour_ms>},
    Field<DaemonStoreConfig>{"max_attempts", false, int_field<&DaemonStoreConfig::max_attempts, 1, 10>},
};

}  // namespace

void parse_daemon_store_section(const YAML::Node& value, const Where& where, Problems& problems, StoreConfig& out) {
  (void)parse_map(value, where, problems, k_daemon_fields, out.daemon);
}

}  // namespace keyd::config::schema
