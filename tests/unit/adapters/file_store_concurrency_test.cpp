// Concurrent writers (threads with their own store objects, and processes) serialised by the path
// lock: with check-and-set exactly one writer wins each version and no update is lost.
#include "keyd/adapters/file_store/file_store.hpp"

#include "file_store_test_helpers.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace keyd::adapters {
namespace {

using keyd::testing::expect_data_is;
using keyd::testing::FileStoreTest;
using keyd::testing::k_path;
using keyd::testing::version_data;

class FileStoreConcurrencyTest : public FileStoreTest {};

TEST_F(FileStoreConcurrencyTest, ConcurrentStoresWithCasNeverLoseAnUpdate) {
  constexpr int k_threads = 4;
  constexpr int k_writes_each = 8;
  std::mutex mutex;
  std::map<int, int> winner_of_version;  // version -> thread
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      auto store = open_store(100);  // each thread its own store object, as separate processes would have
      for (int done = 0; done < k_writes_each;) {
        const auto meta = store->metadata(k_path);
        const int current = meta ? meta->current_version : 0;
        const auto written = store->write(k_path, version_data(t * 1000 + done, "thread" + std::to_string(t)), current);
        if (!written) {
          ASSERT_EQ(written.error().code, ErrorCode::conflict) << written.error().message;
          ++conflicts;
          continue;
        }
        ASSERT_EQ(*written, current + 1);
        const std::scoped_lock lock(mutex);
        ASSERT_TRUE(winner_of_version.emplace(*written, t).second) << "version " << *written << " won twice";
        ++done;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto store = open_store(100);
  const auto meta = store->metadata(k_path);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->current_version, k_threads * k_writes_each);
  ASSERT_EQ(winner_of_version.size(), static_cast<std::size_t>(k_threads * k_writes_each));
  std::map<int, int> next_seed;
  for (const auto& [version, thread] : winner_of_version) {
    const auto got = store->read(k_path, version);
    ASSERT_TRUE(got) << got.error().message;
    expect_data_is(got->data, thread * 1000 + next_seed[thread]++, "thread" + std::to_string(thread));
  }
}

TEST_F(FileStoreConcurrencyTest, ConcurrentFirstWritesAgreeOnOneMasterKey) {
  constexpr int k_threads = 6;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      auto store = open_store();
      while (!go) std::this_thread::yield();
      if (store->write("swarm" + std::to_string(t) + "/swarm-key", version_data(t + 1), 0)) ++ok;
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), k_threads);
  auto store = open_store();
  for (int t = 0; t < k_threads; ++t) {
    const auto got = store->read("swarm" + std::to_string(t) + "/swarm-key", std::nullopt);
    ASSERT_TRUE(got) << got.error().message;
    expect_data_is(got->data, t + 1);
  }
}

TEST_F(FileStoreConcurrencyTest, ConcurrentProcessesWithCasNeverLoseAnUpdate) {
  constexpr int k_children = 3;
  constexpr int k_writes_each = 5;
  std::vector<pid_t> children;
  for (int c = 0; c < k_children; ++c) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = make_file_store({.dir = store_dir(), .master_key_file = {}, .max_versions = 100}, m_clock);
      int done = 0;
      for (int attempts = 0; done < k_writes_each && attempts < 10000; ++attempts) {
        const auto meta = (*store)->metadata(k_path);
        const int current = meta ? meta->current_version : 0;
        const auto written = (*store)->write(k_path, version_data(c, "child" + std::to_string(c)), current);
        if (written) {
          ++done;
        } else if (written.error().code != ErrorCode::conflict) {
          ::_exit(2);
        }
      }
      ::_exit(done == k_writes_each ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  auto store = open_store(100);
  const auto meta = store->metadata(k_path);
  ASSERT_TRUE(meta);
  ASSERT_EQ(meta->current_version, k_children * k_writes_each);
  std::map<std::string, int> per_child;
  for (int v = 1; v <= meta->current_version; ++v) {
    const auto got = store->read(k_path, v);
    ASSERT_TRUE(got) << got.error().message;
    ++per_child[got->data.issued_by];
  }
  for (int c = 0; c < k_children; ++c) EXPECT_EQ(per_child["child" + std::to_string(c)], k_writes_each);
}

}  // namespace
}  // namespace keyd::adapters
