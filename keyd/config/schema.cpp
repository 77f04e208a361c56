#include "schema.hpp"

#include "keyd/common/duration.hpp"
#include "keyd/domain/scan.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace keyd::config::schema {

namespace {

constexpr std::size_t k_max_problem_chars = 1024;
constexpr std::size_t k_min_hex_run = 24;     // a base16 key has 64; a ZeroTier network id (16) stays
constexpr std::size_t k_min_base64_run = 40;  // a base64 key has 44

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_base64(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' || c == '/' || c == '=';
}

// Key material is random: hex with digits and letters, base64 with digits, upper and lower case.
// Runs of one character ("aaaa…", a name that is too long) stay readable.
bool random_looking_hex(std::string_view run) {
  return run.size() >= k_min_hex_run && std::ranges::any_of(run, is_digit) &&
         !std::ranges::all_of(run, is_digit);
}
bool random_looking_base64(std::string_view run) {
  return run.size() >= k_min_base64_run && std::ranges::any_of(run, is_digit) &&
         std::ranges::any_of(run, [](char c) { return c >= 'a' && c <= 'z'; }) &&
         std::ranges::any_of(run, [](char c) { return c >= 'A' && c <= 'Z'; });
}

// A message must hold nothing keyd scan would report: a run of one repeated hex letter is not
// random-looking, yet on a line that says "psk" or "swarm key" the scanner reads 64 of them as a
// labelled (weak) key (fuzz findings 19 and 20). Ask the scanner itself, so the two never disagree:
// the word holding each finding becomes <redacted> until nothing is found.
void redact_what_scan_finds(std::string& out) {
  constexpr int k_max_rounds = 64;  // each round removes a word; a message has at most ~1 KB of them
  for (int round = 0; round < k_max_rounds; ++round) {
    const auto findings = domain::scan_for_keys(out);
    if (findings.empty()) return;
    const std::size_t at = std::min(findings.front().offset, out.size() - 1);
    const auto is_space = [](char c) { return c == ' ' || c == '\''; };
    std::size_t start = at;
    while (start > 0 && !is_space(out[start - 1])) --start;
    std::size_t end = at;
    while (end < out.size() && !is_space(out[end])) ++end;
    if (end == start) ++end;
    out.replace(start, end - start, "<redacted>");
  }
  if (!domain::scan_for_keys(out).empty()) out = "<redacted: the message quoted key-shaped text>";
}

}  // namespace

// The messages quote the values they refuse, and a value may be anything (a key file given as the
// config, a multi-line scalar): one line each, no control characters, bounded, with runs that could
// be key material (24+ hex digits, 40+ base64 characters, random-looking) replaced. Found by
// tests/fuzz/config_fuzz.
std::string fit_for_message(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size() && out.size() < k_max_problem_chars) {
    std::size_t hex = i;
    while (hex < text.size() && is_hex(text[hex])) ++hex;
    std::size_t b64 = i;
    while (b64 < text.size() && is_base64(text[b64])) ++b64;
    if (random_looking_hex(text.substr(i, hex - i)) || random_looking_base64(text.substr(i, b64 - i))) {
      out += "<redacted>";
      i = std::max(hex, b64);
      continue;
    }
    if (b64 > i) {
      out.append(text.substr(i, b64 - i));
      i = b64;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i++]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (out.size() > k_max_problem_chars) {
    out.resize(k_max_problem_chars);
    out += "...";
  } else if (i < text.size()) {
    out += "...";
  }
  redact_what_scan_finds(out);
  return out;
}

void Problems::add(const YAML::Mark& mark, std::string message) {
  // yaml-cpp marks are 0-based; a missing mark (-1) means "the start of the document".
  m_items.push_back(Item{std::max(mark.line, 0) + 1, std::max(mark.column, 0) + 1, fit_for_message(message)});
}

Error Problems::to_error() const {
  std::vector<Item> items = m_items;
  std::ranges::stable_sort(items, [](const Item& a, const Item& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  std::string message;
  for (const Item& item : items) {
    if (!message.empty()) message += '\n';
    message += m_source + ":" + std::to_string(item.line) + ":" + std::to_string(item.column) + ": " + item.text;
  }
  return Error{ErrorCode::invalid_config, std::move(message)};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: break;
  }
  return "an empty value";
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::optional<std::string> scalar(const YAML::Node& node, const Where& where, Problems& problems) {
  if (node.IsScalar()) return node.Scalar();
  problems.add(where.mark, where.prefix() + "expected a string, got " + describe(node));
  return std::nullopt;
}

std::optional<std::string> non_empty_string(const YAML::Node& node, const Where& where, Problems& problems) {
  auto text = scalar(node, where, problems);
  if (text && text->empty()) {
    problems.add(where.mark, where.prefix() + "must not be empty");
    return std::nullopt;
  }
  return text;
}

std::optional<int> integer(const YAML::Node& node, const Where& where, Problems& problems, int min, int max) {
  const std::string text = node.IsScalar() ? node.Scalar() : std::string();
  int value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first != last && *first == '+') ++first;
  const auto [end, ec] = std::from_chars(first, last, value);
  if (!node.IsScalar() || text.empty() || end != last || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    problems.add(where.mark, where.prefix() + "expected an integer, got " + describe(node));
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    problems.add(where.mark, where.prefix() + "must be between " + std::to_string(min) + " and " +
                                 std::to_string(max) + ", got " + text);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> boolean(const YAML::Node& node, const Where& where, Problems& problems) {
  const std::string text = node.IsScalar() ? node.Scalar() : std::string();
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  problems.add(where.mark, where.prefix() + "expected true or false, got " + describe(node));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> duration(const YAML::Node& node, const Where& where, Problems& problems,
                                                  std::chrono::milliseconds min, std::chrono::milliseconds max) {
  auto text = non_empty_string(node, where, problems);
  if (!text) return std::nullopt;
  const auto parsed = parse_duration(*text);
  if (!parsed) {
    problems.add(where.mark, where.prefix() + parsed.error().message);
    return std::nullopt;
  }
  if (*parsed < min || *parsed > max) {
    problems.add(where.mark, where.prefix() + "must be between " + format_duration(min) + " and " +
                                 format_duration(max) + ", got '" + *text + "'");
    return std::nullopt;
  }
  if (*parsed % std::chrono::milliseconds{1} != std::chrono::nanoseconds{0}) {
    problems.add(where.mark, where.prefix() + "must be a whole number of milliseconds, got '" + *text + "'");
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
}

std::optional<std::string> choice(const YAML::Node& node, const Where& where, Problems& problems,
                                  std::span<const Choice> choices, std::string_view noun) {
  auto text = non_empty_string(node, where, problems);
  if (!text) return std::nullopt;
  std::vector<std::string> supported;
  for (const Choice& c : choices) {
    if (c.supported) supported.emplace_back(c.name);
    if (c.name != *text) continue;
    if (c.supported) return text;
    problems.add(where.mark, where.prefix() + std::string(noun) + " '" + *text + "' is not supported yet");
    return std::nullopt;
  }
  problems.add(where.mark, where.prefix() + "unknown " + std::string(noun) + " '" + *text + "' (expected: " +
                               join(supported) + ")");
  return std::nullopt;
}

std::string relative_path_problem(std::string_view path) {
  if (path.empty()) return "must not be empty";
  if (path.front() == '/') return "must be relative (no leading '/')";
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view component = path.substr(start, slash - start);
    if (component.empty()) return "must not contain empty components ('//' or a trailing '/')";
    if (component == "." || component == "..") return "must not contain '.' or '..' components";
    start = slash + 1;
  }
  return {};
}

std::optional<YAML::Mark> key_mark(const YAML::Node& map, std::string_view name) {
  if (!map.IsMap()) return std::nullopt;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;
    if (key.IsScalar() && key.Scalar() == name) return key.Mark();
  }
  return std::nullopt;
}

bool walk_map(const YAML::Node& node, const Where& where, Problems& problems, std::span<const std::string_view> keys,
              std::span<const bool> required, const std::function<void(std::size_t, const YAML::Node&, const Where&)>& on_field) {
  if (!node.IsMap()) {
    problems.add(where.mark, where.prefix() + "expected a map, got " + describe(node));
    return false;
  }
  const std::string in = where.path.empty() ? std::string() : " in " + where.path;
  std::map<std::string, int, std::less<>> seen;  // key → 1-based line of its first occurrence
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;  // copies: it-> returns a temporary proxy
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      problems.add(key.Mark(), "keys must be strings" + in + ", got " + describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    if (const auto [first, inserted] = seen.emplace(name, key.Mark().line + 1); !inserted) {
      problems.add(key.Mark(), "duplicate key '" + name + "'" + in + " (first at line " + std::to_string(first->second) + ")");
      continue;
    }
    const auto found = std::ranges::find(keys, std::string_view(name));
    if (found == keys.end()) {
      std::vector<std::string> expected(keys.begin(), keys.end());
      problems.add(key.Mark(), "unknown key '" + name + "'" + in + " (expected: " + join(expected) + ")");
      continue;
    }
    // An empty value's mark points at the next token; the key is the useful position then.
    const YAML::Mark at = value.IsNull() ? key.Mark() : value.Mark();
    on_field(static_cast<std::size_t>(found - keys.begin()), value, where.child(name, at));
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (required[i] && !seen.contains(keys[i])) {
      problems.add(where.mark, where.child(keys[i], where.mark).path + ": required");
    }
  }
  return true;
}

}  // namespace keyd::config::schema
