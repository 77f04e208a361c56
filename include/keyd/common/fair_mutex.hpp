// FairMutex: a mutex that hands itself over in the order it was asked for (a ticket lock). A
// thread that unlocks and locks again goes behind every thread already waiting, so a long loop
// that lets go of the lock between steps really lets the waiters in (std::mutex makes no such
// promise: the unlocking thread usually takes it straight back). BasicLockable: use it with
// std::lock_guard and std::unique_lock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace keyd {

class FairMutex {
 public:
  void lock() {
    std::unique_lock guard(m_mutex);
    const std::uint64_t ticket = m_next++;
    m_turn.wait(guard, [&] { return m_serving == ticket; });
  }
  void unlock() {
    {
      const std::lock_guard guard(m_mutex);
      ++m_serving;
    }
    m_turn.notify_all();
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_turn;
  std::uint64_t m_next = 0;
  std::uint64_t m_serving = 0;
};

}  // namespace keyd
