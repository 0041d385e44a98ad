// See exec-paths.h.
#include "exec-paths.h"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace meshward {

namespace {

// ld-linux-x86-64.so.2, ld-linux-aarch64.so.1, ld-musl-x86_64.so.1: opened for exec after the
// binary by every dynamic exec (ignore marks usually keep them out; this is the safety net).
bool IsLoader(const std::string& path) {
  size_t slash = path.rfind('/');
  const char* base = path.c_str() + (slash == std::string::npos ? 0 : slash + 1);
  return strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "ld-musl", 7) == 0;
}

bool IsScript(int fd) {
  char head[2];
  return pread(fd, head, 2, 0) == 2 && head[0] == '#' && head[1] == '!';
}

}  // namespace

int ExecPaths::Open(size_t limit) {
  limit_ = limit;
  fd_ = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  return fd_ < 0 ? errno : 0;
}

void ExecPaths::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  byPid_.clear();
  held_ = 0;
}

int ExecPaths::Mark(const std::string& path, bool add) {
  if (fd_ < 0) return EBADF;
  unsigned int flags = (add ? FAN_MARK_ADD : FAN_MARK_REMOVE) | FAN_MARK_MOUNT;
  return fanotify_mark(fd_, flags, FAN_OPEN_EXEC, AT_FDCWD, path.c_str()) < 0 ? errno : 0;
}

int ExecPaths::Ignore(const std::string& path) {
  if (fd_ < 0) return EBADF;
  unsigned int flags = FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY;
  return fanotify_mark(fd_, flags, FAN_OPEN_EXEC, AT_FDCWD, path.c_str()) < 0 ? errno : 0;
}

void ExecPaths::Drain() {
  if (fd_ < 0) return;
  alignas(fanotify_event_metadata) char buf[16384];
  for (;;) {
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n <= 0) break;
    auto* m = reinterpret_cast<fanotify_event_metadata*>(buf);
    for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
      if (m->vers != FANOTIFY_METADATA_VERSION) continue;
      events++;
      if (m->mask & FAN_Q_OVERFLOW) {
        overflows++;
        continue;
      }
      if (m->fd < 0) continue;
      char link[64];
      char target[4096];
      snprintf(link, sizeof(link), "/proc/self/fd/%d", m->fd);
      ssize_t len = readlink(link, target, sizeof(target) - 1);
      bool script = len > 0 && IsScript(m->fd);
      close(m->fd);
      if (len <= 0) continue;
      std::string path(target, static_cast<size_t>(len));
      if (IsLoader(path)) continue;
      auto& list = byPid_[m->pid];
      if (!list.empty() && list.back().script) {
        // The interpreter of the script just opened: the same exec.
        list.back().path = std::move(path);
        list.back().script = script;
        continue;
      }
      if (held_ >= limit_) {
        dropped += held_;
        byPid_.clear();
        held_ = 0;
      }
      byPid_[m->pid].push_back(Entry{std::move(path), 0, script});
      held_++;
    }
  }
}

bool ExecPaths::Take(int32_t pid, std::string& out) {
  auto it = byPid_.find(pid);
  if (it == byPid_.end()) return false;
  out = std::move(it->second.front().path);
  it->second.pop_front();
  held_--;
  if (it->second.empty()) byPid_.erase(it);
  return true;
}

void ExecPaths::EndRound() {
  for (auto it = byPid_.begin(); it != byPid_.end();) {
    auto& list = it->second;
    while (!list.empty() && list.front().age >= 2) {
      list.pop_front();
      held_--;
      stale++;
    }
    for (auto& e : list) e.age++;
    it = list.empty() ? byPid_.erase(it) : std::next(it);
  }
}

}  // namespace meshward
