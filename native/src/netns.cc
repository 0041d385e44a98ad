// Network namespaces: sockets opened inside another namespace (setns on the calling thread and
// back), inet sockets of a namespace through sock_diag (listeners, connections, their owners'
// uid and inode), SOCK_DESTROY of one socket, and the original destination of a redirected
// connection (SO_ORIGINAL_DST).
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "sock-diag.h"

#ifndef SOCK_DESTROY
#define SOCK_DESTROY 21
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

namespace meshward {

int SocketInNetns(const std::string& nsPath, int domain, int type, int protocol, std::string& error) {
  if (nsPath.empty()) {
    int fd = socket(domain, type, protocol);
    if (fd < 0) error = "socket()";
    return fd;
  }
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) {
    error = "setns: open /proc/thread-self/ns/net";
    return -1;
  }
  int target = open(nsPath.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int e = errno;
    close(self);
    error = "setns: open " + nsPath;
    errno = e;
    return -1;
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    int e = errno;
    close(target);
    close(self);
    error = "setns(" + nsPath + ")";
    errno = e;
    return -1;
  }
  int fd = socket(domain, type, protocol);
  int e = errno;
  // Going back cannot fail for a namespace this thread was just in; if it did, the thread would
  // keep the wrong namespace, so abort rather than go on silently.
  if (setns(self, CLONE_NEWNET) < 0) abort();
  close(target);
  close(self);
  if (fd < 0) error = "socket() in " + nsPath;
  errno = e;
  return fd;
}

namespace {

std::string Address(int family, const uint32_t* a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family, a, buf, sizeof(buf));
  return buf;
}

bool ParseAddress(const std::string& s, int family, uint32_t* out) {
  memset(out, 0, 16);
  return inet_pton(family, s.c_str(), out) == 1;
}

// inetSockets(netns, {family: 4|6, protocol: 'tcp'|'udp', states: mask}) → [{state, src, sport,
// dst, dport, uid, inode}]
Napi::Value InetSockets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  Napi::Object o = info[1].As<Napi::Object>();
  int family = o.Get("family").ToNumber().Int32Value() == 6 ? AF_INET6 : AF_INET;
  int protocol = o.Has("protocol") && o.Get("protocol").ToString().Utf8Value() == "udp" ? IPPROTO_UDP : IPPROTO_TCP;
  uint32_t states = o.Has("states") ? o.Get("states").ToNumber().Uint32Value() : 0xffffffffu;
  NetlinkSocket sock = SockDiagSocket(env, netns, "sock_diag");
  NetlinkRequest<inet_diag_req_v2> msg(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP);
  msg.body.sdiag_family = static_cast<uint8_t>(family);
  msg.body.sdiag_protocol = static_cast<uint8_t>(protocol);
  msg.body.idiag_states = states;
  Napi::Array out = Napi::Array::New(env);
  uint32_t count = 0;
  NetlinkDump(env, sock, &msg, sizeof(msg), "sock_diag", [&](nlmsghdr* nl) {
    auto* m = static_cast<inet_diag_msg*>(NLMSG_DATA(nl));
    Napi::Object s = Napi::Object::New(env);
    s.Set("state", Napi::Number::New(env, m->idiag_state));
    s.Set("src", Napi::String::New(env, Address(family, m->id.idiag_src)));
    s.Set("sport", Napi::Number::New(env, ntohs(m->id.idiag_sport)));
    s.Set("dst", Napi::String::New(env, Address(family, m->id.idiag_dst)));
    s.Set("dport", Napi::Number::New(env, ntohs(m->id.idiag_dport)));
    s.Set("uid", Napi::Number::New(env, m->idiag_uid));
    s.Set("inode", Napi::Number::New(env, m->idiag_inode));
    out.Set(count++, s);
  });
  return out;
}

// destroySocket(netns, {family, src, sport, dst, dport}) → true if the kernel closed it.
Napi::Value DestroySocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  Napi::Object o = info[1].As<Napi::Object>();
  int family = o.Get("family").ToNumber().Int32Value() == 6 ? AF_INET6 : AF_INET;
  NetlinkRequest<inet_diag_req_v2> msg(SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK);
  msg.body.sdiag_family = static_cast<uint8_t>(family);
  msg.body.sdiag_protocol = IPPROTO_TCP;
  msg.body.idiag_states = 0xffffffffu;
  msg.body.id.idiag_sport = htons(static_cast<uint16_t>(o.Get("sport").ToNumber().Uint32Value()));
  msg.body.id.idiag_dport = htons(static_cast<uint16_t>(o.Get("dport").ToNumber().Uint32Value()));
  msg.body.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.body.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  if (!ParseAddress(o.Get("src").ToString().Utf8Value(), family, msg.body.id.idiag_src) ||
      !ParseAddress(o.Get("dst").ToString().Utf8Value(), family, msg.body.id.idiag_dst)) {
    ThrowUsage(env, "destroySocket: src and dst must be addresses of the family");
  }
  NetlinkSocket sock = SockDiagSocket(env, netns, "sock_diag");
  if (send(sock.fd(), &msg, sizeof(msg), 0) < 0) ThrowErrno(env, "SOCK_DESTROY", errno, "CAP_NET_ADMIN");
  int error = ReadAck(sock.fd());
  if (error == EPERM) ThrowErrno(env, "SOCK_DESTROY", EPERM, "CAP_NET_ADMIN");
  return Napi::Boolean::New(env, error == 0);
}

// originalDst(fd) → {address, port} of a connection that netfilter redirected (REDIRECT/DNAT).
Napi::Value OriginalDst(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].ToNumber().Int32Value();
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &ss, &len) < 0) {
    len = sizeof(ss);
    if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &ss, &len) < 0) ThrowErrno(env, "getsockopt(SO_ORIGINAL_DST)", errno, nullptr);
  }
  Napi::Object o = Napi::Object::New(env);
  char buf[INET6_ADDRSTRLEN];
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    o.Set("port", Napi::Number::New(env, ntohs(a->sin_port)));
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    o.Set("port", Napi::Number::New(env, ntohs(a->sin6_port)));
  }
  o.Set("address", Napi::String::New(env, buf));
  return o;
}

// tcpSocket(netns, family, bindAddress?, bindPort?) → fd of a TCP socket created inside the
// namespace, bound when an address is given (Node then listens or connects on it: net.Server
// listen({fd}), new net.Socket({fd}).connect()). The caller owns the fd.
Napi::Value TcpSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  int family = info[1].ToNumber().Int32Value() == 6 ? AF_INET6 : AF_INET;
  std::string err;
  int fd = SocketInNetns(netns, family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP, err);
  if (fd < 0) ThrowErrno(env, "tcp socket: " + err, errno, "CAP_SYS_ADMIN");
  if (info.Length() > 2 && info[2].IsString()) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_storage ss{};
    socklen_t len;
    uint16_t port = static_cast<uint16_t>(info[3].ToNumber().Uint32Value());
    std::string addr = info[2].As<Napi::String>().Utf8Value();
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(port);
      if (inet_pton(AF_INET, addr.c_str(), &a->sin_addr) != 1) {
        close(fd);
        ThrowUsage(env, "tcpSocket: bad IPv4 address " + addr);
      }
      len = sizeof(sockaddr_in);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(port);
      if (inet_pton(AF_INET6, addr.c_str(), &a->sin6_addr) != 1) {
        close(fd);
        ThrowUsage(env, "tcpSocket: bad IPv6 address " + addr);
      }
      len = sizeof(sockaddr_in6);
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      int e = errno;
      close(fd);
      ThrowErrno(env, "tcp socket: bind " + addr + ":" + std::to_string(port), e, "CAP_NET_BIND_SERVICE");
    }
  }
  return Napi::Number::New(env, fd);
}

}  // namespace

void InitNetns(Napi::Env env, Napi::Object exports) {
  exports.Set("inetSockets", Napi::Function::New(env, InetSockets));
  exports.Set("destroySocket", Napi::Function::New(env, DestroySocket));
  exports.Set("originalDst", Napi::Function::New(env, OriginalDst));
  exports.Set("tcpSocket", Napi::Function::New(env, TcpSocket));
}

}  // namespace meshward
