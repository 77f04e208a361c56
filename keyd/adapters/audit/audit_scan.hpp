// Reading the audit trail back, for the AuditLog port's newest_written_version and records.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/ports/audit_log.hpp"

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::adapters::detail {

// The version of the last entry (by position) that records a store write of `swarm` as done
// (ports::records_written_version). Reads backwards in 64 KiB chunks and stops at the first match,
// so the cost is the tail written since that swarm's last store write. nullopt when there is none
// or the file does not exist.
[[nodiscard]] Result<std::optional<int>> newest_written_version(const std::filesystem::path& file,
                                                                std::string_view swarm);

// newest_written_version for every swarm at once, kept between calls. The first call reads the file
// forwards once for all swarms; later calls read only the bytes appended since (by this process or
// any other). Scanning backwards per swarm made a daemon's first pass over N swarms that already
// have keys read O(N²) bytes (each swarm's last write lies about N entries before the end). The
// answer is the same as newest_written_version's: the last complete line that records a write of
// the swarm, or the unterminated last line when it is such an entry. A file that is no longer the
// one indexed (another inode, shorter, or the last indexed line is not where it was) is indexed
// again from its start. Safe to call from several threads.
class WrittenVersionIndex {
 public:
  [[nodiscard]] Result<std::optional<int>> newest(const std::filesystem::path& file, std::string_view swarm);

 private:
  void reset();
  [[nodiscard]] bool still_indexed(int fd, dev_t dev, ino_t ino, off_t size);
  [[nodiscard]] Status read_new_lines(int fd, off_t size, const std::filesystem::path& file);

  std::mutex m_mutex;
  std::map<std::string, int, std::less<>> m_newest;
  dev_t m_dev = 0;
  ino_t m_ino = 0;
  off_t m_indexed = 0;       // bytes indexed, whole lines only
  std::string m_last_line;   // the last indexed line with its newline (empty when m_indexed is 0)
  std::string m_tail;        // an unterminated last line (not indexed: it is read again next time)
};

// Every valid entry in order, each with its seq and line hash. Torn or invalid lines are skipped
// (verify_audit_file reports them). Empty when the file does not exist.
[[nodiscard]] Result<std::vector<ports::AuditRecord>> read_records(const std::filesystem::path& file);

}  // namespace keyd::adapters::detail
