#include "keyd/server/prometheus.hpp"

#include <fmt/format.h>

#include <cmath>

namespace keyd::server {

std::string prometheus_escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string prometheus_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  m_out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void PrometheusText::sample(std::string_view name, Labels labels, std::string_view value) {
  m_out += name;
  if (labels.size() > 0) {
    m_out += '{';
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      if (!first) m_out += ',';
      first = false;
      m_out += fmt::format("{}=\"{}\"", label, prometheus_escape(label_value));
    }
    m_out += '}';
  }
  m_out += ' ';
  m_out += value;
  m_out += '\n';
}

}  // namespace keyd::server
