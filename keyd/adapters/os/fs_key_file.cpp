// Replacing a file that holds key material so that no copy outlives a crash (see replace_key_file in
// fs.hpp): an unnamed file where the file system has them, a named temp file otherwise, and a sweep
// of the temp files that crashed earlier writes of the same target left behind.
#include "keyd/adapters/os/fs.hpp"

#include "errno_text.hpp"
#include "temp_name.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters {
namespace {

using detail::errno_text;

// A write takes milliseconds; a temp file this old belongs to no write in progress, whatever its pid
// (which may have been reused since).
constexpr auto k_stale_after = std::chrono::minutes(10);
constexpr const char* k_pause_hook = "KEYD_TEST_FS_PAUSE_BEFORE_RENAME_MS";

bool process_gone(pid_t pid) { return pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH; }

bool older_than_stale(const struct stat& st) {
  const auto modified = std::chrono::system_clock::time_point{std::chrono::seconds{st.st_mtim.tv_sec}};
  return std::chrono::system_clock::now() - modified > k_stale_after;
}

// Directory listings of the names that look like keyd's temp files. A sweep needs the whole
// directory, and a daemon delivering to thousands of key files in one directory would otherwise read
// it once per write (quadratic in the number of files). So the listing of a large directory (more
// than k_small_dir entries) is kept for k_listing_ttl; a small one is read on every write, as before.
// A named temp file exists only between its link and its rename, so a kept listing can miss only the
// leftovers of writes that crashed within that minute; a write after the listing expires finds them.
constexpr auto k_listing_ttl = std::chrono::seconds(60);
constexpr std::size_t k_small_dir = 64;
constexpr std::size_t k_max_listings = 4096;  // directories remembered; beyond, all are forgotten

class TempListings {
 public:
  std::vector<std::string> temp_names_in(const std::filesystem::path& dir) {
    const std::lock_guard lock(m_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (const auto it = m_listings.find(dir.native()); it != m_listings.end() && now - it->second.at < k_listing_ttl) {
      return it->second.names;
    }
    Listing listing{now, {}};
    std::size_t entries = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
      ++entries;
      std::string name = it->path().filename().native();
      if (name.find(".tmp-") != std::string::npos) listing.names.push_back(std::move(name));
    }
    if (entries <= k_small_dir) {
      m_listings.erase(dir.native());
      return listing.names;
    }
    if (m_listings.size() >= k_max_listings) m_listings.clear();
    return (m_listings[dir.native()] = std::move(listing)).names;
  }

 private:
  struct Listing {
    std::chrono::steady_clock::time_point at;
    std::vector<std::string> names;
  };
  std::mutex m_mutex;
  std::unordered_map<std::string, Listing> m_listings;
};

TempListings& temp_listings() {
  static TempListings listings;
  return listings;
}

// Removes keyd's own stale temp files for the target `name` in `dir`: best effort, never fails.
void sweep_stale_temps(const std::filesystem::path& dir, const std::string& name, FileSystem& fs) {
  std::vector<std::filesystem::path> stale;
  for (const std::string& candidate : temp_listings().temp_names_in(dir)) {
    const auto pid = detail::temp_name_writer(candidate, name);
    const std::filesystem::path file = dir / candidate;
    struct stat st {};
    if (!pid || ::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (process_gone(*pid) || older_than_stale(st)) stale.push_back(file);
  }
  for (const auto& file : stale) {
    if (auto removed = fs.unlink(file); removed) {
      spdlog::info("removed {}, a temporary file left by an interrupted earlier write", file.string());
    } else {
      spdlog::warn("could not remove a temporary file left by an interrupted earlier write: {}",
                   removed.error().message);
    }
  }
}

// The test hook (see fs.hpp): a pause with the complete key under its temporary name.
void pause_for_tests() {
  const char* value = std::getenv(k_pause_hook);
  if (value == nullptr) return;
  int ms = 0;
  const std::string_view text(value);
  if (std::from_chars(text.data(), text.data() + text.size(), ms).ec == std::errc{} && ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
}

Status set_owner(int fd, const KeyFileOptions& options, const std::filesystem::path& path) {
  if (!options.uid && !options.gid) return {};
  const uid_t uid = options.uid ? *options.uid : static_cast<uid_t>(-1);
  const gid_t gid = options.gid ? *options.gid : static_cast<gid_t>(-1);
  if (::fchown(fd, uid, gid) == 0) return {};
  return fail(ErrorCode::io,
              fmt::format("chown {} to {}:{}: {}", path.string(), options.uid ? std::to_string(*options.uid) : "-",
                          options.gid ? std::to_string(*options.gid) : "-", errno_text(errno)));
}

// The file being written: its descriptor, and its temporary name once it has one.
struct Pending {
  int fd = -1;
  std::optional<std::filesystem::path> temp;
};

Result<Pending> create_pending(const std::filesystem::path& path, const std::filesystem::path& dir,
                               const KeyFileOptions& options, FileSystem& fs) {
  KEYD_ASSIGN_OR_RETURN(const auto unnamed, fs.create_unnamed(dir, options.mode));
  if (unnamed) return Pending{*unnamed, std::nullopt};
  KEYD_ASSIGN_OR_RETURN(auto temp, detail::temp_path_for(path));
  KEYD_ASSIGN_OR_RETURN(const int fd, fs.create_exclusive(temp, options.mode));
  return Pending{fd, std::move(temp)};
}

}  // namespace

Status replace_key_file(const std::filesystem::path& path, std::span<const std::uint8_t> data,
                        const KeyFileOptions& options, FileSystem& fs) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const auto context = fmt::format("write {}", path.string());
  if (auto made = ensure_directory(dir, 0700, fs); !made) return fail(made.error().with_context(context));
  sweep_stale_temps(dir, path.filename().native(), fs);

  auto created = create_pending(path, dir, options, fs);
  if (!created) return fail(created.error().with_context(context));
  Pending file = *created;
  bool fd_open = true;
  const auto abandon = [&](Error error) -> Status {
    if (fd_open) (void)fs.close(file.fd);
    if (file.temp) (void)fs.unlink(*file.temp);  // best effort: the next write sweeps what a crash leaves
    return fail(std::move(error).with_context(context));
  };
  // The owner is set before a single key byte is written, so no one else can ever read them.
  if (auto s = set_owner(file.fd, options, file.temp.value_or(path)); !s) return abandon(std::move(s).error());
  if (auto s = fs.write_all(file.fd, data); !s) return abandon(std::move(s).error());
  if (auto s = fs.fsync(file.fd); !s) return abandon(std::move(s).error());
  if (!file.temp) {
    auto temp = detail::temp_path_for(path);
    if (!temp) return abandon(std::move(temp).error());
    if (auto s = fs.link_unnamed(file.fd, *temp); !s) return abandon(std::move(s).error());
    file.temp = std::move(*temp);
  }
  fd_open = false;
  if (auto s = fs.close(file.fd); !s) return abandon(std::move(s).error());
  pause_for_tests();
  if (auto s = fs.rename(*file.temp, path); !s) return abandon(std::move(s).error());
  // The new content is in place; the directory fsync makes the rename durable.
  if (auto s = fs.fsync_dir(dir); !s) return fail(std::move(s).error().with_context(context));
  return {};
}

}  // namespace keyd::adapters
