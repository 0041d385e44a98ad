// The netlink process connector (CN_IDX_PROC): fork, exec, exit and uid changes of every process
// on the host, in order, as the kernel announces them. The reader thread works in rounds: it
// drains the socket, reads what /proc still shows of each new image (exe, argv bounded, owner,
// cgroup), takes exec paths from fanotify (exec-paths.h) for processes already gone, and hands
// the round up as one Buffer of records. Nothing is decided here.
//
// Cost under an exec storm is mostly wake-ups (three events per short process), so while events
// keep coming the thread reads once per window, 2 ms growing to `coalesceMs` (10 ms) as the
// storm lasts; a quiet host is read at once.
// Within a round only the last exec of a process that has not exited is read from /proc: an
// earlier exec's image is already replaced, and an exited process has no image or arguments left
// (its cgroup is read while it is a zombie; its path comes from fanotify). Parents come from the
// fork events, not /proc.
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <unordered_map>

#include "common.h"
#include "exec-paths.h"
#include "netlink.h"

namespace meshward {

namespace {

enum EvType : uint8_t { kFork = 1, kExec = 2, kExit = 3, kUid = 4, kOverrun = 5 };

// Record flags (host-agent/src/native/proc-records.ts decodes them).
enum Flag : uint8_t { kEnriched = 1, kArgsTruncated = 2, kExeFromExecEvent = 4, kGone = 8 };

struct ProcEv {
  EvType type;
  int32_t pid = 0, tgid = 0, ppid = 0, ptgid = 0;
  uint32_t ruid = 0, euid = 0;
  uint32_t exitCode = 0;
  uint64_t ts = 0;
  uint8_t flags = 0;
  int32_t uid = -1;
  std::string exe, args, cgroup;
};

// Record: a 32-byte head, then exe, args (NUL-separated), cgroup.
//   0 u8 type  1 u8 flags  2 u16 exe bytes  4 i32 pid  8 i32 parent  12 u32 exit code | ruid
//   16 i32 euid (-1: unknown)  20 u16 cgroup bytes  22 u16 args bytes  24 f64 kernel time (ms)
constexpr size_t kHead = 32;

class ProcConnector : public Napi::ObjectWrap<ProcConnector> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ProcConnector",
                       {InstanceMethod<&ProcConnector::Close>("close"), InstanceMethod<&ProcConnector::Stats>("stats"),
                        InstanceMethod<&ProcConnector::Unref>("unref"), InstanceMethod<&ProcConnector::WatchExecs>("watchExecs"),
                        InstanceMethod<&ProcConnector::IgnoreExec>("ignoreExec")});
  }

  // new ProcConnector({enrich?, maxArgBytes?, coalesceMs?, execPaths?, execPathsLimit?, queueLimit?, rcvbuf?}, onRound)
  explicit ProcConnector(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcConnector>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) ThrowUsage(env, "ProcConnector(options, onBatch)");
    Napi::Object o = info[0].As<Napi::Object>();
    if (o.Has("enrich")) enrich_ = o.Get("enrich").ToBoolean();
    if (o.Has("maxArgBytes")) maxArgBytes_ = o.Get("maxArgBytes").ToNumber().Uint32Value();
    if (o.Has("coalesceMs")) coalesceMs_ = o.Get("coalesceMs").ToNumber().Int32Value();
    size_t queueLimit = o.Has("queueLimit") ? o.Get("queueLimit").ToNumber().Uint32Value() : 262144;
    int rcvbuf = o.Has("rcvbuf") ? o.Get("rcvbuf").ToNumber().Int32Value() : 16 << 20;
    bool execPaths = o.Has("execPaths") && o.Get("execPaths").ToBoolean();
    size_t execPathsLimit = o.Has("execPathsLimit") ? o.Get("execPathsLimit").ToNumber().Uint32Value() : 16384;

    sock_ = NetlinkSocket(socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR));
    if (!sock_) ThrowErrno(env, "proc connector: socket(NETLINK_CONNECTOR)", errno, "CAP_NET_ADMIN");
    // A deep receive buffer is what keeps an exec storm from overrunning the socket while the
    // thread is reading /proc; SO_RCVBUFFORCE passes rmem_max for root.
    if (setsockopt(sock_.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0) {
      setsockopt(sock_.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    if (BindNetlink(sock_.fd(), CN_IDX_PROC) < 0) ThrowErrno(env, "proc connector: bind(CN_IDX_PROC)", errno, "CAP_NET_ADMIN");
    if (!Subscribe(PROC_CN_MCAST_LISTEN)) ThrowErrno(env, "proc connector: PROC_CN_MCAST_LISTEN", errno, "CAP_NET_ADMIN");
    if (execPaths) {
      // Without fanotify the connector still runs; exec paths then come from /proc alone.
      int err = paths_.Open(execPathsLimit);
      if (err != 0) pathsError_ = std::string("fanotify_init: ") + std::strerror(err) + (err == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
    }
    for (size_t i = 0; i < kBatch; i++) {
      iovs_[i] = {bufs_[i], sizeof(bufs_[i])};
      msgs_[i] = {};
      msgs_[i].msg_hdr.msg_iov = &iovs_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    stopFd_ = eventfd(0, EFD_CLOEXEC);
    pump_.StartBatch(env, info[1].As<Napi::Function>(), "meshward.proc", queueLimit, ConvertBatch, this);
    if (!pathsError_.empty()) info.This().As<Napi::Object>().Set("execPathsError", Napi::String::New(env, pathsError_));
    thread_ = std::thread([this] { Run(); });
  }

  ~ProcConnector() override { Stop(); }

 private:
  bool Subscribe(proc_cn_mcast_op op) {
    // nlmsghdr, cn_msg (whose flexible data member holds the operation), laid out by hand.
    alignas(nlmsghdr) char buf[NLMSG_SPACE(sizeof(cn_msg) + sizeof(proc_cn_mcast_op))] = {};
    auto* nl = reinterpret_cast<nlmsghdr*>(buf);
    nl->nlmsg_len = NLMSG_LENGTH(sizeof(cn_msg) + sizeof(proc_cn_mcast_op));
    nl->nlmsg_type = NLMSG_DONE;
    nl->nlmsg_pid = 0;
    auto* cn = static_cast<cn_msg*>(NLMSG_DATA(nl));
    cn->id.idx = CN_IDX_PROC;
    cn->id.val = CN_VAL_PROC;
    cn->len = sizeof(proc_cn_mcast_op);
    memcpy(cn->data, &op, sizeof(op));
    return send(sock_.fd(), buf, nl->nlmsg_len, 0) == static_cast<ssize_t>(nl->nlmsg_len);
  }

  void Run() {
    pollfd fds[3] = {{stopFd_, POLLIN, 0}, {sock_.fd(), POLLIN, 0}, {paths_.fd(), POLLIN, 0}};
    nfds_t nfds = paths_.fd() >= 0 ? 3 : 2;
    auto lastRound = std::chrono::steady_clock::now() - std::chrono::hours(1);
    while (!stopping_.load()) {
      int r = poll(fds, nfds, -1);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[0].revents) break;
      auto now = std::chrono::steady_clock::now();
      bool busy = now - lastRound < std::chrono::milliseconds(2 * std::min(2, coalesceMs_));
      lastRound = now;
      size_t got = Round();
      // Events keep coming: one round per window (only the stop fd wakes the thread in it)
      // until a round finds nothing, instead of a wake-up per event. The window starts short
      // (a burst is read within 2 ms) and doubles up to coalesceMs while the storm lasts.
      int window = std::min(2, coalesceMs_);
      while (got > 0 && busy && coalesceMs_ > 0) {
        int w = poll(fds, 1, window);
        if (w > 0 || (w < 0 && errno != EINTR)) return pump_.Schedule();
        got = Round();
        lastRound = std::chrono::steady_clock::now();
        window = std::min(window * 2, coalesceMs_);
      }
    }
    pump_.Schedule();
  }

  // One round: everything queued now, read, completed and handed up together.
  size_t Round() {
    round_.clear();
    for (;;) {
      // Many datagrams per system call (the connector sends one per event).
      int got = recvmmsg(sock_.fd(), msgs_, kBatch, MSG_DONTWAIT, nullptr);
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOBUFS) {
          // The kernel dropped messages: counted and reported, never silent.
          overruns_++;
          ProcEv ev;
          ev.type = kOverrun;
          round_.push_back(std::move(ev));
          continue;
        }
        break;  // EAGAIN
      }
      for (int m = 0; m < got; m++) {
        received_++;
        ssize_t n = msgs_[m].msg_len;
        for (nlmsghdr* nl = reinterpret_cast<nlmsghdr*>(bufs_[m]); NLMSG_OK(nl, static_cast<size_t>(n)); nl = NLMSG_NEXT(nl, n)) {
          if (nl->nlmsg_type == NLMSG_ERROR || nl->nlmsg_type == NLMSG_NOOP) continue;
          cn_msg* cn = static_cast<cn_msg*>(NLMSG_DATA(nl));
          if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC) continue;
          Handle(reinterpret_cast<proc_event*>(cn->data));
        }
      }
      if (got < static_cast<int>(kBatch)) break;
    }
    if (enrich_) EnrichRound();
    if (paths_.fd() >= 0) {
      // After the socket: every exec read above opened its file before it was announced.
      paths_.Drain();
      std::string path;
      for (ProcEv& ev : round_) {
        if (ev.type != kExec || !paths_.Take(ev.tgid, path)) continue;
        if (ev.exe.empty()) {
          ev.exe = std::move(path);
          ev.flags |= kExeFromExecEvent;
          pathsFilled_++;
        }
      }
      paths_.EndRound();
    }
    size_t got = round_.size();
    rounds_++;
    for (ProcEv& ev : round_) pump_.Push(std::move(ev), false);
    pump_.Schedule();
    return got;
  }

  // /proc for the execs of this round whose image is still there to read.
  void EnrichRound() {
    last_.clear();
    for (size_t i = 0; i < round_.size(); i++) {
      const ProcEv& ev = round_[i];
      if (ev.type == kExec) {
        auto it = last_.find(ev.tgid);
        // An earlier exec of the same process in this round: its image is already replaced.
        if (it != last_.end()) round_[static_cast<size_t>(it->second >= 0 ? it->second : -1 - it->second)].flags |= kGone;
        last_[ev.tgid] = static_cast<int64_t>(i);
      } else if (ev.type == kExit) {
        auto it = last_.find(ev.tgid);
        if (it != last_.end() && it->second >= 0) it->second = -1 - it->second;  // exited after that exec
      }
    }
    for (auto& [pid, i] : last_) {
      if (i >= 0) {
        Enrich(round_[static_cast<size_t>(i)]);
      } else {
        ProcEv& ev = round_[static_cast<size_t>(-1 - i)];
        // Gone, or a zombie: no image nor arguments any more, the cgroup still (a process that
        // moved itself into a container's cgroup before its exec).
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", ev.tgid);
        ReadSmallFile(path, ev.cgroup, 4096);
        ev.flags |= kGone;
        enrichMissed_++;
      }
    }
  }

  void Handle(const proc_event* pe) {
    ProcEv ev;
    ev.ts = pe->timestamp_ns;
    switch (pe->what) {
      case proc_event::PROC_EVENT_FORK:
        // Threads are not processes: a clone that shares the thread group is not reported.
        if (pe->event_data.fork.child_pid != pe->event_data.fork.child_tgid) return;
        ev.type = kFork;
        ev.pid = pe->event_data.fork.child_pid;
        ev.tgid = pe->event_data.fork.child_tgid;
        ev.ppid = pe->event_data.fork.parent_pid;
        ev.ptgid = pe->event_data.fork.parent_tgid;
        break;
      case proc_event::PROC_EVENT_EXEC:
        ev.type = kExec;
        ev.pid = pe->event_data.exec.process_pid;
        ev.tgid = pe->event_data.exec.process_tgid;
        break;
      case proc_event::PROC_EVENT_EXIT:
        if (pe->event_data.exit.process_pid != pe->event_data.exit.process_tgid) return;
        ev.type = kExit;
        ev.pid = pe->event_data.exit.process_pid;
        ev.tgid = pe->event_data.exit.process_tgid;
        ev.exitCode = pe->event_data.exit.exit_code;
        ev.ppid = pe->event_data.exit.parent_pid;
        ev.ptgid = pe->event_data.exit.parent_tgid;
        break;
      case proc_event::PROC_EVENT_UID:
        ev.type = kUid;
        ev.pid = pe->event_data.id.process_pid;
        ev.tgid = pe->event_data.id.process_tgid;
        ev.ruid = pe->event_data.id.r.ruid;
        ev.euid = pe->event_data.id.e.euid;
        break;
      default:
        return;
    }
    round_.push_back(std::move(ev));
  }

  // Everything is read relative to one open /proc/<pid> (one path walk instead of four).
  void Enrich(ProcEv& ev) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d", ev.tgid);
    int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
      ev.flags |= kGone;
      enrichMissed_++;
      return;
    }
    char buf[4096];
    ssize_t n = readlinkat(dir, "exe", buf, sizeof(buf) - 1);
    if (n > 0) {
      ev.exe.assign(buf, static_cast<size_t>(n));
      ev.flags |= kEnriched;
      // The owner of /proc/<pid> is the effective uid (setuid binaries change it at exec).
      struct stat st;
      if (fstat(dir, &st) == 0) ev.uid = static_cast<int32_t>(st.st_uid);
      bool truncated = false;
      ReadAt(dir, "cmdline", ev.args, maxArgBytes_, &truncated);
      if (truncated) ev.flags |= kArgsTruncated;
    } else {
      ev.flags |= kGone;
      enrichMissed_++;
    }
    ReadAt(dir, "cgroup", ev.cgroup, 4096, nullptr);
    close(dir);
  }

  static bool ReadAt(int dir, const char* name, std::string& out, size_t limit, bool* truncated) {
    out.clear();
    int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    out.resize(limit);
    size_t got = 0;
    while (got < limit) {
      ssize_t r = read(fd, &out[got], limit - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    if (truncated) {
      char one;
      *truncated = got >= limit && read(fd, &one, 1) == 1;
    }
    out.resize(got);
    close(fd);
    return true;
  }

  static Napi::Value ConvertBatch(Napi::Env env, const std::vector<ProcEv>& batch) {
    size_t size = 0;
    for (const ProcEv& ev : batch) size += kHead + Clip(ev.exe) + Clip(ev.args) + Clip(ev.cgroup);
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, size);
    uint8_t* p = out.Data();
    for (const ProcEv& ev : batch) {
      uint16_t exe = Clip(ev.exe), args = Clip(ev.args), cgroup = Clip(ev.cgroup);
      int32_t parent = ev.type == kFork || ev.type == kExit ? ev.ptgid : 0;
      uint32_t a = ev.type == kExit ? ev.exitCode : ev.type == kUid ? ev.ruid : 0;
      int32_t euid = ev.type == kUid ? static_cast<int32_t>(ev.euid) : ev.type == kExec ? ev.uid : -1;
      double ts = static_cast<double>(ev.ts) / 1e6;
      p[0] = ev.type;
      p[1] = ev.flags;
      memcpy(p + 2, &exe, 2);
      memcpy(p + 4, &ev.tgid, 4);
      memcpy(p + 8, &parent, 4);
      memcpy(p + 12, &a, 4);
      memcpy(p + 16, &euid, 4);
      memcpy(p + 20, &cgroup, 2);
      memcpy(p + 22, &args, 2);
      memcpy(p + 24, &ts, 8);
      p += kHead;
      memcpy(p, ev.exe.data(), exe);
      p += exe;
      memcpy(p, ev.args.data(), args);
      p += args;
      memcpy(p, ev.cgroup.data(), cgroup);
      p += cgroup;
    }
    return out;
  }

  static uint16_t Clip(const std::string& s) { return static_cast<uint16_t>(s.size() > 65535 ? 65535 : s.size()); }

  Napi::Value WatchExecs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString()) ThrowUsage(env, "watchExecs(mountPath, add)");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    int err = paths_.Mark(path, info[1].ToBoolean());
    if (err != 0) ThrowErrno(env, "fanotify_mark(mount, " + path + ")", err, "CAP_SYS_ADMIN");
    return env.Undefined();
  }

  Napi::Value IgnoreExec(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) ThrowUsage(env, "ignoreExec(path)");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    int err = paths_.Ignore(path);
    if (err != 0) ThrowErrno(env, "fanotify_mark(ignore, " + path + ")", err, "CAP_SYS_ADMIN");
    return env.Undefined();
  }

  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    stopping_.store(true);
    if (stopFd_ >= 0) {
      uint64_t one = 1;
      (void)!write(stopFd_, &one, sizeof(one));
    }
    if (thread_.joinable()) thread_.join();
    if (sock_) {
      Subscribe(PROC_CN_MCAST_IGNORE);
      sock_.Reset();
    }
    if (stopFd_ >= 0) close(stopFd_);
    stopFd_ = -1;
    paths_.Close();
    pump_.Release();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    pump_.Unref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("messages", Napi::Number::New(env, static_cast<double>(received_.load())));
    o.Set("overruns", Napi::Number::New(env, static_cast<double>(overruns_.load())));
    o.Set("queueDropped", Napi::Number::New(env, static_cast<double>(pump_.dropped())));
    o.Set("delivered", Napi::Number::New(env, static_cast<double>(pump_.delivered())));
    o.Set("batches", Napi::Number::New(env, static_cast<double>(pump_.batches())));
    o.Set("enrichMissed", Napi::Number::New(env, static_cast<double>(enrichMissed_.load())));
    o.Set("rounds", Napi::Number::New(env, static_cast<double>(rounds_.load())));
    // Read by this (JS) thread while the reader writes: figures, not invariants.
    o.Set("execPathEvents", Napi::Number::New(env, static_cast<double>(paths_.events.load())));
    o.Set("execPathOverflows", Napi::Number::New(env, static_cast<double>(paths_.overflows.load())));
    o.Set("execPathsStale", Napi::Number::New(env, static_cast<double>(paths_.stale.load() + paths_.dropped.load())));
    o.Set("execPathsFilled", Napi::Number::New(env, static_cast<double>(pathsFilled_.load())));
    return o;
  }

  NetlinkSocket sock_;
  int stopFd_ = -1;
  bool enrich_ = true;
  uint32_t maxArgBytes_ = 4096;
  int coalesceMs_ = 10;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> received_{0}, overruns_{0}, enrichMissed_{0}, rounds_{0}, pathsFilled_{0};
  // One connector message is ~100 bytes; 64 of them per recvmmsg.
  static constexpr size_t kBatch = 64;
  alignas(nlmsghdr) char bufs_[kBatch][1024];
  iovec iovs_[kBatch];
  mmsghdr msgs_[kBatch];
  std::vector<ProcEv> round_;
  std::unordered_map<int32_t, int64_t> last_;
  ExecPaths paths_;
  std::string pathsError_;
  std::thread thread_;
  Pump<ProcEv> pump_;
};

}  // namespace

void InitProcConnector(Napi::Env env, Napi::Object exports) {
  exports.Set("ProcConnector", ProcConnector::Define(env));
}

}  // namespace meshward
