// The sock_diag socket (NETLINK_SOCK_DIAG) of a network namespace, shared by the inet
// (netns.cc) and unix (unix-diag.cc) dumps; the dump itself is NetlinkDump (netlink.h).
#pragma once
#include <linux/netlink.h>
#include <sys/socket.h>

#include "common.h"
#include "netlink.h"

namespace meshward {

// Opens it inside `netns` (empty: the current one). Throws a JS error prefixed with `what`,
// naming CAP_SYS_ADMIN when entering the namespace failed and CAP_NET_ADMIN otherwise.
inline NetlinkSocket SockDiagSocket(Napi::Env env, const std::string& netns, const char* what) {
  std::string err;
  int fd = SocketInNetns(netns, AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG, err);
  if (fd < 0) ThrowErrno(env, std::string(what) + ": " + err, errno, SocketInNetnsCapability(err));
  return NetlinkSocket(fd);
}

}  // namespace meshward
