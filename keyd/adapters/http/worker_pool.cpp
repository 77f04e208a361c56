#include "worker_pool.hpp"

#include <algorithm>

namespace keyd::adapters::http {

WorkerPool::WorkerPool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) m_threads.emplace_back([this] { run(); });
}

void WorkerPool::post(std::function<void()> job) {
  {
    const std::lock_guard lock(m_mutex);
    if (m_stopping) return;
    m_jobs.push_back(std::move(job));
  }
  m_ready.notify_one();
}

void WorkerPool::stop() {
  {
    const std::lock_guard lock(m_mutex);
    if (m_stopping && m_threads.empty()) return;
    m_stopping = true;
    m_jobs.clear();
  }
  m_ready.notify_all();
  for (auto& t : m_threads) {
    if (t.joinable()) t.join();
  }
  m_threads.clear();
}

void WorkerPool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(m_mutex);
      m_ready.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
      if (m_stopping) return;
      job = std::move(m_jobs.front());
      m_jobs.pop_front();
    }
    job();
  }
}

}  // namespace keyd::adapters::http
