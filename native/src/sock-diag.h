// One sock_diag dump (NETLINK_SOCK_DIAG): sends the request on `fd` and calls `onMessage` with
// each answer's payload until NLMSG_DONE. Shared by the inet (netns.cc) and unix (unix-diag.cc)
// dumps. Closes `fd` on every path; throws a JS error on failure.
#pragma once
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

namespace meshward {

template <typename OnMessage>
void SockDiagDump(Napi::Env env, int fd, const void* request, size_t length, const char* what, OnMessage onMessage) {
  if (send(fd, request, length, 0) < 0) {
    int e = errno;
    close(fd);
    ThrowErrno(env, std::string(what) + ": dump", e, "CAP_NET_ADMIN");
  }
  alignas(nlmsghdr) char buf[32768];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      ThrowErrno(env, std::string(what) + ": recv", e, nullptr);
    }
    if (n == 0) break;
    for (nlmsghdr* nl = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(nl, static_cast<size_t>(n)); nl = NLMSG_NEXT(nl, n)) {
      if (nl->nlmsg_type == NLMSG_DONE) {
        close(fd);
        return;
      }
      if (nl->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(nl));
        close(fd);
        ThrowErrno(env, std::string(what) + ": dump", -e->error, nullptr);
      }
      onMessage(nl);
    }
  }
  close(fd);
}

}  // namespace meshward
