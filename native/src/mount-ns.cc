// Mounts made inside another process's mount namespace and root, which Node cannot do: setns to
// a mount namespace is refused to a multi-threaded process. A forked child (one thread) enters
// the namespace, takes the process's root, does one bind mount or unmount and exits with the
// errno; it calls only system calls between fork and _exit. The channel guard uses it to mask a
// runtime socket a container must not reach (host-agent/src/channel-guard/).
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

namespace meshward {

namespace {

// Runs `op` in a child that entered `mntns` and chrooted to `root`; returns 0 or the errno.
template <typename Op>
int InMountNs(Napi::Env env, const std::string& mntns, const std::string& root, Op op) {
  int ns = open(mntns.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns < 0) ThrowErrno(env, "open " + mntns, errno, "CAP_SYS_ADMIN");
  int dir = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    int e = errno;
    close(ns);
    ThrowErrno(env, "open " + root, e, "CAP_SYS_ADMIN");
  }
  pid_t pid = fork();
  if (pid == 0) {
    if (setns(ns, CLONE_NEWNS) < 0) _exit(errno & 0xff);
    if (fchdir(dir) < 0 || chroot(".") < 0) _exit(errno & 0xff);
    _exit(op() < 0 ? (errno & 0xff) : 0);
  }
  int e = errno;
  close(ns);
  close(dir);
  if (pid < 0) ThrowErrno(env, "fork", e, nullptr);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) ThrowErrno(env, "waitpid", errno, nullptr);
  }
  if (!WIFEXITED(status)) ThrowErrno(env, "mount helper died", EIO, nullptr);
  return WEXITSTATUS(status);
}

std::string Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsString()) ThrowUsage(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

// bindInMountNs(mntns, root, source, target): mount --bind source target, both paths as the
// process whose namespace and root these are sees them.
Napi::Value BindInMountNs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string mntns = Arg(info, 0, "mntns"), root = Arg(info, 1, "root");
  std::string source = Arg(info, 2, "source"), target = Arg(info, 3, "target");
  const char* s = source.c_str();
  const char* t = target.c_str();
  int err = InMountNs(env, mntns, root, [s, t]() { return mount(s, t, nullptr, MS_BIND, nullptr); });
  if (err != 0) ThrowErrno(env, "bind mount " + source + " on " + target + " in " + mntns, err, "CAP_SYS_ADMIN");
  return env.Undefined();
}

// unmountInMountNs(mntns, root, target): detaches the topmost mount on target.
Napi::Value UnmountInMountNs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string mntns = Arg(info, 0, "mntns"), root = Arg(info, 1, "root"), target = Arg(info, 2, "target");
  const char* t = target.c_str();
  int err = InMountNs(env, mntns, root, [t]() { return umount2(t, MNT_DETACH | UMOUNT_NOFOLLOW); });
  if (err != 0) ThrowErrno(env, "unmount " + target + " in " + mntns, err, "CAP_SYS_ADMIN");
  return env.Undefined();
}

}  // namespace

void InitMountNs(Napi::Env env, Napi::Object exports) {
  exports.Set("bindInMountNs", Napi::Function::New(env, BindInMountNs));
  exports.Set("unmountInMountNs", Napi::Function::New(env, UnmountInMountNs));
}

}  // namespace meshward
