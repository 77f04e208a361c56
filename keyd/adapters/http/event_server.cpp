#include "event_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace keyd::adapters::http {

namespace {

constexpr std::uint64_t k_listener_id = 1;
constexpr std::uint64_t k_wake_id = 2;
constexpr int k_backlog = 512;
// Descriptors the process needs besides the connections (files, outgoing HTTPS, the loop's own).
constexpr rlim_t k_spare_descriptors = 64;
constexpr auto k_tick = std::chrono::milliseconds{20};
constexpr auto k_accept_pause = std::chrono::milliseconds{100};

std::string describe_peer(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    ::inet_ntop(AF_INET, &in.sin_addr, host, sizeof(host));
    return fmt::format("{}:{}", host, ntohs(in.sin_port));
  }
  const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
  ::inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof(host));
  return fmt::format("[{}]:{}", host, ntohs(in6.sin6_port));
}

void epoll_set(int epoll, int op, int fd, std::uint64_t id, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  ::epoll_ctl(epoll, op, fd, &ev);
}

// Best effort, never blocking: the connection is over the cap and nothing can make room.
void refuse(int fd, bool tls) {
  if (!tls) {
    const Response busy = error_response(503, "too many connections");
    const std::string bytes = serialize_head(busy, true) + busy.body;
    [[maybe_unused]] const auto sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
  }
  ::close(fd);
}

}  // namespace

Result<int> listen_on(const std::string& host, int port) {
  const auto failed = [&] {
    return fail(ErrorCode::unavailable,
                fmt::format("listen on {}:{}: cannot bind (in use, or not an address of this host)", host, port));
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found) != 0) return failed();
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // SO_REUSEADDR only: SO_REUSEPORT would let a second daemon bind the same port silently.
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, k_backlog) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return failed();
  return fd;
}

std::size_t reserve_descriptors(std::size_t connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return connections;
  const rlim_t needed = static_cast<rlim_t>(connections) + k_spare_descriptors;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return connections;
  const std::size_t allowed =
      limit.rlim_cur > 2 * k_spare_descriptors ? static_cast<std::size_t>(limit.rlim_cur - k_spare_descriptors) : 64;
  spdlog::warn("api: open file limit {} allows {} connections, not server.max_connections {}",
               static_cast<unsigned long long>(limit.rlim_cur), allowed, connections);
  return allowed;
}

EventServer::EventServer(int listener, TlsContextPtr tls, EventServerOptions options, Serve serve)
    : m_listener(listener),
      m_tls(std::move(tls)),
      m_options(std::move(options)),
      m_serve(std::move(serve)),
      m_workers(m_options.threads) {
  sockaddr_storage addr{};
  socklen_t length = sizeof(addr);
  ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &length);
  m_port = ntohs(addr.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(addr).sin_port
                                           : reinterpret_cast<sockaddr_in6&>(addr).sin6_port);
  m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
  m_wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_set(m_epoll, EPOLL_CTL_ADD, m_listener, k_listener_id, EPOLLIN);
  epoll_set(m_epoll, EPOLL_CTL_ADD, m_wake, k_wake_id, EPOLLIN);
  m_thread = std::thread([this] { run(); });
}

EventServer::~EventServer() {
  stop();
  ::close(m_epoll);
  ::close(m_wake);
}

void EventServer::stop() {
  if (m_stopped.exchange(true)) return;
  m_stopping = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(m_wake, &one, sizeof(one));
  if (m_thread.joinable()) m_thread.join();
  // Handlers in flight finish (their answers go nowhere); queued requests are dropped.
  m_probes.stop();
  m_workers.stop();
}

void EventServer::run() {
  std::array<epoll_event, 256> events{};
  auto next_sweep = Clock::now() + k_tick;
  while (!m_stopping) {
    const int n = ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), k_tick.count());
    const auto now = Clock::now();
    for (int i = 0; i < n; ++i) {
      const std::uint64_t id = events[static_cast<std::size_t>(i)].data.u64;
      const std::uint32_t happened = events[static_cast<std::size_t>(i)].events;
      if (id == k_listener_id) {
        accept_all(now);
      } else if (id == k_wake_id) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto r = ::read(m_wake, &count, sizeof(count));
        apply_completions(now);
      } else if (auto found = m_connections.find(id); found != m_connections.end()) {
        // Reset or hung up: no answer can reach the client (and epoll would report it again and
        // again while a worker still holds the request).
        if ((happened & (EPOLLHUP | EPOLLERR)) != 0) found->second.connection->close();
        found->second.connection->progress(now);
        settle(id);
      }
    }
    if (now >= next_sweep) {
      sweep(now);
      next_sweep = now + k_tick;
    }
  }
  m_connections.clear();
  ::close(m_listener);
}

void EventServer::accept_all(Clock::time_point now) {
  for (;;) {
    sockaddr_storage addr{};
    socklen_t length = sizeof(addr);
    const int fd = ::accept4(m_listener, reinterpret_cast<sockaddr*>(&addr), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      admit(fd, describe_peer(addr), now);
      continue;
    }
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      spdlog::warn("api: cannot accept a connection (out of file descriptors or memory)");
      m_accept_resume = now + k_accept_pause;
      pause_accepting(true);
    }
    return;  // EAGAIN: all taken; anything else: the client gave up
  }
}

void EventServer::pause_accepting(bool paused) {
  if (paused == m_accept_paused) return;
  m_accept_paused = paused;
  epoll_set(m_epoll, EPOLL_CTL_MOD, m_listener, k_listener_id, paused ? 0U : static_cast<std::uint32_t>(EPOLLIN));
}

void EventServer::admit(int fd, std::string remote, Clock::time_point now) {
  if (m_connections.size() >= m_options.max_connections && !evict_oldest()) {
    refuse(fd, m_tls != nullptr);
    return;
  }
  // Responses go out in one or two writes: without TCP_NODELAY, Nagle's algorithm and the
  // client's delayed ACK add ~40 ms to every answer on a kept-alive connection.
  int yes = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
  const std::uint64_t id = m_next_id++;
  auto connection = std::make_unique<Connection>(fd, id, std::move(remote), make_transport(fd, m_tls.get()),
                                                 m_options.settings, static_cast<Dispatcher&>(*this), now);
  Entry& entry = m_connections[id];
  entry.connection = std::move(connection);
  entry.events = entry.connection->interest();
  epoll_set(m_epoll, EPOLL_CTL_ADD, fd, id, entry.events);
  entry.connection->progress(now);
  settle(id);
}

bool EventServer::evict_oldest() {
  auto oldest = m_connections.end();
  for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
    const Connection& c = *it->second.connection;
    if (c.evictable() && (oldest == m_connections.end() || c.since() < oldest->second.connection->since())) oldest = it;
  }
  if (oldest == m_connections.end()) return false;
  m_connections.erase(oldest);  // closes it (and takes it out of the epoll set)
  return true;
}

void EventServer::settle(std::uint64_t id) {
  const auto found = m_connections.find(id);
  if (found == m_connections.end()) return;
  Entry& entry = found->second;
  if (entry.connection->closed()) {
    m_connections.erase(found);
    return;
  }
  const std::uint32_t events = entry.connection->interest();
  if (events != entry.events) {
    entry.events = events;
    epoll_set(m_epoll, EPOLL_CTL_MOD, entry.connection->fd(), id, events);
  }
}

void EventServer::dispatch(Job job) {
  WorkerPool& pool = job.probe ? m_probes : m_workers;
  pool.post([this, job = std::move(job)]() mutable {
    Completion done = m_serve(std::move(job));
    {
      const std::lock_guard lock(m_done_mutex);
      m_done.push_back(std::move(done));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(m_wake, &one, sizeof(one));
  });
}

void EventServer::apply_completions(Clock::time_point now) {
  std::vector<Completion> done;
  {
    const std::lock_guard lock(m_done_mutex);
    done.swap(m_done);
  }
  for (Completion& c : done) {
    const std::uint64_t id = c.connection;
    const auto found = m_connections.find(id);
    if (found == m_connections.end()) continue;  // closed meanwhile
    found->second.connection->complete(std::move(c), now);
    found->second.connection->progress(now);
    settle(id);
  }
}

void EventServer::sweep(Clock::time_point now) {
  if (m_accept_paused && now >= m_accept_resume) pause_accepting(false);
  std::vector<std::uint64_t> expired;
  for (const auto& [id, entry] : m_connections) {
    if (entry.connection->deadline() <= now) expired.push_back(id);
  }
  for (const std::uint64_t id : expired) {
    Connection& c = *m_connections.at(id).connection;
    c.expire(now);
    c.progress(now);
    settle(id);
  }
}

}  // namespace keyd::adapters::http
