// The module: one class per kernel interface, plus small helpers. See ../README.md.
#include <fcntl.h>
#include <unistd.h>

#include "common.h"

namespace meshward {

bool ReadSmallFile(const char* path, std::string& out, size_t limit, bool* truncated) {
  out.clear();
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  if (truncated) *truncated = false;
  while (out.size() < limit) {
    size_t want = sizeof(buf);
    if (want > limit - out.size()) want = limit - out.size();
    ssize_t n = read(fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (out.size() >= limit && truncated) {
    char one;
    if (read(fd, &one, 1) == 1) *truncated = true;
  }
  close(fd);
  return true;
}

bool ReadLink(const char* path, std::string& out) {
  char buf[4096];
  ssize_t n = readlink(path, buf, sizeof(buf) - 1);
  if (n < 0) return false;
  out.assign(buf, static_cast<size_t>(n));
  return true;
}

static Napi::Value Geteuid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(geteuid()));
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitProcConnector(env, exports);
  InitFanotify(env, exports);
  InitPacketRing(env, exports);
  InitNfQueue(env, exports);
  InitNetns(env, exports);
  InitUnixDiag(env, exports);
  InitMountNs(env, exports);
  exports.Set("geteuid", Napi::Function::New(env, Geteuid));
  exports.Set("abi", Napi::Number::New(env, 1));
  return exports;
}

NODE_API_MODULE(meshward_native, Init)

}  // namespace meshward
