#include "keyd/adapters/curl/curl_transport.hpp"

#include "curl_exchange.hpp"
#include "curl_handle.hpp"
#include "curl_url.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters {

namespace {

using detail::CurlHandle;
using detail::CurlList;
using detail::Transfer;

// Connections stay open in each idle handle's cache: one per daemon worker (`concurrency`, at most 32).
constexpr std::size_t k_max_idle_handles = 32;
constexpr char k_empty_body[] = "";

class CurlTransport final : public ports::HttpTransport {
 public:
  explicit CurlTransport(ports::TlsOptions tls) : m_tls(std::move(tls)), m_blobs(blobs_of(m_tls)) {}

  [[nodiscard]] Result<ports::HttpResponse> send(const ports::HttpRequest& request) override {
    if (!detail::is_token(request.method)) {
      return fail(ErrorCode::invalid_input, fmt::format("{:?}: not an HTTP method", request.method));
    }
    const std::string shown = fmt::format("{} {}", request.method, detail::display_url(request.url));
    Transfer transfer;
    KEYD_ASSIGN_OR_RETURN(transfer.target, detail::request_target(request.url, m_tls.server_name));
    KEYD_ASSIGN_OR_RETURN(transfer.headers, detail::header_list(request, transfer.target, shown));
    if (std::string entry = transfer.target.connect_to; !entry.empty()) transfer.connect_to.append(entry);
    KEYD_ASSIGN_OR_RETURN(auto handle, acquire());

    const auto start = std::chrono::steady_clock::now();
    transfer.exchange.socket = handle.last_socket();
    CURLcode rc = configure(handle.get(), request, transfer);
    if (rc == CURLE_OK) rc = curl_easy_perform(handle.get());
    curl_socket_t kept = CURL_SOCKET_BAD;
    if (curl_easy_getinfo(handle.get(), CURLINFO_ACTIVESOCKET, &kept) != CURLE_OK) kept = CURL_SOCKET_BAD;
    handle.set_last_socket(kept);
    long status = 0;
    if (rc == CURLE_OK) rc = curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    release(std::move(handle));

    if (rc != CURLE_OK) {
      spdlog::debug("http {} failed after {} ms (curl code {})", shown, elapsed.count(), static_cast<int>(rc));
      return fail(detail::transfer_error(rc, shown, transfer));
    }
    spdlog::debug("http {} -> {} in {} ms", shown, status, elapsed.count());
    auto& response = transfer.exchange.response;
    response.status = static_cast<int>(status);
    response.body.resize(transfer.exchange.body_size);  // drop (and wipe) the spare capacity
    return std::move(response);
  }

 private:
  // The first failing curl_easy_setopt, or CURLE_OK.
  [[nodiscard]] CURLcode configure(CURL* h, const ports::HttpRequest& request, Transfer& transfer) const {
    CURLcode rc = CURLE_OK;
    const auto set = [&rc](CURLcode result) {
      if (rc == CURLE_OK) rc = result;
    };
    // A zero timeout means "none" to curl; keep every request bounded.
    const auto millis = [](std::chrono::milliseconds d) {
      return static_cast<long>(std::max<long long>(d.count(), 1));
    };
    set(curl_easy_setopt(h, CURLOPT_URL, transfer.target.url.c_str()));
    set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
    set(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L));  // redirects (Vault's 307) are the caller's
    set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
    set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, millis(request.connect_timeout)));
    set(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, millis(request.total_timeout)));
    // No proxy, not even one from http_proxy/https_proxy in the environment: requests carry Vault
    // and Kubernetes tokens, which must never travel through a proxy nobody configured for keyd.
    set(curl_easy_setopt(h, CURLOPT_PROXY, ""));
    set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, transfer.error_text.data()));
    set(curl_easy_setopt(h, CURLOPT_HTTPHEADER, transfer.headers.get()));
    if (!transfer.connect_to.empty()) set(curl_easy_setopt(h, CURLOPT_CONNECT_TO, transfer.connect_to.get()));
    set(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &detail::on_body));
    set(curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer.exchange));
    set(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &detail::on_header));
    set(curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer.exchange));
    set(curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, &detail::on_socket));
    set(curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, &transfer.exchange));
    if (transfer.target.url.starts_with("https:")) {
      detail::prepare_tls_once();
      set(curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, &detail::on_ssl_ctx));
      set(curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, &transfer.exchange));
    }

    const std::string& method = request.method;
    const bool has_body = !request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
    if (method == "HEAD") {
      set(curl_easy_setopt(h, CURLOPT_NOBODY, 1L));
    } else if (has_body) {
      // curl reads the body straight from the Secret (POSTFIELDS is not copied). Never a null
      // pointer: with POSTFIELDS null curl would read the body from stdin.
      const char* body = request.body.empty() ? k_empty_body : request.body.reveal_text().data();
      set(curl_easy_setopt(h, CURLOPT_POST, 1L));
      set(curl_easy_setopt(h, CURLOPT_POSTFIELDS, body));
      set(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())));
    } else {
      set(curl_easy_setopt(h, CURLOPT_HTTPGET, 1L));
    }
    // Any other verb (PUT, PATCH, DELETE, LIST, a GET with a body) replaces the one curl implies.
    if (method != (method == "HEAD" ? "HEAD" : has_body ? "POST" : "GET")) {
      set(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str()));
    }

    set(curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2)));
    set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, m_tls.insecure_skip_verify ? 0L : 1L));
    set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, m_tls.insecure_skip_verify ? 0L : 2L));
    // A PEM blob wins over the file of the same role. Blobs are not copied (CURL_BLOB_NOCOPY): they
    // point into m_tls, which outlives every transfer, so no unwiped copy of a key is left in curl.
    if (!m_tls.ca_pem.empty()) {
      set(curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &m_blobs.ca));
      set(curl_easy_setopt(h, CURLOPT_CAPATH, static_cast<const char*>(nullptr)));  // that CA only
    } else if (!m_tls.ca_file.empty()) {
      set(curl_easy_setopt(h, CURLOPT_CAINFO, m_tls.ca_file.c_str()));
      set(curl_easy_setopt(h, CURLOPT_CAPATH, static_cast<const char*>(nullptr)));  // that CA only
    }
    if (!m_tls.client_cert_pem.empty()) {
      set(curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &m_blobs.cert));
      set(curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM"));
    } else if (!m_tls.client_cert_file.empty()) {
      set(curl_easy_setopt(h, CURLOPT_SSLCERT, m_tls.client_cert_file.c_str()));
      set(curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM"));
    }
    if (m_tls.client_key_pem && !m_tls.client_key_pem->empty()) {
      set(curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &m_blobs.key));
      set(curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM"));
    } else if (!m_tls.client_key_file.empty()) {
      set(curl_easy_setopt(h, CURLOPT_SSLKEY, m_tls.client_key_file.c_str()));
      set(curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM"));
    }
    return rc;
  }

  // Idle handles are kept (up to k_max_idle_handles) for their open connections and TLS sessions;
  // each transfer has a handle to itself, so concurrent send() calls never share one.
  [[nodiscard]] Result<CurlHandle> acquire() {
    {
      const std::scoped_lock lock(m_mutex);
      if (!m_idle.empty()) {
        CurlHandle handle = std::move(m_idle.back());
        m_idle.pop_back();
        return handle;
      }
    }
    return CurlHandle::create();
  }

  void release(CurlHandle handle) {
    curl_easy_reset(handle.get());  // forget the options, which point into the finished transfer
    const std::scoped_lock lock(m_mutex);
    if (m_idle.size() < k_max_idle_handles) m_idle.push_back(std::move(handle));
  }

  // The PEM blobs of m_tls as curl_blobs (curl takes a non-const pointer but never writes through it).
  struct Blobs {
    curl_blob ca{};
    curl_blob cert{};
    curl_blob key{};
  };

  static curl_blob blob_of(std::string_view pem) {
    return curl_blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_NOCOPY};
  }

  static Blobs blobs_of(const ports::TlsOptions& tls) {
    return Blobs{blob_of(tls.ca_pem), blob_of(tls.client_cert_pem),
                 blob_of(tls.client_key_pem ? tls.client_key_pem->reveal_text() : std::string_view())};
  }

  ports::TlsOptions m_tls;
  Blobs m_blobs;  // points into m_tls
  std::mutex m_mutex;
  std::vector<CurlHandle> m_idle;
};

Status check_readable(std::string_view what, const std::string& path) {
  if (path.empty()) return {};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int error = errno;
    return fail(ErrorCode::invalid_config,
                fmt::format("TLS {} {}: cannot be read ({})", what, path, std::generic_category().message(error)));
  }
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  if (!regular) return fail(ErrorCode::invalid_config, fmt::format("TLS {} {}: not a regular file", what, path));
  return {};
}

}  // namespace

Result<std::unique_ptr<ports::HttpTransport>> make_curl_transport(ports::TlsOptions tls) {
  KEYD_TRY(detail::ensure_curl_initialized());
  // A file is only used (so only checked) when no PEM of the same role is given.
  const bool has_key_pem = tls.client_key_pem && !tls.client_key_pem->empty();
  if (tls.ca_pem.empty()) KEYD_TRY(check_readable("CA file", tls.ca_file));
  if (tls.client_cert_pem.empty()) KEYD_TRY(check_readable("client certificate file", tls.client_cert_file));
  if (!has_key_pem) KEYD_TRY(check_readable("client key file", tls.client_key_file));
  const bool has_cert = !tls.client_cert_file.empty() || !tls.client_cert_pem.empty();
  if (!tls.client_key_file.empty() && !has_cert) {
    return fail(ErrorCode::invalid_config,
                fmt::format("TLS client key file {} given without a client certificate file", tls.client_key_file));
  }
  if (has_key_pem && !has_cert) {
    return fail(ErrorCode::invalid_config, "TLS client key (inline PEM) given without a client certificate");
  }

  const auto is_name_char = [](unsigned char c) { return std::isalnum(c) != 0 || c == '.' || c == '-'; };
  if (!std::ranges::all_of(tls.server_name, is_name_char)) {
    return fail(ErrorCode::invalid_config, fmt::format("TLS server name {:?} is not a host name", tls.server_name));
  }
  if (tls.insecure_skip_verify) {
    spdlog::warn(
        "TLS certificate verification is disabled (insecure_skip_verify): any server can impersonate "
        "this upstream and read the tokens sent to it");
  }
  return std::make_unique<CurlTransport>(std::move(tls));
}

}  // namespace keyd::adapters
