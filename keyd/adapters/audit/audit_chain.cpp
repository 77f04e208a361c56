// The audit trail's line format, hash chain and head file (see audit_chain.hpp).
#include "audit_chain.hpp"

#include "keyd/adapters/os/fs.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

namespace keyd::adapters::detail {
namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr std::string_view k_torn_flag = "after_torn_line";

constexpr std::string_view k_key_path_marker = "/key/swarm/psk/";

}  // namespace

bool is_hash(std::string_view s) {
  return s.size() == k_hash_digits &&
         std::ranges::all_of(s, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status refuse_key_material(const ports::AuditEvent& e) {
  const std::array<std::pair<std::string_view, const std::string*>, 9> fields{{
      {"time", &e.time}, {"actor", &e.actor}, {"action", &e.action}, {"swarm", &e.swarm},
      {"fingerprint", &e.fingerprint}, {"outcome", &e.outcome}, {"error", &e.error}, {"target", &e.target},
      {"detail", &e.detail}}};
  for (const auto& [name, value] : fields) {
    if (value->find(k_key_path_marker) != std::string::npos) {
      return fail(ErrorCode::internal, "refusing to write an audit entry whose '" + std::string(name) +
                                           "' field contains a key path (" + std::string(k_key_path_marker) +
                                           "); audit entries never hold key material");
    }
  }
  return {};
}

ParsedLine parse_line(std::string_view line) {
  OrderedJson j = OrderedJson::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return {};
  ParsedLine out{LineKind::not_entry, {}};
  if (!j.is_object()) return out;
  const auto seq = j.find("seq");
  const auto prev = j.find("prev");
  if (seq == j.end() || !seq->is_number_integer() || prev == j.end() || !prev->is_string()) return out;
  out.link.seq = seq->get<std::int64_t>();
  out.link.prev = prev->get<std::string>();
  if (out.link.seq < 1 || !is_hash(out.link.prev)) return out;
  const auto torn = j.find(k_torn_flag);
  out.link.after_torn = torn != j.end() && torn->is_boolean() && torn->get<bool>();
  out.kind = LineKind::entry;
  return out;
}

std::string format_line(const ports::AuditEvent& e, std::int64_t seq, const std::string& prev, bool after_torn) {
  OrderedJson j;
  j["seq"] = seq;
  j["time"] = e.time;
  j["actor"] = e.actor;
  j["action"] = e.action;
  if (!e.swarm.empty()) j["swarm"] = e.swarm;
  if (e.version) j["version"] = *e.version;
  if (!e.fingerprint.empty()) j["fingerprint"] = e.fingerprint;
  j["outcome"] = e.outcome;
  if (!e.error.empty()) j["error"] = e.error;
  if (!e.target.empty()) j["target"] = e.target;
  if (!e.detail.empty()) j["detail"] = e.detail;
  if (after_torn) j[k_torn_flag] = true;
  j["prev"] = prev;
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

std::optional<ports::AuditEvent> parse_event(std::string_view line) {
  const OrderedJson j = OrderedJson::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  const auto text = [&j](const char* name) {
    const auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  ports::AuditEvent e{text("time"), text("actor"), text("action"), text("swarm"), std::nullopt, text("fingerprint"),
                      text("outcome"),  text("error"), text("target"), text("detail")};
  if (const auto v = j.find("version"); v != j.end() && v->is_number_integer()) e.version = v->get<int>();
  return e;
}

std::filesystem::path with_suffix(const std::filesystem::path& file, std::string_view suffix) {
  return std::filesystem::path(file.string() + std::string(suffix));
}

Result<std::optional<Head>> read_head(const std::filesystem::path& head_file) {
  auto text = read_text_file(head_file);
  if (!text) {
    if (text.error().code == ErrorCode::not_found) return std::optional<Head>{};
    return fail(text.error());
  }
  const OrderedJson j = OrderedJson::parse(*text, nullptr, false);
  if (j.is_object() && j.contains("seq") && j["seq"].is_number_integer() && j.contains("hash") &&
      j["hash"].is_string() && is_hash(j["hash"].get<std::string>())) {
    return std::optional<Head>{Head{j["seq"].get<std::int64_t>(), j["hash"].get<std::string>()}};
  }
  return fail(ErrorCode::integrity, "head file " + head_file.string() + " is not valid");
}

std::string format_head(std::int64_t seq, std::string_view line) {
  return OrderedJson{{"seq", seq}, {"hash", sha256_hex(line)}}.dump() + "\n";
}

std::string head_problem(const std::optional<Head>& head, const ChainEnd& end, const std::filesystem::path& head_file,
                         const std::string& last, const HashOfEntry& hash_of) {
  if (!head) {
    if (end.seq <= 1) return {};  // new log, or a crash before the first head write
    return "head file " + head_file.string() + " is missing (cannot tell whether entries were removed from the end)";
  }
  if (head->seq == end.seq && head->hash == end.hash) return {};
  if (head->seq == end.seq - 1 && head->hash == end.prev) return {};  // crash before the head update
  // A crash between a group commit's fsync and its head update.
  if (head->seq < end.seq - 1 && head->seq >= end.seq - k_max_group_entries && head->seq > 0 && hash_of) {
    if (const auto hash = hash_of(head->seq); hash && *hash == head->hash) return {};
  }
  const std::string ends = "file ends at seq " + std::to_string(end.seq) + " but the head file records seq " +
                           std::to_string(head->seq);
  if (head->seq > end.seq) return ends + " (entries removed from the end)";
  if (head->seq == end.seq) {
    return last + ": does not match the hash the head file records for seq " + std::to_string(end.seq) + " (" + last +
           " was changed)";
  }
  return ends + " with a different hash (the head file is stale or was replaced)";
}

}  // namespace keyd::adapters::detail
