// Checks that the daemon's HTTP server could start on new settings, without starting it: keyd
// daemon runs them before it restarts in place on a reloaded configuration (SIGHUP), so a setting
// that cannot start is refused while the running server keeps serving.
#pragma once

#include "keyd/common/result.hpp"

#include <string>

namespace keyd::adapters {

// The certificate chain and private key load as start_http_server() loads them.
// invalid_config naming both files.
[[nodiscard]] Status check_tls_files(const std::string& cert_file, const std::string& key_file);

// host:port can be bound and listened on now, with the server's socket options; the socket is
// closed again at once. unavailable naming the address and the reason (e.g. in use).
[[nodiscard]] Status check_can_listen(const std::string& host, int port);

}  // namespace keyd::adapters
