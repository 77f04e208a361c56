#include "connection.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <span>

namespace keyd::adapters::http {

namespace {

// Bytes read ahead of the request being parsed (pipelined requests wait there).
constexpr std::size_t k_max_buffered = 16 * 1024;
// After a refusal that leaves a body unread, what is read and dropped before closing, so the
// client sees the answer rather than a reset.
constexpr std::size_t k_max_drain = 1024 * 1024;
constexpr auto k_drain_time = std::chrono::seconds{1};

bool is_probe(const RequestHead& head) {
  return (head.method == "GET" || head.method == "HEAD") && (head.path == "/healthz" || head.path == "/readyz") &&
         !head.announces_body();
}

}  // namespace

Connection::Connection(int fd, std::uint64_t id, std::string remote, std::unique_ptr<Transport> transport,
                       const ConnectionSettings& settings, Dispatcher& dispatcher, Clock::time_point now)
    : m_fd(fd),
      m_id(id),
      m_remote(std::move(remote)),
      m_transport(std::move(transport)),
      m_settings(settings),
      m_dispatcher(dispatcher),
      m_parser(settings.limits),
      m_since(now),
      m_deadline(now + settings.timeout) {}

Connection::~Connection() { close(); }

void Connection::close() {
  if (m_phase == Phase::closed) return;
  m_phase = Phase::closed;
  m_transport.reset();
  ::close(m_fd);
  m_fd = -1;
  m_deadline = Clock::time_point::max();
}

std::uint32_t Connection::interest() const {
  switch (m_phase) {
    case Phase::handshake:
    case Phase::head:
    case Phase::body:
      return m_blocked == IoStatus::want_write ? EPOLLOUT : EPOLLIN;
    case Phase::writing:
      return m_blocked == IoStatus::want_read ? EPOLLIN : EPOLLOUT;
    case Phase::draining:
      return EPOLLIN;
    default:
      return 0;
  }
}

void Connection::progress(Clock::time_point now) {
  for (bool moved = true; moved;) {
    switch (m_phase) {
      case Phase::handshake:
        moved = step_handshake();
        break;
      case Phase::head:
      case Phase::body:
        moved = step_parse(now) || step_read();
        break;
      case Phase::writing:
        moved = step_write(now);
        break;
      case Phase::draining:
        moved = step_drain();
        break;
      default:
        return;
    }
  }
}

bool Connection::step_handshake() {
  const IoStatus status = m_transport->handshake();
  if (status == IoStatus::ok) {
    m_phase = Phase::head;
    return true;
  }
  if (status == IoStatus::want_read || status == IoStatus::want_write) {
    m_blocked = status;
    return false;
  }
  close();
  return false;
}

bool Connection::step_read() {
  if (m_in.size() >= k_max_buffered) return false;
  std::array<char, k_max_buffered> buffer{};
  const IoResult r = m_transport->read(std::span(buffer.data(), k_max_buffered - m_in.size()));
  if (r.status == IoStatus::ok) {
    m_in.append(buffer.data(), r.bytes);
    return true;
  }
  if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
    m_blocked = r.status;
    return false;
  }
  close();  // the client went away (mid-request there is no one left to answer)
  return false;
}

bool Connection::step_parse(Clock::time_point now) {
  if (m_in.empty()) return false;
  const std::size_t used = m_parser.feed(m_in, m_body);
  m_in.erase(0, used);
  const auto state = m_parser.state();
  if (state == RequestParser::State::failed) {
    send(error_response(m_parser.error().status, m_parser.error().message), true, now);
    return true;
  }
  if (m_phase == Phase::head && state != RequestParser::State::head) {
    on_head(now);
    return true;
  }
  if (m_phase == Phase::body && state == RequestParser::State::complete) {
    m_phase = Phase::waiting;
    m_deadline = Clock::time_point::max();
    m_dispatcher.dispatch(Job{m_id, m_parser.head(), std::move(m_body), m_remote, false, false, m_auth});
    return true;
  }
  return used > 0;
}

void Connection::on_head(Clock::time_point now) {
  const RequestHead& head = m_parser.head();
  m_head_only = head.method == "HEAD";
  m_phase = Phase::waiting;
  // The time a worker takes is not the client's: its deadline resumes when the body is due.
  m_body_deadline_left = m_deadline - now;
  m_deadline = Clock::time_point::max();
  const bool body = head.announces_body();
  m_dispatcher.dispatch(Job{m_id, head, {}, m_remote, body, !body && is_probe(head), std::nullopt});
}

void Connection::complete(Completion completion, Clock::time_point now) {
  if (m_phase != Phase::waiting) return;
  if (completion.response) {
    send(std::move(*completion.response), completion.close, now);
    return;
  }
  // Authenticated: now the body may come.
  m_auth = std::move(completion.auth);
  m_deadline = now + std::max(m_body_deadline_left, Clock::duration::zero());
  if (auto refusal = m_parser.body_refusal()) {
    send(error_response(refusal->status, refusal->message), true, now);
    return;
  }
  m_phase = Phase::body;
  if (m_parser.head().expects_continue()) send_interim();
}

void Connection::send(Response response, bool close, Clock::time_point now) {
  ++m_requests;
  close = close || m_requests >= m_settings.max_requests || m_parser.state() != RequestParser::State::complete ||
          !m_parser.head().keep_alive();
  m_out = serialize_head(response, close);
  m_out_body = m_head_only ? std::string() : std::move(response.body);
  m_written = 0;
  m_close_after = close;
  m_resume_body = false;
  m_phase = Phase::writing;
  m_deadline = now + m_settings.timeout;
}

void Connection::send_interim() {
  m_out = "HTTP/1.1 100 Continue\r\n\r\n";
  m_out_body.clear();
  m_written = 0;
  m_resume_body = true;
  m_phase = Phase::writing;
}

bool Connection::step_write(Clock::time_point now) {
  const std::size_t total = m_out.size() + m_out_body.size();
  if (m_written >= total) {
    finish_response(now);
    return true;
  }
  const std::string_view pending = m_written < m_out.size() ? std::string_view(m_out).substr(m_written)
                                                             : std::string_view(m_out_body).substr(m_written - m_out.size());
  const IoResult r = m_transport->write(std::span(pending.data(), pending.size()));
  if (r.status == IoStatus::ok) {
    m_written += r.bytes;
    return true;
  }
  if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
    m_blocked = r.status;
    return false;
  }
  close();
  return false;
}

void Connection::finish_response(Clock::time_point now) {
  m_out.clear();
  std::string().swap(m_out_body);
  if (m_resume_body) {
    m_resume_body = false;
    m_phase = Phase::body;
    return;
  }
  if (m_close_after) {
    // The answer is out: stop sending, and read (and drop) what the client still sends for a
    // moment, so that closing does not reset the connection under the answer.
    ::shutdown(m_fd, SHUT_WR);
    m_phase = Phase::draining;
    m_drained = 0;
    m_deadline = now + std::min<Clock::duration>(m_settings.timeout, k_drain_time);
    return;
  }
  m_parser.reset();
  std::string().swap(m_body);
  m_auth.reset();
  m_head_only = false;
  m_phase = Phase::head;
  m_since = now;
  m_deadline = now + m_settings.timeout;
}

bool Connection::step_drain() {
  std::array<char, k_max_buffered> buffer{};
  const IoResult r = m_transport->read(std::span(buffer.data(), buffer.size()));
  if (r.status == IoStatus::ok) {
    m_drained += r.bytes;
    if (m_drained <= k_max_drain) return true;
  } else if (r.status == IoStatus::want_read || r.status == IoStatus::want_write) {
    m_blocked = r.status;
    return false;
  }
  close();
  return false;
}

void Connection::expire(Clock::time_point now) {
  switch (m_phase) {
    case Phase::head:
      if (m_parser.head_bytes() == 0 && m_in.empty()) {
        close();  // idle between requests
        return;
      }
      [[fallthrough]];
    case Phase::body:
      send(error_response(408, "the request did not arrive within the time limit"), true, now);
      return;
    case Phase::waiting:
      return;
    case Phase::writing:
      // The client does not read: a reset, so the kernel does not keep trickling out what is
      // still queued for it either.
      if (m_fd >= 0) {
        const linger abort{1, 0};
        ::setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
      }
      close();
      return;
    default:
      close();
  }
}

}  // namespace keyd::adapters::http
