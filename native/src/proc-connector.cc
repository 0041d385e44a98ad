// The netlink process connector (CN_IDX_PROC): fork, exec, exit and uid changes of every process
// on the host, in order, as the kernel announces them. On exec the reader thread reads, at once,
// what /proc still shows of the new image (exe, argv bounded, parent, uids, cgroup, stdin and
// stdout): a short process may be gone a millisecond later. Nothing is decided here.
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common.h"

namespace meshward {

namespace {

enum EvType : uint8_t { kFork = 1, kExec = 2, kExit = 3, kUid = 4, kOverrun = 5 };

struct ProcEv {
  EvType type;
  int32_t pid = 0, tgid = 0, ppid = 0, ptgid = 0;
  uint32_t ruid = 0, euid = 0;
  uint32_t exitCode = 0;
  uint64_t ts = 0;
  bool enriched = false;
  bool argsTruncated = false;
  int32_t uid = -1;
  std::string exe, args, cgroup, root;
};

class ProcConnector : public Napi::ObjectWrap<ProcConnector> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ProcConnector",
                       {InstanceMethod<&ProcConnector::Close>("close"), InstanceMethod<&ProcConnector::Stats>("stats"),
                        InstanceMethod<&ProcConnector::Unref>("unref")});
  }

  // new ProcConnector({enrich?, maxArgBytes?, queueLimit?, rcvbuf?}, onBatch)
  explicit ProcConnector(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcConnector>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) ThrowUsage(env, "ProcConnector(options, onBatch)");
    Napi::Object o = info[0].As<Napi::Object>();
    if (o.Has("enrich")) enrich_ = o.Get("enrich").ToBoolean();
    if (o.Has("maxArgBytes")) maxArgBytes_ = o.Get("maxArgBytes").ToNumber().Uint32Value();
    if (o.Has("coalesceMs")) coalesceMs_ = o.Get("coalesceMs").ToNumber().Int32Value();
    size_t queueLimit = o.Has("queueLimit") ? o.Get("queueLimit").ToNumber().Uint32Value() : 262144;
    int rcvbuf = o.Has("rcvbuf") ? o.Get("rcvbuf").ToNumber().Int32Value() : 16 << 20;

    fd_ = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd_ < 0) ThrowErrno(env, "proc connector: socket(NETLINK_CONNECTOR)", errno, "CAP_NET_ADMIN");
    // A deep receive buffer is what keeps an exec storm from overrunning the socket while the
    // thread is reading /proc; SO_RCVBUFFORCE passes rmem_max for root.
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0) {
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    addr.nl_groups = CN_IDX_PROC;
    addr.nl_pid = 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
      int e = errno;
      close(fd_);
      ThrowErrno(env, "proc connector: bind(CN_IDX_PROC)", e, "CAP_NET_ADMIN");
    }
    if (!Subscribe(PROC_CN_MCAST_LISTEN)) {
      int e = errno;
      close(fd_);
      ThrowErrno(env, "proc connector: PROC_CN_MCAST_LISTEN", e, "CAP_NET_ADMIN");
    }
    stopFd_ = eventfd(0, EFD_CLOEXEC);
    pump_.Start(env, info[1].As<Napi::Function>(), "meshward.proc", queueLimit, Convert, this);
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
    return send(fd_, buf, nl->nlmsg_len, 0) == static_cast<ssize_t>(nl->nlmsg_len);
  }

  void Run() {
    alignas(nlmsghdr) char buf[65536];
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    bool pending = false;
    std::chrono::steady_clock::time_point since;
    while (!stopping_.load()) {
      // With events waiting, a short wait gathers more into the same batch (at most
      // coalesceMs of latency; the exec already happened, nothing waits on us).
      int timeout = -1;
      if (pending) {
        auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
        timeout = waited >= coalesceMs_ ? 0 : static_cast<int>(coalesceMs_ - waited);
      }
      int r = timeout == 0 ? 0 : poll(fds, 2, timeout);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (r > 0 && fds[1].revents) break;
      if (r == 0) {
        pump_.Schedule();
        pending = false;
        continue;
      }
      // Drain everything available before going back to poll.
      for (;;) {
        ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == ENOBUFS) {
            // The kernel dropped messages: counted and reported, never silent.
            overruns_++;
            ProcEv ev;
            ev.type = kOverrun;
            pump_.Push(std::move(ev), false);
            continue;
          }
          break;  // EAGAIN
        }
        received_++;
        for (nlmsghdr* nl = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(nl, static_cast<size_t>(n)); nl = NLMSG_NEXT(nl, n)) {
          if (nl->nlmsg_type == NLMSG_ERROR || nl->nlmsg_type == NLMSG_NOOP) continue;
          cn_msg* cn = static_cast<cn_msg*>(NLMSG_DATA(nl));
          if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC) continue;
          Handle(reinterpret_cast<proc_event*>(cn->data));
        }
      }
      if (!pending && pump_.queued() > 0) {
        pending = true;
        since = std::chrono::steady_clock::now();
      }
      if (pending && (coalesceMs_ == 0 || pump_.queued() >= 512)) {
        pump_.Schedule();
        pending = false;
      }
    }
    pump_.Schedule();
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
        if (enrich_) Enrich(ev);
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
    pump_.Push(std::move(ev), false);
  }

  // Everything is read relative to one open /proc/<pid> (one path walk instead of five).
  void Enrich(ProcEv& ev) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d", ev.tgid);
    int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
      enrichMissed_++;
      return;
    }
    struct stat st;
    if (fstat(dir, &st) == 0) ev.uid = static_cast<int32_t>(st.st_uid);
    char buf[4096];
    ssize_t n = readlinkat(dir, "exe", buf, sizeof(buf) - 1);
    ssize_t n2;
    if (n > 0) ev.exe.assign(buf, static_cast<size_t>(n));
    ReadAt(dir, "cmdline", ev.args, maxArgBytes_, &ev.argsTruncated);
    n2 = readlinkat(dir, "root", buf, sizeof(buf) - 1);
    if (n2 > 0) ev.root.assign(buf, static_cast<size_t>(n2));
    std::string stat;
    // stat for the parent (status formats memory figures: several times dearer).
    if (ReadAt(dir, "stat", stat, 512, nullptr)) {
      size_t close = stat.rfind(')');
      if (close != std::string::npos && close + 4 < stat.size()) ev.ppid = atoi(stat.c_str() + close + 4);
    }
    ReadAt(dir, "cgroup", ev.cgroup, 4096, nullptr);
    close(dir);
    ev.enriched = n > 0;
    if (n <= 0) enrichMissed_++;
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

  static Napi::Value Convert(Napi::Env env, const ProcEv& ev) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("type", Napi::Number::New(env, ev.type));
    o.Set("pid", Napi::Number::New(env, ev.tgid));
    o.Set("ts", Napi::Number::New(env, static_cast<double>(ev.ts) / 1e6));
    switch (ev.type) {
      case kFork:
        o.Set("ppid", Napi::Number::New(env, ev.ptgid));
        break;
      case kExit:
        o.Set("exitCode", Napi::Number::New(env, ev.exitCode));
        break;
      case kUid:
        o.Set("ruid", Napi::Number::New(env, ev.ruid));
        o.Set("euid", Napi::Number::New(env, ev.euid));
        break;
      case kExec:
        o.Set("enriched", Napi::Boolean::New(env, ev.enriched));
        if (!ev.exe.empty()) o.Set("exe", Napi::String::New(env, ev.exe));
        if (!ev.args.empty()) o.Set("args", Napi::Buffer<char>::Copy(env, ev.args.data(), ev.args.size()));
        if (ev.argsTruncated) o.Set("argsTruncated", Napi::Boolean::New(env, true));
        if (ev.ppid > 0) o.Set("ppid", Napi::Number::New(env, ev.ppid));
        if (ev.uid >= 0) o.Set("euid", Napi::Number::New(env, ev.uid));
        if (!ev.cgroup.empty()) o.Set("cgroup", Napi::String::New(env, ev.cgroup));
        if (!ev.root.empty()) o.Set("root", Napi::String::New(env, ev.root));
        break;
      default:
        break;
    }
    return o;
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
    if (fd_ >= 0) {
      Subscribe(PROC_CN_MCAST_IGNORE);
      close(fd_);
      fd_ = -1;
    }
    if (stopFd_ >= 0) close(stopFd_);
    stopFd_ = -1;
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
    return o;
  }

  int fd_ = -1;
  int stopFd_ = -1;
  bool enrich_ = true;
  uint32_t maxArgBytes_ = 4096;
  int coalesceMs_ = 1;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> received_{0}, overruns_{0}, enrichMissed_{0};
  std::thread thread_;
  Pump<ProcEv> pump_;
};

}  // namespace

void InitProcConnector(Napi::Env env, Napi::Object exports) {
  exports.Set("ProcConnector", ProcConnector::Define(env));
}

}  // namespace meshward
