// fanotify: marks on mounts, filesystems and directories; notification events (open, modify,
// close-write, exec) and permission events (FAN_OPEN_PERM, FAN_OPEN_EXEC_PERM, FAN_ACCESS_PERM)
// that hold the process inside open()/execve() until TypeScript answers allow or deny, so an exec
// can be refused before the binary runs. The reader thread resolves each event's path and, for
// permission events, reads what only exists while the process waits (its syscall arguments, its
// cgroup); the event's file descriptor stays open until respond(). Permission events the agent
// itself causes are allowed here, since the JS thread could be the one waiting.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "common.h"

namespace meshward {

namespace {

constexpr uint64_t kPermMask = FAN_OPEN_PERM | FAN_ACCESS_PERM | FAN_OPEN_EXEC_PERM;

struct FanEv {
  uint64_t mask = 0;
  int32_t pid = 0;
  int32_t fd = -1;
  uint32_t id = 0;  // permission events only: what respond() names (never a reused fd number)
  bool overflow = false;
  std::string path, syscall, cgroup, exe;
};

class Fanotify : public Napi::ObjectWrap<Fanotify> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Fanotify",
                       {InstanceMethod<&Fanotify::Mark>("mark"), InstanceMethod<&Fanotify::Respond>("respond"),
                        InstanceMethod<&Fanotify::Close>("close"), InstanceMethod<&Fanotify::Stats>("stats"),
                        InstanceMethod<&Fanotify::Unref>("unref")});
  }

  // new Fanotify({permissions?, queueLimit?, permTimeoutMs?}, onBatch)
  explicit Fanotify(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Fanotify>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) ThrowUsage(env, "Fanotify(options, onBatch)");
    Napi::Object o = info[0].As<Napi::Object>();
    bool permissions = o.Has("permissions") && o.Get("permissions").ToBoolean();
    size_t queueLimit = o.Has("queueLimit") ? o.Get("queueLimit").ToNumber().Uint32Value() : 65536;
    if (o.Has("permTimeoutMs")) permTimeoutMs_ = o.Get("permTimeoutMs").ToNumber().Uint32Value();
    unsigned int cls = permissions ? FAN_CLASS_CONTENT : FAN_CLASS_NOTIF;
    fd_ = fanotify_init(cls | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
    if (fd_ < 0) ThrowErrno(env, "fanotify_init", errno, "CAP_SYS_ADMIN");
    stopFd_ = eventfd(0, EFD_CLOEXEC);
    self_ = getpid();
    pump_.Start(env, info[1].As<Napi::Function>(), "meshward.fanotify", queueLimit, Convert, this);
    thread_ = std::thread([this] { Run(); });
  }

  ~Fanotify() override { Stop(); }

 private:
  // mark(path, {add|remove|flush, mount|filesystem|inode, mask, onChild?, onlyDir?})
  Napi::Value Mark(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) ThrowUsage(env, "mark(path, {op, kind, mask})");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    Napi::Object o = info[1].As<Napi::Object>();
    std::string op = o.Has("op") ? o.Get("op").ToString().Utf8Value() : "add";
    std::string kind = o.Has("kind") ? o.Get("kind").ToString().Utf8Value() : "inode";
    uint64_t mask = static_cast<uint64_t>(o.Get("mask").ToNumber().Int64Value());
    if (o.Has("onChild") && o.Get("onChild").ToBoolean()) mask |= FAN_EVENT_ON_CHILD;
    unsigned int flags = op == "remove" ? FAN_MARK_REMOVE : op == "flush" ? FAN_MARK_FLUSH : FAN_MARK_ADD;
    if (kind == "mount") flags |= FAN_MARK_MOUNT;
    else if (kind == "filesystem") flags |= FAN_MARK_FILESYSTEM;
    if (o.Has("onlyDir") && o.Get("onlyDir").ToBoolean()) flags |= FAN_MARK_ONLYDIR;
    // An ignore mark: no event of `mask` for this inode (loaders every exec opens), surviving
    // writes to it.
    if (o.Has("ignore") && o.Get("ignore").ToBoolean()) flags |= FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY;
    if (fanotify_mark(fd_, flags, mask, AT_FDCWD, path.c_str()) < 0) {
      ThrowErrno(env, "fanotify_mark(" + kind + ", " + path + ")", errno, "CAP_SYS_ADMIN");
    }
    return env.Undefined();
  }

  // respond(id, allow): answers one permission event (once; false if it was already answered).
  Napi::Value Respond(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = info[0].ToNumber().Uint32Value();
    bool allow = info[1].ToBoolean();
    return Napi::Boolean::New(env, Answer(id, allow, false));
  }

  bool Answer(uint32_t id, bool allow, bool timedOut) {
    int fd;
    {
      std::lock_guard<std::mutex> lock(pendingMu_);
      auto it = pending_.find(id);
      if (it == pending_.end()) return false;
      fd = it->second.fd;
      pending_.erase(it);
    }
    fanotify_response r{};
    r.fd = fd;
    r.response = allow ? FAN_ALLOW : FAN_DENY;
    (void)!write(fd_, &r, sizeof(r));
    close(fd);
    if (timedOut) timedOut_++;
    else if (allow) allowed_++;
    else denied_++;
    return true;
  }

  void Run() {
    alignas(fanotify_event_metadata) char buf[16384];
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    while (!stopping_.load()) {
      int r = poll(fds, 2, permTimeoutMs_ > 0 ? 100 : -1);
      if (r < 0 && errno != EINTR) break;
      if (fds[1].revents) break;
      if (permTimeoutMs_ > 0) ExpirePending();
      if (r <= 0 || !(fds[0].revents & POLLIN)) continue;
      for (;;) {
        ssize_t n = read(fd_, buf, sizeof(buf));
        if (n <= 0) break;
        auto* m = reinterpret_cast<fanotify_event_metadata*>(buf);
        while (FAN_EVENT_OK(m, n)) {
          Handle(m);
          m = FAN_EVENT_NEXT(m, n);
        }
      }
      // Notifications wait for the end of the drain (one call up per drain); permission events
      // were handed up at once, since a process waits on each.
      pump_.Schedule();
    }
  }

  void Handle(const fanotify_event_metadata* m) {
    if (m->vers != FANOTIFY_METADATA_VERSION) return;
    events_++;
    FanEv ev;
    ev.mask = m->mask;
    ev.pid = m->pid;
    if (m->mask & FAN_Q_OVERFLOW) {
      overflows_++;
      ev.overflow = true;
      pump_.Push(std::move(ev), false);
      return;
    }
    bool perm = (m->mask & kPermMask) != 0;
    if (perm && m->pid == self_) {
      fanotify_response r{m->fd, FAN_ALLOW};
      (void)!write(fd_, &r, sizeof(r));
      close(m->fd);
      selfAllowed_++;
      return;
    }
    if (m->fd >= 0) {
      char p[64];
      snprintf(p, sizeof(p), "/proc/self/fd/%d", m->fd);
      ReadLink(p, ev.path);
    }
    {
      // Who acted, read now: a short process may be gone before its exec event is handled.
      char p[64];
      snprintf(p, sizeof(p), "/proc/%d/exe", m->pid);
      ReadLink(p, ev.exe);
    }
    if (perm) {
      char p[64];
      // While the process waits for the answer its syscall line is stable: the open flags tell
      // a write from a read, which the event itself does not.
      if (m->mask & (FAN_OPEN_PERM | FAN_ACCESS_PERM)) {
        snprintf(p, sizeof(p), "/proc/%d/syscall", m->pid);
        ReadSmallFile(p, ev.syscall, 512);
      }
      snprintf(p, sizeof(p), "/proc/%d/cgroup", m->pid);
      ReadSmallFile(p, ev.cgroup, 4096);
      ev.fd = m->fd;
      ev.id = ++nextId_;
      std::lock_guard<std::mutex> lock(pendingMu_);
      pending_[ev.id] = Pending{m->fd, std::chrono::steady_clock::now()};
    } else if (m->fd >= 0) {
      close(m->fd);
    }
    uint32_t id = ev.id;
    size_t before = pump_.dropped();
    pump_.Push(std::move(ev), perm);
    // A permission event the JS side will never see must still be answered: allow (fail open).
    if (perm && pump_.dropped() != before) Answer(id, true, true);
  }

  void ExpirePending() {
    std::vector<uint32_t> late;
    auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(pendingMu_);
      for (auto& [id, p] : pending_) {
        if (std::chrono::duration_cast<std::chrono::milliseconds>(now - p.at).count() > permTimeoutMs_) late.push_back(id);
      }
    }
    for (uint32_t id : late) Answer(id, true, true);
  }

  static Napi::Value Convert(Napi::Env env, const FanEv& ev) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("mask", Napi::Number::New(env, static_cast<double>(ev.mask)));
    o.Set("pid", Napi::Number::New(env, ev.pid));
    if (ev.overflow) o.Set("overflow", Napi::Boolean::New(env, true));
    if (ev.id != 0) o.Set("id", Napi::Number::New(env, ev.id));
    if (!ev.path.empty()) o.Set("path", Napi::String::New(env, ev.path));
    if (!ev.syscall.empty()) o.Set("syscall", Napi::String::New(env, ev.syscall));
    if (!ev.cgroup.empty()) o.Set("cgroup", Napi::String::New(env, ev.cgroup));
    if (!ev.exe.empty()) o.Set("exe", Napi::String::New(env, ev.exe));
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
    // Closing the group allows every permission event still pending (kernel behaviour); answer
    // them first anyway so the count is right.
    std::vector<uint32_t> left;
    {
      std::lock_guard<std::mutex> lock(pendingMu_);
      for (auto& [id, p] : pending_) left.push_back(id);
    }
    for (uint32_t id : left) Answer(id, true, true);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
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
    size_t pending;
    {
      std::lock_guard<std::mutex> lock(pendingMu_);
      pending = pending_.size();
    }
    o.Set("events", Napi::Number::New(env, static_cast<double>(events_.load())));
    o.Set("overflows", Napi::Number::New(env, static_cast<double>(overflows_.load())));
    o.Set("allowed", Napi::Number::New(env, static_cast<double>(allowed_.load())));
    o.Set("denied", Napi::Number::New(env, static_cast<double>(denied_.load())));
    o.Set("timedOut", Napi::Number::New(env, static_cast<double>(timedOut_.load())));
    o.Set("selfAllowed", Napi::Number::New(env, static_cast<double>(selfAllowed_.load())));
    o.Set("pending", Napi::Number::New(env, static_cast<double>(pending)));
    o.Set("queueDropped", Napi::Number::New(env, static_cast<double>(pump_.dropped())));
    return o;
  }

  int fd_ = -1;
  int stopFd_ = -1;
  pid_t self_ = 0;
  uint32_t permTimeoutMs_ = 5000;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> events_{0}, overflows_{0}, allowed_{0}, denied_{0}, timedOut_{0}, selfAllowed_{0};
  std::mutex pendingMu_;
  struct Pending {
    int fd;
    std::chrono::steady_clock::time_point at;
  };
  std::map<uint32_t, Pending> pending_;
  uint32_t nextId_ = 0;
  std::thread thread_;
  Pump<FanEv> pump_;
};

}  // namespace

void InitFanotify(Napi::Env env, Napi::Object exports) {
  exports.Set("Fanotify", Fanotify::Define(env));
  Napi::Object m = Napi::Object::New(env);
  m.Set("ACCESS", Napi::Number::New(env, FAN_ACCESS));
  m.Set("MODIFY", Napi::Number::New(env, FAN_MODIFY));
  m.Set("CLOSE_WRITE", Napi::Number::New(env, FAN_CLOSE_WRITE));
  m.Set("CLOSE_NOWRITE", Napi::Number::New(env, FAN_CLOSE_NOWRITE));
  m.Set("OPEN", Napi::Number::New(env, FAN_OPEN));
  m.Set("OPEN_EXEC", Napi::Number::New(env, FAN_OPEN_EXEC));
  m.Set("OPEN_PERM", Napi::Number::New(env, FAN_OPEN_PERM));
  m.Set("ACCESS_PERM", Napi::Number::New(env, FAN_ACCESS_PERM));
  m.Set("OPEN_EXEC_PERM", Napi::Number::New(env, FAN_OPEN_EXEC_PERM));
  m.Set("ONDIR", Napi::Number::New(env, FAN_ONDIR));
  exports.Set("FAN", m);
}

}  // namespace meshward
