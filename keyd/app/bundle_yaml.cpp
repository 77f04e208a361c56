// The YAML text emitter of keyd bundle: block style, two-space indent, safe quoting.
#include "bundle_parts.hpp"

#include <algorithm>
#include <array>

namespace keyd::app::bundle {

namespace {

// Words YAML 1.1 (go-yaml v2, behind sigs.k8s.io/yaml and kubectl) or 1.2 reads as bool or null.
constexpr std::array<std::string_view, 26> k_special_words{
    "y",     "Y",     "yes",   "Yes", "YES", "n",  "N",   "no",  "No",  "NO",   "true", "True", "TRUE",
    "false", "False", "FALSE", "on",  "On",  "ON", "off", "Off", "OFF", "null", "Null", "NULL", "<<"};

bool is_numeric_like(std::string_view s) {
  // Anything a resolver might read as an int, float, octal, hex, sexagesimal or timestamp.
  const std::size_t start = (s[0] == '+' || s[0] == '-' || s[0] == '.') ? 1 : 0;
  if (start == s.size()) return false;
  const char first = s[start];
  if (!(first >= '0' && first <= '9') && first != '.') {
    std::string lower(s.substr(start));
    std::ranges::transform(lower, lower.begin(), [](char c) { return static_cast<char>(c | 0x20); });
    return lower == "inf" || lower == ".inf" || lower == "nan" || lower == ".nan";
  }
  return std::ranges::all_of(s, [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
           std::string_view("xXoO_.:+-tTzZ ").find(c) != std::string_view::npos;
  });
}

bool is_plain_safe(std::string_view s) {
  if (s.empty() || s == "~" || s == "=") return false;
  if (std::ranges::find(k_special_words, s) != k_special_words.end()) return false;
  if (is_numeric_like(s)) return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(s.front()) != std::string_view::npos) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) return false;
  return std::ranges::none_of(s, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string double_quoted(std::string_view s) { return Json(std::string(s)).dump(); }

bool literal_block_ok(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.front() == '\n' || s.ends_with("\n\n")) return false;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t end = s.find('\n', start);
    if (end == std::string_view::npos) end = s.size();
    const std::string_view line = s.substr(start, end - start);
    if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) return false;
    if (std::ranges::any_of(line,
                            [](char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f; })) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

std::string pad(int indent) { return std::string(static_cast<std::size_t>(indent), ' '); }

class Writer {
 public:
  std::string out;

  void map(const Json& m, int indent, bool continues_line) {
    bool first = true;
    for (const auto& [key, value] : m.items()) {
      if (key.starts_with("#")) {
        if (!(first && continues_line)) comment_lines(value.get<std::string>(), indent);
        continue;  // comments leading a list item were written before its "- "
      }
      if (!(first && continues_line)) out += pad(indent);
      first = false;
      out += (is_plain_safe(key) ? key : double_quoted(key)) + ":";
      entry(value, indent);
    }
  }

  void seq(const Json& s, int indent) {
    for (const Json& item : s) {
      if (item.is_object() && !item.empty()) {
        for (const auto& [key, value] : item.items()) {
          if (!key.starts_with("#")) break;
          comment_lines(value.get<std::string>(), indent);
        }
        out += pad(indent) + "- ";
        map(item, indent + 2, true);
      } else if (item.is_array() && !item.empty()) {
        out += pad(indent) + "-\n";
        seq(item, indent + 2);
      } else {
        out += pad(indent) + "- " + scalar(item) + "\n";
      }
    }
  }

 private:
  void entry(const Json& value, int indent) {
    if (value.is_object() && !value.empty()) {
      out += "\n";
      map(value, indent + 2, false);
    } else if (value.is_array() && !value.empty()) {
      out += "\n";
      seq(value, indent + 2);
    } else if (value.is_string() && value.get<std::string>().find('\n') != std::string::npos &&
               literal_block_ok(value.get<std::string>())) {
      const std::string& text = value.get<std::string>();
      out += text.ends_with('\n') ? " |\n" : " |-\n";
      std::size_t start = 0;
      while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string_view line = std::string_view(text).substr(start, end - start);
        out += line.empty() ? std::string("\n") : pad(indent + 2) + std::string(line) + "\n";
        start = end + 1;
      }
    } else {
      out += " " + scalar(value) + "\n";
    }
  }

  void comment_lines(std::string_view text, int indent) {
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view line = text.substr(start, end - start);
      out += pad(indent) + (line.empty() ? std::string("#") : "# " + std::string(line)) + "\n";
      start = end + 1;
    }
  }

  static std::string scalar(const Json& v) {
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      return is_plain_safe(s) ? s : double_quoted(s);
    }
    if (v.is_object()) return "{}";
    if (v.is_array()) return "[]";
    return v.dump();  // numbers, booleans, null
  }
};

}  // namespace

std::string to_yaml(const Json& document) {
  Writer w;
  if (document.is_object()) {
    w.map(document, 0, false);
  } else if (document.is_array()) {
    w.seq(document, 0);
  } else {
    w.out = document.dump() + "\n";
  }
  return w.out;
}

std::string comment(std::string_view text) { return "#" + std::string(text); }

std::string yaml_file(std::string_view comment_text, const std::vector<Json>& documents) {
  std::string out = std::string(k_bundle_header) + "\n";
  if (!comment_text.empty()) {
    Json holder = Json::object();
    holder[comment(comment_text)] = std::string(comment_text);
    out += to_yaml(holder);
  }
  for (const Json& document : documents) out += "---\n" + to_yaml(document);
  return out;
}

}  // namespace keyd::app::bundle
