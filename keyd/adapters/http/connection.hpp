// One accepted connection of the HTTP server, driven by the server's epoll loop (one thread):
// TLS handshake, the request head, authentication on a worker before one byte of a body is read,
// the body under its limit, the handler on a worker, the response, keep-alive. A deadline covers
// each phase that waits on the client; nothing here blocks.
#pragma once

#include "request_parser.hpp"
#include "response.hpp"
#include "transport.hpp"

#include "keyd/ports/api.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace keyd::adapters::http {

using Clock = std::chrono::steady_clock;

// What a worker gets: the request so far, and whether only its authentication is asked for (the
// body has not been read yet).
struct Job {
  std::uint64_t connection = 0;
  RequestHead head;
  std::string body;
  std::string remote;
  bool auth_only = false;
  bool probe = false;  // a health probe: its own lane, no authentication
  std::optional<ports::Authentication> auth;
};

// What a worker hands back: the answer, or (auth_only) the go-ahead to read the body.
struct Completion {
  std::uint64_t connection = 0;
  std::optional<Response> response;
  bool close = false;
  std::optional<ports::Authentication> auth;
};

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  virtual void dispatch(Job job) = 0;
};

struct ConnectionSettings {
  ParserLimits limits;
  std::chrono::milliseconds timeout{10'000};
  int max_requests = 100;  // per connection; the last answer closes it
};

class Connection {
 public:
  Connection(int fd, std::uint64_t id, std::string remote, std::unique_ptr<Transport> transport,
             const ConnectionSettings& settings, Dispatcher& dispatcher, Clock::time_point now);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Moves every byte it can, in the current phase, until the socket would block.
  void progress(Clock::time_point now);
  void complete(Completion completion, Clock::time_point now);
  // Past the deadline: 408 to a request begun, silence to an idle or unfinished connection.
  void expire(Clock::time_point now);

  [[nodiscard]] int fd() const { return m_fd; }
  [[nodiscard]] bool closed() const { return m_phase == Phase::closed; }
  [[nodiscard]] std::uint32_t interest() const;  // epoll events to wait for
  [[nodiscard]] Clock::time_point deadline() const { return m_deadline; }
  // Not yet holding a complete request (handshake, a slow head, idle keep-alive): may be closed
  // to make room for a new connection; the oldest first.
  [[nodiscard]] bool evictable() const {
    return m_phase == Phase::handshake || m_phase == Phase::head || m_phase == Phase::draining;
  }
  [[nodiscard]] Clock::time_point since() const { return m_since; }
  void close();

 private:
  enum class Phase { handshake, head, body, waiting, writing, draining, closed };

  bool step_handshake();
  bool step_read();
  bool step_parse(Clock::time_point now);
  bool step_write(Clock::time_point now);
  bool step_drain();
  void on_head(Clock::time_point now);
  void send(Response response, bool close, Clock::time_point now);
  void send_interim();
  void finish_response(Clock::time_point now);

  int m_fd;
  std::uint64_t m_id;
  std::string m_remote;
  std::unique_ptr<Transport> m_transport;
  const ConnectionSettings& m_settings;
  Dispatcher& m_dispatcher;
  RequestParser m_parser;
  Phase m_phase = Phase::handshake;
  IoStatus m_blocked = IoStatus::want_read;  // what the transport waits for
  std::string m_in;    // bytes read but not parsed (after the current request: the next one)
  std::string m_body;
  std::string m_out;   // response head (and interim 100 Continue)
  std::string m_out_body;
  std::size_t m_written = 0;
  bool m_close_after = false;
  bool m_resume_body = false;  // after a 100 Continue: back to reading the body
  bool m_head_only = false;
  int m_requests = 0;
  std::size_t m_drained = 0;
  std::optional<ports::Authentication> m_auth;
  Clock::time_point m_since;
  Clock::time_point m_deadline;
  Clock::duration m_body_deadline_left{};
};

}  // namespace keyd::adapters::http
