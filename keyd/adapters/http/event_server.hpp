// The HTTP server's event loop: one thread owns the listening socket and every connection (epoll,
// non-blocking sockets), handlers run on a pool of workers, health probes on a lane of their own.
// Bounded: at most max_connections at once (the oldest connection without a complete request
// makes room for a new one, else the new one gets 503 at once), and a deadline per phase.
#pragma once

#include "connection.hpp"
#include "worker_pool.hpp"

#include "keyd/adapters/http/http_server.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace keyd::adapters::http {

// Runs on a worker: the answer to a job (see Job and Completion).
using Serve = std::function<Completion(Job)>;

struct EventServerOptions {
  ConnectionSettings settings;
  int threads = 4;
  std::size_t max_connections = 512;
};

// A bound, listening, non-blocking socket; unavailable naming host:port otherwise.
[[nodiscard]] Result<int> listen_on(const std::string& host, int port);

// The soft RLIMIT_NOFILE raised (up to the hard one) for `connections`; the number of connections
// the limit allows, with a warning when that is fewer.
[[nodiscard]] std::size_t reserve_descriptors(std::size_t connections);

class EventServer final : public HttpServer, private Dispatcher {
 public:
  EventServer(int listener, TlsContextPtr tls, EventServerOptions options, Serve serve);
  ~EventServer() override;
  EventServer(const EventServer&) = delete;
  EventServer& operator=(const EventServer&) = delete;

  [[nodiscard]] int port() const override { return m_port; }
  void stop() override;

 private:
  struct Entry {
    std::unique_ptr<Connection> connection;
    std::uint32_t events = 0;
  };

  void run();
  void dispatch(Job job) override;
  void accept_all(Clock::time_point now);
  void admit(int fd, std::string remote, Clock::time_point now);
  bool evict_oldest();
  void apply_completions(Clock::time_point now);
  void sweep(Clock::time_point now);
  void settle(std::uint64_t id);
  void pause_accepting(bool paused);

  int m_listener;
  int m_port = 0;
  int m_epoll = -1;
  int m_wake = -1;
  TlsContextPtr m_tls;
  EventServerOptions m_options;
  Serve m_serve;
  std::map<std::uint64_t, Entry> m_connections;
  std::uint64_t m_next_id = 16;
  bool m_accept_paused = false;
  Clock::time_point m_accept_resume{};
  std::mutex m_done_mutex;
  std::vector<Completion> m_done;
  std::atomic<bool> m_stopping{false};
  std::atomic<bool> m_stopped{false};
  WorkerPool m_workers;
  WorkerPool m_probes{1};
  std::thread m_thread;
};

}  // namespace keyd::adapters::http
