// AF_PACKET capture with a TPACKET_V3 ring and a classic BPF filter, on one interface (optionally
// inside another network namespace). The reader thread copies each retired block's packets into
// one buffer, [u32 capLen][u32 wireLen][u32 sec][u32 nsec][u8 pkttype][3 pad] + bytes padded to 4,
// and hands the buffers up; the ring block goes back to the kernel at once. Parsing, reassembly
// and inspection are TypeScript's. When JavaScript falls behind, buffers beyond `queueBytes` are
// dropped and counted; the kernel's own drops come from PACKET_STATISTICS.
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <thread>

#include "common.h"

namespace meshward {

namespace {

struct Block {
  std::shared_ptr<std::vector<uint8_t>> bytes;
  uint32_t packets = 0;
  // The ring's count of bytes waiting for JavaScript; the block leaves it when handed over.
  std::atomic<int64_t>* queued = nullptr;
};

class PacketRing : public Napi::ObjectWrap<PacketRing> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PacketRing",
                       {InstanceMethod<&PacketRing::Close>("close"), InstanceMethod<&PacketRing::Stats>("stats"),
                        InstanceMethod<&PacketRing::Unref>("unref")});
  }

  // new PacketRing({interface, netns?, filter?: number[][4], blockSize?, blockCount?, frameSize?,
  //                 blockTimeoutMs?, queueBytes?}, onBatch)
  explicit PacketRing(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketRing>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) ThrowUsage(env, "PacketRing(options, onBatch)");
    Napi::Object o = info[0].As<Napi::Object>();
    if (!o.Has("interface") || !o.Get("interface").IsString()) ThrowUsage(env, "PacketRing: options.interface must be a string");
    std::string ifname = o.Get("interface").ToString().Utf8Value();
    std::string netns = o.Has("netns") && o.Get("netns").IsString() ? o.Get("netns").ToString().Utf8Value() : "";
    uint32_t blockSize = o.Has("blockSize") ? o.Get("blockSize").ToNumber().Uint32Value() : (1u << 20);
    uint32_t blockCount = o.Has("blockCount") ? o.Get("blockCount").ToNumber().Uint32Value() : 16;
    uint32_t frameSize = o.Has("frameSize") ? o.Get("frameSize").ToNumber().Uint32Value() : 2048;
    uint32_t tov = o.Has("blockTimeoutMs") ? o.Get("blockTimeoutMs").ToNumber().Uint32Value() : 10;
    queueBytes_ = o.Has("queueBytes") ? o.Get("queueBytes").ToNumber().Int64Value() : (64ll << 20);

    std::vector<sock_filter> prog;
    if (o.Has("filter") && o.Get("filter").IsArray()) {
      Napi::Array f = o.Get("filter").As<Napi::Array>();
      for (uint32_t i = 0; i < f.Length(); i++) {
        Napi::Array ins = f.Get(i).As<Napi::Array>();
        sock_filter s{};
        s.code = static_cast<uint16_t>(ins.Get(0u).ToNumber().Uint32Value());
        s.jt = static_cast<uint8_t>(ins.Get(1u).ToNumber().Uint32Value());
        s.jf = static_cast<uint8_t>(ins.Get(2u).ToNumber().Uint32Value());
        s.k = ins.Get(3u).ToNumber().Uint32Value();
        prog.push_back(s);
      }
    }

    std::string err;
    // Protocol 0: nothing is received until bind(), so no packet slips past the filter.
    fd_ = SocketInNetns(netns, AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0, err);
    if (fd_ < 0) ThrowErrno(env, "packet ring: " + err, errno, err.rfind("setns", 0) == 0 ? "CAP_SYS_ADMIN" : "CAP_NET_RAW");
    try {
      if (!prog.empty()) {
        sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
        if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) < 0) ThrowErrno(env, "packet ring: SO_ATTACH_FILTER", errno, nullptr);
      }
      int version = TPACKET_V3;
      if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0) ThrowErrno(env, "packet ring: PACKET_VERSION", errno, nullptr);
      tpacket_req3 req{};
      req.tp_block_size = blockSize;
      req.tp_block_nr = blockCount;
      req.tp_frame_size = frameSize;
      req.tp_frame_nr = (blockSize / frameSize) * blockCount;
      req.tp_retire_blk_tov = tov;
      req.tp_feature_req_word = 0;
      if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) ThrowErrno(env, "packet ring: PACKET_RX_RING", errno, nullptr);
      mapLen_ = static_cast<size_t>(blockSize) * blockCount;
      map_ = static_cast<uint8_t*>(mmap(nullptr, mapLen_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd_, 0));
      if (map_ == MAP_FAILED) {
        map_ = static_cast<uint8_t*>(mmap(nullptr, mapLen_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0));
        if (map_ == MAP_FAILED) {
          map_ = nullptr;
          ThrowErrno(env, "packet ring: mmap", errno, nullptr);
        }
      }
      blockSize_ = blockSize;
      blockCount_ = blockCount;
      ifreq ifr{};
      snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname.c_str());
      if (ioctl(fd_, SIOCGIFINDEX, &ifr) < 0) ThrowErrno(env, "packet ring: interface " + ifname, errno, nullptr);
      sockaddr_ll ll{};
      ll.sll_family = AF_PACKET;
      ll.sll_protocol = htons(ETH_P_ALL);
      ll.sll_ifindex = ifr.ifr_ifindex;
      if (bind(fd_, reinterpret_cast<sockaddr*>(&ll), sizeof(ll)) < 0) ThrowErrno(env, "packet ring: bind " + ifname, errno, "CAP_NET_RAW");
    } catch (...) {
      if (map_) munmap(map_, mapLen_);
      map_ = nullptr;
      close(fd_);
      fd_ = -1;
      throw;
    }
    stopFd_ = eventfd(0, EFD_CLOEXEC);
    pump_.Start(env, info[1].As<Napi::Function>(), "meshward.packet", 1u << 20, Convert, this);
    thread_ = std::thread([this] { Run(); });
  }

  ~PacketRing() override { Stop(); }

 private:
  void Run() {
    pollfd fds[2] = {{fd_, POLLIN | POLLERR, 0}, {stopFd_, POLLIN, 0}};
    uint32_t current = 0;
    while (!stopping_.load()) {
      auto* desc = reinterpret_cast<tpacket_block_desc*>(map_ + static_cast<size_t>(current) * blockSize_);
      if (!(desc->hdr.bh1.block_status & TP_STATUS_USER)) {
        int r = poll(fds, 2, -1);
        if (r < 0 && errno != EINTR) break;
        if (fds[1].revents) break;
        continue;
      }
      TakeBlock(desc);
      __sync_synchronize();
      desc->hdr.bh1.block_status = TP_STATUS_KERNEL;
      current = (current + 1) % blockCount_;
    }
  }

  void TakeBlock(tpacket_block_desc* desc) {
    uint32_t n = desc->hdr.bh1.num_pkts;
    if (n == 0) return;
    uint8_t* base = reinterpret_cast<uint8_t*>(desc);
    auto* pkt = reinterpret_cast<tpacket3_hdr*>(base + desc->hdr.bh1.offset_to_first_pkt);
    size_t total = 0;
    {
      auto* p = pkt;
      for (uint32_t i = 0; i < n; i++) {
        total += 20 + ((p->tp_snaplen + 3u) & ~3u);
        p = reinterpret_cast<tpacket3_hdr*>(reinterpret_cast<uint8_t*>(p) + p->tp_next_offset);
      }
    }
    if (queued_.load() + static_cast<int64_t>(total) > queueBytes_) {
      droppedBlocks_++;
      droppedPackets_ += n;
      return;
    }
    auto out = std::make_shared<std::vector<uint8_t>>(total);
    uint8_t* w = out->data();
    for (uint32_t i = 0; i < n; i++) {
      const uint8_t* data = reinterpret_cast<uint8_t*>(pkt) + pkt->tp_mac;
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(reinterpret_cast<uint8_t*>(pkt) + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
      uint32_t hdr[5] = {pkt->tp_snaplen, pkt->tp_len, pkt->tp_sec, pkt->tp_nsec, static_cast<uint32_t>(ll->sll_pkttype)};
      memcpy(w, hdr, 20);
      memcpy(w + 20, data, pkt->tp_snaplen);
      w += 20 + ((pkt->tp_snaplen + 3u) & ~3u);
      pkt = reinterpret_cast<tpacket3_hdr*>(reinterpret_cast<uint8_t*>(pkt) + pkt->tp_next_offset);
    }
    packets_ += n;
    bytes_ += total;
    queued_ += static_cast<int64_t>(total);
    Block b;
    b.bytes = out;
    b.packets = n;
    b.queued = &queued_;
    pump_.Push(std::move(b));
  }

  static Napi::Value Convert(Napi::Env env, const Block& b);

  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    stopping_.store(true);
    if (stopFd_ >= 0) {
      uint64_t one = 1;
      (void)!write(stopFd_, &one, sizeof(one));
    }
    if (thread_.joinable()) thread_.join();
    if (map_) munmap(map_, mapLen_);
    map_ = nullptr;
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
    if (fd_ >= 0) {
      tpacket_stats_v3 st{};
      socklen_t len = sizeof(st);
      if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
        kernelPackets_ += st.tp_packets;
        kernelDrops_ += st.tp_drops;
        freezes_ += st.tp_freeze_q_cnt;
      }
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("packets", Napi::Number::New(env, static_cast<double>(packets_.load())));
    o.Set("bytes", Napi::Number::New(env, static_cast<double>(bytes_.load())));
    o.Set("kernelPackets", Napi::Number::New(env, static_cast<double>(kernelPackets_)));
    o.Set("kernelDrops", Napi::Number::New(env, static_cast<double>(kernelDrops_)));
    o.Set("ringFreezes", Napi::Number::New(env, static_cast<double>(freezes_)));
    o.Set("droppedBlocks", Napi::Number::New(env, static_cast<double>(droppedBlocks_.load())));
    o.Set("droppedPackets", Napi::Number::New(env, static_cast<double>(droppedPackets_.load())));
    o.Set("queuedBytes", Napi::Number::New(env, static_cast<double>(queued_.load())));
    return o;
  }

  int fd_ = -1;
  int stopFd_ = -1;
  uint8_t* map_ = nullptr;
  size_t mapLen_ = 0;
  uint32_t blockSize_ = 0, blockCount_ = 0;
  int64_t queueBytes_ = 0;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> queued_{0};
  std::atomic<uint64_t> packets_{0}, bytes_{0}, droppedBlocks_{0}, droppedPackets_{0};
  uint64_t kernelPackets_ = 0, kernelDrops_ = 0, freezes_ = 0;
  std::thread thread_;
  Pump<Block> pump_;
};

// Hands the copy to JavaScript without a second copy; the bytes are freed with the Buffer.
Napi::Value PacketRing::Convert(Napi::Env env, const Block& b) {
  if (b.queued) *b.queued -= static_cast<int64_t>(b.bytes->size());
  auto* holder = new std::shared_ptr<std::vector<uint8_t>>(b.bytes);
  return Napi::Buffer<uint8_t>::New(env, b.bytes->data(), b.bytes->size(),
                                    [](Napi::Env, uint8_t*, std::shared_ptr<std::vector<uint8_t>>* h) { delete h; }, holder);
}

}  // namespace

void InitPacketRing(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketRing", PacketRing::Define(env));
}

}  // namespace meshward
