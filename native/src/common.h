// Shared pieces of the addon: errors that name the missing capability, small /proc readers, and
// the Pump that carries raw events from a reader thread to JavaScript in batches.
#pragma once

#include <napi.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace meshward {

// Throws a JS Error with a stable `code`. EPERM/EACCES become NATIVE_PRIVILEGE naming the
// capability the operation needs, so the agent can say "run as root or grant CAP_x".
[[noreturn]] inline void ThrowErrno(Napi::Env env, const std::string& what, int err, const char* capability) {
  std::string code = "NATIVE_SYSCALL";
  std::string message = what + ": " + std::strerror(err);
  if ((err == EPERM || err == EACCES) && capability != nullptr) {
    code = "NATIVE_PRIVILEGE";
    message += std::string(" (needs ") + capability + ": run the agent as root or grant it)";
  } else if (err == EINVAL || err == ENOSYS || err == EPROTONOSUPPORT || err == EAFNOSUPPORT) {
    code = "NATIVE_UNSUPPORTED";
    message += " (the kernel lacks this feature or refuses these flags)";
  }
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, err));
  if (capability != nullptr) e.Set("capability", Napi::String::New(env, capability));
  throw e;
}

[[noreturn]] inline void ThrowUsage(Napi::Env env, const std::string& message) {
  Napi::TypeError e = Napi::TypeError::New(env, message);
  e.Set("code", Napi::String::New(env, "NATIVE_USAGE"));
  throw e;
}

// Reads at most `limit` bytes of a (proc) file. Returns false when it cannot be opened.
bool ReadSmallFile(const char* path, std::string& out, size_t limit, bool* truncated = nullptr);
// readlink into a std::string; false on error.
bool ReadLink(const char* path, std::string& out);

// Carries events of type Ev from one producer thread to the JS thread. The producer pushes; the
// first push after a delivery schedules one call on the JS thread, which takes everything queued
// at that moment (batching keeps the cost per event low under an exec storm). The queue is
// bounded: past `limit` events are dropped and counted, never silently.
template <typename Ev>
class Pump {
 public:
  using Convert = std::function<Napi::Value(Napi::Env, const Ev&)>;
  // One value for a whole batch (a Buffer of records): one allocation per call up instead of
  // an object per event.
  using ConvertBatch = std::function<Napi::Value(Napi::Env, const std::vector<Ev>&)>;

  // `owner` (the wrapping JS object) is kept from garbage collection until the last queued
  // call has run: a call queued just before close() must not find the object freed.
  template <typename Owner>
  void Start(Napi::Env env, Napi::Function callback, const char* name, size_t limit, Convert convert, Owner* owner) {
    limit_ = limit;
    convert_ = std::move(convert);
    owner->Napi::template ObjectWrap<Owner>::Ref();
    tsfn_ = Napi::ThreadSafeFunction::New(env, callback, name, 0, 1, [owner](Napi::Env) { owner->Napi::template ObjectWrap<Owner>::Unref(); });
  }

  template <typename Owner>
  void StartBatch(Napi::Env env, Napi::Function callback, const char* name, size_t limit, ConvertBatch convert, Owner* owner) {
    convertBatch_ = std::move(convert);
    Start(env, callback, name, limit, nullptr, owner);
  }

  // Producer thread. With `now` false the event waits for Schedule(), so a producer that
  // drains its source first hands one batch up per drain instead of one call per event.
  void Push(Ev&& ev, bool now = true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.size() >= limit_) {
        dropped_++;
        return;
      }
      queue_.push_back(std::move(ev));
    }
    if (now) Schedule();
  }

  void Schedule() {
    bool schedule = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!scheduled_ && !queue_.empty()) {
        scheduled_ = true;
        schedule = true;
      }
    }
    if (schedule) {
      napi_status s = tsfn_.NonBlockingCall(this, [](Napi::Env env, Napi::Function fn, Pump* self) { self->Deliver(env, fn); });
      if (s != napi_ok) {
        std::lock_guard<std::mutex> lock(mu_);
        scheduled_ = false;
      }
    }
  }

  void Release() {
    if (tsfn_) {
      tsfn_.Release();
      tsfn_ = Napi::ThreadSafeFunction();
    }
  }
  void Unref(Napi::Env env) {
    if (tsfn_) tsfn_.Unref(env);
  }
  void Ref(Napi::Env env) {
    if (tsfn_) tsfn_.Ref(env);
  }

  size_t queued() {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

  uint64_t dropped() {
    std::lock_guard<std::mutex> lock(mu_);
    return dropped_;
  }
  uint64_t delivered() const { return delivered_.load(); }
  uint64_t batches() const { return batches_.load(); }

 private:
  void Deliver(Napi::Env env, Napi::Function fn) {
    std::vector<Ev> batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      batch.swap(queue_);
      scheduled_ = false;
    }
    if (batch.empty() || env == nullptr) return;
    Napi::HandleScope scope(env);
    Napi::Value arg;
    if (convertBatch_) {
      arg = convertBatch_(env, batch);
    } else {
      Napi::Array arr = Napi::Array::New(env, batch.size());
      for (size_t i = 0; i < batch.size(); i++) arr.Set(static_cast<uint32_t>(i), convert_(env, batch[i]));
      arg = arr;
    }
    delivered_ += batch.size();
    batches_++;
    try {
      fn.Call({arg});
    } catch (const Napi::Error& e) {
      // A throwing handler must not take the reader down; the error surfaces as an uncaught
      // exception on the JS side, where the agent's own handlers catch it.
      e.ThrowAsJavaScriptException();
    }
  }

  std::mutex mu_;
  std::vector<Ev> queue_;
  bool scheduled_ = false;
  size_t limit_ = 65536;
  uint64_t dropped_ = 0;
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> batches_{0};
  Convert convert_;
  ConvertBatch convertBatch_;
  Napi::ThreadSafeFunction tsfn_;
};

// Each class registers itself on the module.
void InitProcConnector(Napi::Env env, Napi::Object exports);
void InitFanotify(Napi::Env env, Napi::Object exports);
void InitPacketRing(Napi::Env env, Napi::Object exports);
void InitNfQueue(Napi::Env env, Napi::Object exports);
void InitNetns(Napi::Env env, Napi::Object exports);
void InitUnixDiag(Napi::Env env, Napi::Object exports);
void InitMountNs(Napi::Env env, Napi::Object exports);

// Opens a socket inside the network namespace at `nsPath` (empty: the current one): the calling
// thread enters the namespace, creates the socket, and returns; a socket keeps the namespace it
// was created in. Returns -1 with errno set on failure.
int SocketInNetns(const std::string& nsPath, int domain, int type, int protocol, std::string& error);

// The capability a failed SocketInNetns lacked: entering the namespace (setns) needs
// CAP_SYS_ADMIN; a netlink socket of the kinds used here, CAP_NET_ADMIN.
inline const char* SocketInNetnsCapability(const std::string& error) {
  return error.rfind("setns", 0) == 0 ? "CAP_SYS_ADMIN" : "CAP_NET_ADMIN";
}

}  // namespace meshward
