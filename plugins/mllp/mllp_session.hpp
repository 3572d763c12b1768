// One MLLP connection's protocol on the TCP listener kit: frames in, each
// submitted to the channel, ACKs out in arrival order once each message's
// disposition arrives (after it is stored). Transport, TLS, limits and
// timeouts belong to the kit.
#pragma once
#include <artery/plugin.hpp>
#include <artery/tcp_session.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "duplicate_window.hpp"
#include "frame_header.hpp"
#include "mllp_framer.hpp"
#include "mllp_options.hpp"

namespace artery::mllp {

// What every connection of one MLLP source shares.
struct MllpSourceState {
  MllpSourceState(SourceSettings s, ConnectorContext& c) : settings(std::move(s)), context(c) {}
  void log(LogLevel level, const std::string& text) { context.log(level, "mllp: " + text); }

  const SourceSettings settings;
  ConnectorContext& context;
  std::unique_ptr<DuplicateWindow> duplicates;  // dedup_window > 0 only
};

class MllpSession final : public TcpSession {
 public:
  MllpSession(std::shared_ptr<MllpSourceState> state, SourceHost& host, TcpConnection& connection);

  void on_data(std::string_view bytes) override;
  void on_peer_closed() override;
  void on_stop() override { stopping_ = true; }

 private:
  struct PendingReply {
    bool ready = false;
    bool latin1 = false;
    std::string reply;        // framed bytes; empty: nothing to send
    FrameHeader header;       // to build the ACK when the disposition arrives
    std::string raw_for_ack;  // only when the MSH could not be parsed
    std::string duplicate_key;
  };

  void on_frame(std::string_view content);
  void on_oversize(std::string_view head);
  // `write`: flush what is ready now; false when on_data flushes at its end.
  void resolve(std::uint64_t seq, Disposition disposition, bool write = true);
  void flush();

  std::shared_ptr<MllpSourceState> state_;
  SourceHost& host_;
  TcpConnection& connection_;
  MllpFramer framer_;
  std::vector<std::pair<std::string, std::string>> attributes_;
  std::deque<PendingReply> pending_;
  std::uint64_t head_seq_ = 0;  // sequence number of pending_.front()
  std::uint64_t next_seq_ = 0;
  std::size_t junk_seen_ = 0;
  std::string out_;
  bool paused_ = false;
  bool closing_ = false;   // oversize: answer what is pending, then close
  bool stopping_ = false;  // source stopping: take no more frames
};

}  // namespace artery::mllp
