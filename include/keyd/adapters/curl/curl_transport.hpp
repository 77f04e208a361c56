// HttpTransport over libcurl: connect and total timeouts on every request, TLS verification on by
// default, mutual TLS, custom verbs (LIST). One instance per upstream service.
#pragma once

#include "keyd/ports/http.hpp"

#include <memory>

namespace keyd::adapters {

// Fails (invalid_config) when TLS files named in `tls` cannot be read.
[[nodiscard]] Result<std::unique_ptr<ports::HttpTransport>> make_curl_transport(ports::TlsOptions tls);

// Call first thing in main, before anything uses OpenSSL: OpenSSL then does not free its state in
// an atexit handler. The handler could run while a thread still holds a TLS connection (a transfer
// being abandoned at exit) and costs about 0.5 ms of every command's exit; the kernel frees the
// memory anyway. Like curl_global_init, which is never undone for the same reason.
void keep_tls_library_until_exit();

}  // namespace keyd::adapters
