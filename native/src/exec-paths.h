// Exec paths from fanotify FAN_OPEN_EXEC notifications, for the proc connector's reader: the
// kernel reports the file an exec opened with an fd to it, so the path is known even when the
// process is gone before /proc/<pid> can be read (a process that exits at once). Only the path:
// arguments live in the process's memory, which the kernel frees at exit; no event carries them.
//
// One exec opens one to four files for exec, all before the connector announces the exec: the
// binary, or a script and its interpreter(s) ("#!"), then the dynamic loader. They are folded
// into one path per exec: the last interpreter (what /proc/<pid>/exe shows), never the loader.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

namespace meshward {

class ExecPaths {
 public:
  ~ExecPaths() { Close(); }

  // Opens the notification group; returns 0 or the errno (fanotify unavailable or not root).
  // `limit`: paths held unclaimed at most (past it all are dropped and counted).
  int Open(size_t limit);
  int fd() const { return fd_; }
  void Close();
  // Mount mark for FAN_OPEN_EXEC (add or remove); an inode ignore mark (a loader). 0 or errno.
  int Mark(const std::string& path, bool add);
  int Ignore(const std::string& path);

  // Reads every queued notification into the per-process lists.
  void Drain();
  // The path of the oldest unclaimed exec of `pid` (one per exec, in order). An exec announced
  // by the connector claims one even when /proc gave its image, so the next exec gets its own.
  bool Take(int32_t pid, std::string& out);
  // End of a reader round: paths nobody claimed for two rounds (an exec that failed after its
  // open, or a mount outside the connector's view) are dropped and counted.
  void EndRound();

  // Written by the reader thread, read by stats().
  std::atomic<uint64_t> events{0}, overflows{0}, stale{0}, dropped{0};

 private:
  struct Entry {
    std::string path;
    uint32_t age = 0;
    bool script = false;  // its interpreter's open is still to come
  };
  size_t limit_ = 16384;
  int fd_ = -1;
  size_t held_ = 0;
  std::unordered_map<int32_t, std::deque<Entry>> byPid_;
};

}  // namespace meshward
