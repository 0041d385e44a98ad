// NFQUEUE (nfnetlink_queue): packets a netfilter rule queues wait in the kernel until TypeScript
// answers accept or drop. The channel guard queues only the first packet (SYN) of connections to
// control-plane addresses, so the connecting socket exists while the verdict is pending and its
// owner can be found. The queue is bound with FAIL_OPEN: if the agent falls behind the kernel
// accepts rather than stalls the node's control traffic (counted in the kernel's own stats).
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "common.h"
#include "netlink.h"

namespace meshward {

namespace {

struct QEv {
  uint32_t id = 0;
  uint8_t hook = 0;
  uint32_t mark = 0;
  std::vector<uint8_t> payload;
};

// Appends one netlink attribute.
void PutAttr(std::vector<uint8_t>& b, uint16_t type, const void* data, size_t len) {
  nlattr a{};
  a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + len);
  a.nla_type = type;
  size_t at = b.size();
  b.resize(at + NLA_ALIGN(a.nla_len));
  memcpy(b.data() + at, &a, sizeof(a));
  memcpy(b.data() + at + NLA_HDRLEN, data, len);
}

class NfQueue : public Napi::ObjectWrap<NfQueue> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NfQueue",
                       {InstanceMethod<&NfQueue::Verdict>("verdict"), InstanceMethod<&NfQueue::Close>("close"),
                        InstanceMethod<&NfQueue::Stats>("stats"), InstanceMethod<&NfQueue::Unref>("unref")});
  }

  // new NfQueue({queue, netns?, copyBytes?, maxLen?}, onBatch)
  explicit NfQueue(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NfQueue>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) ThrowUsage(env, "NfQueue(options, onBatch)");
    Napi::Object o = info[0].As<Napi::Object>();
    queue_ = static_cast<uint16_t>(o.Get("queue").ToNumber().Uint32Value());
    std::string netns = o.Has("netns") && o.Get("netns").IsString() ? o.Get("netns").ToString().Utf8Value() : "";
    uint32_t copyBytes = o.Has("copyBytes") ? o.Get("copyBytes").ToNumber().Uint32Value() : 128;
    uint32_t maxLen = o.Has("maxLen") ? o.Get("maxLen").ToNumber().Uint32Value() : 4096;
    std::string err;
    sock_ = NetlinkSocket(SocketInNetns(netns, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER, err));
    if (!sock_) ThrowErrno(env, "nfqueue: " + err, errno, SocketInNetnsCapability(err));
    if (BindNetlink(sock_.fd(), 0) < 0) ThrowErrno(env, "nfqueue: bind", errno, "CAP_NET_ADMIN");
    int rcv = 4 << 20;
    setsockopt(sock_.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));

    nfqnl_msg_config_cmd cmd{};
    cmd.command = NFQNL_CFG_CMD_BIND;
    cmd.pf = htons(AF_INET);
    std::vector<uint8_t> attrs;
    PutAttr(attrs, NFQA_CFG_CMD, &cmd, sizeof(cmd));
    if (!Request(NFQNL_MSG_CONFIG, attrs)) ThrowErrno(env, "nfqueue: bind queue " + std::to_string(queue_), errno, "CAP_NET_ADMIN");
    attrs.clear();
    nfqnl_msg_config_params params{};
    params.copy_range = htonl(copyBytes);
    params.copy_mode = NFQNL_COPY_PACKET;
    PutAttr(attrs, NFQA_CFG_PARAMS, &params, sizeof(params));
    uint32_t qmax = htonl(maxLen);
    PutAttr(attrs, NFQA_CFG_QUEUE_MAXLEN, &qmax, sizeof(qmax));
    uint32_t flags = htonl(NFQA_CFG_F_FAIL_OPEN);
    PutAttr(attrs, NFQA_CFG_FLAGS, &flags, sizeof(flags));
    PutAttr(attrs, NFQA_CFG_MASK, &flags, sizeof(flags));
    if (!Request(NFQNL_MSG_CONFIG, attrs)) ThrowErrno(env, "nfqueue: configure queue " + std::to_string(queue_), errno, "CAP_NET_ADMIN");
    stopFd_ = eventfd(0, EFD_CLOEXEC);
    pump_.Start(env, info[1].As<Napi::Function>(), "meshward.nfqueue", 65536, Convert, this);
    thread_ = std::thread([this] { Run(); });
  }

  ~NfQueue() override { Stop(); }

 private:
  std::vector<uint8_t> Message(uint16_t type, const std::vector<uint8_t>& attrs, uint16_t flags) {
    std::vector<uint8_t> b(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)));
    auto* nl = reinterpret_cast<nlmsghdr*>(b.data());
    nl->nlmsg_type = static_cast<uint16_t>((NFNL_SUBSYS_QUEUE << 8) | type);
    nl->nlmsg_flags = flags;
    nl->nlmsg_seq = ++seq_;
    auto* g = reinterpret_cast<nfgenmsg*>(b.data() + NLMSG_HDRLEN);
    g->nfgen_family = AF_UNSPEC;
    g->version = NFNETLINK_V0;
    g->res_id = htons(queue_);
    b.insert(b.end(), attrs.begin(), attrs.end());
    reinterpret_cast<nlmsghdr*>(b.data())->nlmsg_len = static_cast<uint32_t>(b.size());
    return b;
  }

  // A configuration request with an ACK, read synchronously before the thread starts.
  bool Request(uint16_t type, const std::vector<uint8_t>& attrs) {
    std::vector<uint8_t> m = Message(type, attrs, NLM_F_REQUEST | NLM_F_ACK);
    if (send(sock_.fd(), m.data(), m.size(), 0) < 0) return false;
    int error = ReadAck(sock_.fd());
    if (error == kRecvFailed) return false;
    // An answer without an acknowledgement is taken as done, as the kernel sends one per request.
    if (error > 0) {
      errno = error;
      return false;
    }
    return true;
  }

  void Run() {
    std::vector<uint8_t> buf(65536 + 4096);
    pollfd fds[2] = {{sock_.fd(), POLLIN, 0}, {stopFd_, POLLIN, 0}};
    while (!stopping_.load()) {
      int r = poll(fds, 2, -1);
      if (r < 0 && errno != EINTR) break;
      if (fds[1].revents) break;
      for (;;) {
        ssize_t n = recv(sock_.fd(), buf.data(), buf.size(), MSG_DONTWAIT);
        if (n < 0) {
          if (errno == ENOBUFS) {
            overruns_++;
            continue;
          }
          break;
        }
        for (nlmsghdr* nl = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(nl, static_cast<size_t>(n)); nl = NLMSG_NEXT(nl, n)) {
          if ((nl->nlmsg_type & 0xff) != NFQNL_MSG_PACKET) continue;
          Parse(nl);
        }
      }
    }
  }

  void Parse(nlmsghdr* nl) {
    QEv ev;
    bool haveId = false;
    uint8_t* p = static_cast<uint8_t*>(NLMSG_DATA(nl)) + NLMSG_ALIGN(sizeof(nfgenmsg));
    int left = static_cast<int>(nl->nlmsg_len) - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof(nfgenmsg));
    while (left >= static_cast<int>(NLA_HDRLEN)) {
      auto* a = reinterpret_cast<nlattr*>(p);
      if (a->nla_len < NLA_HDRLEN || a->nla_len > left) break;
      uint8_t* data = p + NLA_HDRLEN;
      size_t len = a->nla_len - NLA_HDRLEN;
      switch (a->nla_type & NLA_TYPE_MASK) {
        case NFQA_PACKET_HDR: {
          auto* h = reinterpret_cast<nfqnl_msg_packet_hdr*>(data);
          ev.id = ntohl(h->packet_id);
          ev.hook = h->hook;
          haveId = true;
          break;
        }
        case NFQA_MARK:
          ev.mark = ntohl(*reinterpret_cast<uint32_t*>(data));
          break;
        case NFQA_PAYLOAD:
          ev.payload.assign(data, data + len);
          break;
        default:
          break;
      }
      p += NLA_ALIGN(a->nla_len);
      left -= NLA_ALIGN(a->nla_len);
    }
    if (!haveId) return;
    packets_++;
    uint32_t id = ev.id;
    uint64_t before = pump_.dropped();
    pump_.Push(std::move(ev));
    // Nobody will decide on a packet the JS side never sees: let it through.
    if (pump_.dropped() != before) SendVerdict(id, NF_ACCEPT);
  }

  void SendVerdict(uint32_t id, uint32_t verdict) {
    nfqnl_msg_verdict_hdr v{};
    v.verdict = htonl(verdict);
    v.id = htonl(id);
    std::vector<uint8_t> attrs;
    PutAttr(attrs, NFQA_VERDICT_HDR, &v, sizeof(v));
    std::lock_guard<std::mutex> lock(sendMu_);
    std::vector<uint8_t> m = Message(NFQNL_MSG_VERDICT, attrs, NLM_F_REQUEST);
    (void)!send(sock_.fd(), m.data(), m.size(), 0);
  }

  // verdict(id, accept)
  Napi::Value Verdict(const Napi::CallbackInfo& info) {
    uint32_t id = info[0].ToNumber().Uint32Value();
    bool accept = info[1].ToBoolean();
    SendVerdict(id, accept ? NF_ACCEPT : NF_DROP);
    if (accept) accepted_++;
    else dropped_++;
    return info.Env().Undefined();
  }

  static Napi::Value Convert(Napi::Env env, const QEv& ev) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", Napi::Number::New(env, ev.id));
    o.Set("hook", Napi::Number::New(env, ev.hook));
    o.Set("mark", Napi::Number::New(env, ev.mark));
    o.Set("payload", Napi::Buffer<uint8_t>::Copy(env, ev.payload.data(), ev.payload.size()));
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
    sock_.Reset();  // the kernel accepts (fail open) or drops queued packets per flags
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
    o.Set("packets", Napi::Number::New(env, static_cast<double>(packets_.load())));
    o.Set("accepted", Napi::Number::New(env, static_cast<double>(accepted_.load())));
    o.Set("dropped", Napi::Number::New(env, static_cast<double>(dropped_.load())));
    o.Set("overruns", Napi::Number::New(env, static_cast<double>(overruns_.load())));
    o.Set("queueDropped", Napi::Number::New(env, static_cast<double>(pump_.dropped())));
    return o;
  }

  NetlinkSocket sock_;
  int stopFd_ = -1;
  uint16_t queue_ = 0;
  uint32_t seq_ = 0;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> packets_{0}, accepted_{0}, dropped_{0}, overruns_{0};
  std::mutex sendMu_;
  std::thread thread_;
  Pump<QEv> pump_;
};

}  // namespace

void InitNfQueue(Napi::Env env, Napi::Object exports) {
  exports.Set("NfQueue", NfQueue::Define(env));
}

}  // namespace meshward
