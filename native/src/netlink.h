// Netlink plumbing shared by the files that talk to the kernel over AF_NETLINK (sock_diag in
// netns.cc and unix-diag.cc, nfnetlink_queue in nfqueue.cc, the proc connector): a socket closed
// on every way out, binding, a request laid out with its header, a dump read until NLMSG_DONE and
// an acknowledgement read back. What the messages mean stays in each file.
// Header-only, like the Pump: nothing to add to binding.gyp, so a build directory configured
// before this file existed still links.
#pragma once
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

namespace meshward {

// Owns one socket: closed when the scope ends, also when a JS error is thrown through it.
class NetlinkSocket {
 public:
  NetlinkSocket() = default;
  explicit NetlinkSocket(int fd) : fd_(fd) {}
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  NetlinkSocket(NetlinkSocket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  NetlinkSocket& operator=(NetlinkSocket&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  ~NetlinkSocket() { Reset(); }

  int fd() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Binds to the kernel's side with the multicast `groups` to join (0: requests only). Returns
// bind()'s result, errno set on failure.
inline int BindNetlink(int fd, uint32_t groups) {
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = groups;
  addr.nl_pid = 0;
  return bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
}

// A request of one fixed-size body (inet_diag_req_v2, unix_diag_req, ...) after its header, laid
// out as the kernel reads it and zeroed, so unset fields mean "any".
template <typename Body>
struct NetlinkRequest {
  NetlinkRequest(uint16_t type, uint16_t flags) : nl{}, body{} {
    nl.nlmsg_len = sizeof(*this);
    nl.nlmsg_type = type;
    nl.nlmsg_flags = flags;
  }
  nlmsghdr nl;
  Body body;
};

// One dump (NLM_F_DUMP): sends `request` and calls `onMessage` with each answer until
// NLMSG_DONE. Throws a JS error naming `what` when the kernel refuses or the socket fails; the
// caller's NetlinkSocket closes the socket either way.
template <typename OnMessage>
void NetlinkDump(Napi::Env env, const NetlinkSocket& sock, const void* request, size_t length, const char* what, OnMessage onMessage) {
  if (send(sock.fd(), request, length, 0) < 0) ThrowErrno(env, std::string(what) + ": dump", errno, "CAP_NET_ADMIN");
  alignas(nlmsghdr) char buf[32768];
  for (;;) {
    ssize_t n = recv(sock.fd(), buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno(env, std::string(what) + ": recv", errno, nullptr);
    }
    if (n == 0) return;
    for (nlmsghdr* nl = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(nl, static_cast<size_t>(n)); nl = NLMSG_NEXT(nl, n)) {
      if (nl->nlmsg_type == NLMSG_DONE) return;
      if (nl->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(nl));
        ThrowErrno(env, std::string(what) + ": dump", -e->error, nullptr);
      }
      onMessage(nl);
    }
  }
}

// Reads the answer to a request sent with NLM_F_ACK. Returns the kernel's verdict as an errno (0:
// done), kNoAck when the answer held no acknowledgement, or kRecvFailed with errno set.
constexpr int kNoAck = -1;
constexpr int kRecvFailed = -2;
inline int ReadAck(int fd) {
  alignas(nlmsghdr) char buf[8192];
  ssize_t n = recv(fd, buf, sizeof(buf), 0);
  if (n < 0) return kRecvFailed;
  for (nlmsghdr* nl = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(nl, static_cast<size_t>(n)); nl = NLMSG_NEXT(nl, n)) {
    if (nl->nlmsg_type == NLMSG_ERROR) return -static_cast<nlmsgerr*>(NLMSG_DATA(nl))->error;
  }
  return kNoAck;
}

}  // namespace meshward
