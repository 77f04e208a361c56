// HttpTransport over libcurl: connect and total timeouts on every request, TLS verification on by
// default, mutual TLS, custom verbs (LIST). One instance per upstream service.
#pragma once

#include "keyd/ports/http.hpp"

#include <memory>

namespace keyd::adapters {

// Fails (invalid_config) when TLS files named in `tls` cannot be read.
[[nodiscard]] Result<std::unique_ptr<ports::HttpTransport>> make_curl_transport(ports::TlsOptions tls);

}  // namespace keyd::adapters
