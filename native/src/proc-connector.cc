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
#include <unistd.h>

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
  std::string exe, args, cgroup, status, fd0, fd1;
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
    pump_.Start(env, info[1].As<Napi::Function>(), "meshward.proc", queueLimit, Convert);
    thread_ = std::thread([this] { Run(); });
  }

  ~ProcConnector() override { Stop(); }

 private:
  bool Subscribe(proc_cn_mcast_op op) {
    struct {
      nlmsghdr nl;
      cn_msg cn;
      proc_cn_mcast_op op;
    } __attribute__((packed)) msg{};
    msg.nl.nlmsg_len = sizeof(msg);
    msg.nl.nlmsg_type = NLMSG_DONE;
    msg.nl.nlmsg_pid = 0;
    msg.cn.id.idx = CN_IDX_PROC;
    msg.cn.id.val = CN_VAL_PROC;
    msg.cn.len = sizeof(proc_cn_mcast_op);
    msg.op = op;
    return send(fd_, &msg, sizeof(msg), 0) == static_cast<ssize_t>(sizeof(msg));
  }

  void Run() {
    alignas(nlmsghdr) char buf[65536];
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    while (!stopping_.load()) {
      int r = poll(fds, 2, -1);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents) break;
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
            pump_.Push(std::move(ev));
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
    pump_.Push(std::move(ev));
  }

  void Enrich(ProcEv& ev) {
    char path[64];
    int pid = ev.tgid;
    snprintf(path, sizeof(path), "/proc/%d/exe", pid);
    bool ok = ReadLink(path, ev.exe);
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    ReadSmallFile(path, ev.args, maxArgBytes_, &ev.argsTruncated);
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    ReadSmallFile(path, ev.status, 2048);
    snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
    ReadSmallFile(path, ev.cgroup, 4096);
    snprintf(path, sizeof(path), "/proc/%d/fd/0", pid);
    ReadLink(path, ev.fd0);
    snprintf(path, sizeof(path), "/proc/%d/fd/1", pid);
    ReadLink(path, ev.fd1);
    ev.enriched = ok;
    if (!ok) enrichMissed_++;
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
        if (!ev.status.empty()) o.Set("status", Napi::String::New(env, ev.status));
        if (!ev.cgroup.empty()) o.Set("cgroup", Napi::String::New(env, ev.cgroup));
        if (!ev.fd0.empty()) o.Set("fd0", Napi::String::New(env, ev.fd0));
        if (!ev.fd1.empty()) o.Set("fd1", Napi::String::New(env, ev.fd1));
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
