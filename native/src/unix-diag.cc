// Unix sockets of a network namespace through sock_diag (NETLINK_SOCK_DIAG, AF_UNIX): for each
// socket its inode, type, state, peer's inode, bound name and the inode/device of the file it is
// bound to. The server end of a connection to a listener on a path lives in the connecting
// socket's namespace and carries the listener's file (UNIX_DIAG_VFS), so one dump of a pod's
// namespace shows who in it is connected to which socket file. Raw records only; the channel
// guard (host-agent/src/channel-guard/) decides what they mean.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>

#include "common.h"
#include "sock-diag.h"

namespace meshward {

namespace {

// unixSockets(netns, {states?: mask}) → [{inode, type, state, peer?, name?, vfsIno?, vfsDev?}]
Napi::Value UnixSockets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  uint32_t states = 0xffffffffu;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    if (o.Has("states")) states = o.Get("states").ToNumber().Uint32Value();
  }
  NetlinkSocket sock = SockDiagSocket(env, netns, "unix sock_diag");
  NetlinkRequest<unix_diag_req> msg(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP);
  msg.body.sdiag_family = AF_UNIX;
  msg.body.udiag_states = states;
  msg.body.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER;
  Napi::Array out = Napi::Array::New(env);
  uint32_t count = 0;
  NetlinkDump(env, sock, &msg, sizeof(msg), "unix sock_diag", [&](nlmsghdr* nl) {
    auto* m = static_cast<unix_diag_msg*>(NLMSG_DATA(nl));
    Napi::Object s = Napi::Object::New(env);
    s.Set("inode", Napi::Number::New(env, m->udiag_ino));
    s.Set("type", Napi::Number::New(env, m->udiag_type));
    s.Set("state", Napi::Number::New(env, m->udiag_state));
    int len = static_cast<int>(nl->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
    for (rtattr* a = reinterpret_cast<rtattr*>(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
      size_t payload = RTA_PAYLOAD(a);
      const char* data = static_cast<const char*>(RTA_DATA(a));
      if (a->rta_type == UNIX_DIAG_PEER && payload >= sizeof(uint32_t)) {
        uint32_t peer;
        memcpy(&peer, data, sizeof(peer));
        s.Set("peer", Napi::Number::New(env, peer));
      } else if (a->rta_type == UNIX_DIAG_VFS && payload >= sizeof(unix_diag_vfs)) {
        unix_diag_vfs v;
        memcpy(&v, data, sizeof(v));
        s.Set("vfsIno", Napi::Number::New(env, v.udiag_vfs_ino));
        s.Set("vfsDev", Napi::Number::New(env, v.udiag_vfs_dev));
      } else if (a->rta_type == UNIX_DIAG_NAME && payload > 0) {
        // Abstract names start with a NUL, written as '@' (as ss does); path names may carry a
        // trailing NUL.
        std::string name(data, payload);
        if (name[0] == '\0') name[0] = '@';
        else name = name.c_str();
        s.Set("name", Napi::String::New(env, name));
      }
    }
    out.Set(count++, s);
  });
  return out;
}

}  // namespace

void InitUnixDiag(Napi::Env env, Napi::Object exports) {
  exports.Set("unixSockets", Napi::Function::New(env, UnixSockets));
}

}  // namespace meshward
