#include "mllp_session.hpp"

#include <artery/hl7.hpp>

#include <optional>

#include "ack_policy.hpp"
#include "batch_outcome.hpp"
#include "charset.hpp"

namespace artery::mllp {
namespace {

// Frames a pipelining sender may have awaiting their disposition before the
// connection stops reading (back-pressure instead of unbounded memory).
constexpr std::size_t kMaxInFlight = 512;

std::string frame(std::string_view content) {
  std::string out;
  out.reserve(content.size() + 3);
  out.push_back(kStartBlock);
  out.append(content);
  out.push_back(kEndBlock);
  out.push_back(kCarriageReturn);
  return out;
}

// The session whose frame this thread is submitting right now. A channel that
// processes on the submitting thread (one worker, the default) answers before
// submit() returns: that answer is resolved in place, without a round trip
// through the connection's queue, and written with the others of the same
// read. Thread-local, so another thread's answer can never take this path.
thread_local const MllpSession* t_submitting = nullptr;

const std::string kCommitAck = std::string{kStartBlock, 0x06, kEndBlock, kCarriageReturn};
const std::string kCommitNak = std::string{kStartBlock, 0x15, kEndBlock, kCarriageReturn};

}  // namespace

MllpSession::MllpSession(std::shared_ptr<MllpSourceState> state, SourceHost& host, TcpConnection& connection)
    : state_(std::move(state)), host_(host), connection_(connection), framer_(state_->settings.max_message_size) {
  attributes_.emplace_back("remote", connection.peer().remote);
  attributes_.emplace_back("local_port", std::to_string(connection.peer().local_port));
  if (!connection.peer().tls_subject.empty()) attributes_.emplace_back("tls_peer_subject", connection.peer().tls_subject);
}

void MllpSession::on_data(std::string_view bytes) {
  framer_.feed(bytes);
  for (;;) {
    auto result = framer_.next();
    if (result.event == MllpFramer::Event::need_more) break;
    if (result.event == MllpFramer::Event::frame) {
      on_frame(result.content);
    } else {
      on_oversize(result.content);
      break;
    }
    if (closing_) break;
  }
  flush();  // the answers resolved while submitting, all in one write
  if (framer_.junk_bytes() != junk_seen_) {
    connection_.metrics().add_error(ConnectorError::protocol);
    state_->log(LogLevel::warn, "discarded " + std::to_string(framer_.junk_bytes() - junk_seen_) +
                                    " junk bytes outside frames from " + connection_.peer().remote);
    junk_seen_ = framer_.junk_bytes();
  }
  if (pending_.size() >= kMaxInFlight && !paused_) {
    paused_ = true;
    connection_.pause_reading();
  }
}

void MllpSession::on_peer_closed() {
  if (closing_ || !framer_.in_frame()) return;
  connection_.metrics().add_error(ConnectorError::protocol);
  state_->log(LogLevel::warn, connection_.peer().remote + " closed the connection in the middle of a frame (" +
                                  std::to_string(framer_.buffered()) + " bytes discarded)");
}

void MllpSession::on_frame(std::string_view content) {
  if (stopping_) return;  // not acknowledged: the sender resends after we restart
  const auto& settings = state_->settings;
  connection_.metrics().add_request();
  FrameHeader header = read_frame_header(content);
  bool latin1 = settings.charset == CharsetMode::latin1 ||
                (settings.charset == CharsetMode::automatic && names_latin1(header.charset));
  std::string body;
  if (latin1 && !is_ascii(content)) {
    body = latin1_to_utf8(content);
    header = read_frame_header(body);  // so ACKs are built from UTF-8 and converted back once
  } else {
    body.assign(content);
  }
  std::uint64_t seq = next_seq_++;
  PendingReply& slot = pending_.emplace_back();
  connection_.request_started();
  slot.latin1 = latin1;
  if (!header.msh) slot.raw_for_ack = body;
  if (state_->duplicates)
    slot.duplicate_key = DuplicateWindow::key(header.sending_application, header.sending_facility, header.control_id);
  slot.header = std::move(header);

  if (state_->duplicates && state_->duplicates->contains(slot.duplicate_key)) {
    state_->log(LogLevel::info, "duplicate of message " + slot.header.control_id + " from " +
                                    connection_.peer().remote + " acknowledged again, not stored twice");
    Disposition again;
    again.status = Disposition::Status::accepted;
    slot.duplicate_key.clear();
    resolve(seq, std::move(again));
    return;
  }

  // The disposition arrives on an engine thread; the handle brings it back to
  // this connection's thread, or drops it if the connection is gone.
  auto answer = [handle = connection_.handle(), this, seq](Disposition d) {
    if (t_submitting == this) {
      resolve(seq, std::move(d), false);
      return;
    }
    handle.post([this, seq, d = std::move(d)]() mutable { resolve(seq, std::move(d)); });
  };
  struct Submitting {
    explicit Submitting(const MllpSession* s) { t_submitting = s; }
    ~Submitting() { t_submitting = nullptr; }
  } submitting(this);
  std::optional<std::vector<std::string>> parts;
  if (slot.header.batch || body.find("\rMSH") != std::string::npos || body.find("\nMSH") != std::string::npos)
    parts = hl7::split_batch(body);
  if (parts && parts->size() > 1) {
    auto batch = std::make_shared<BatchOutcome>(parts->size(), std::move(answer));
    for (auto& part : *parts)
      host_.submit(Message{std::move(part), data_type::hl7v2, attributes_},
                           [batch](Disposition d) { batch->add(std::move(d)); });
    return;
  }
  host_.submit(Message{std::move(body), data_type::hl7v2, attributes_}, std::move(answer));
}

void MllpSession::on_oversize(std::string_view head) {
  const auto limit = state_->settings.max_message_size;
  connection_.metrics().add_error(ConnectorError::protocol);
  state_->log(LogLevel::warn, "frame from " + connection_.peer().remote + " exceeds max_message_size (" +
                                  std::to_string(limit) + " bytes); answered AR and closing the connection");
  PendingReply& slot = pending_.emplace_back();
  connection_.request_started();
  ++next_seq_;
  slot.ready = true;
  if (state_->settings.commit_ack) {
    slot.reply = kCommitNak;
  } else {
    FrameHeader header = read_frame_header(head.substr(0, std::min<std::size_t>(head.size(), 64 * 1024)));
    AckDecision decision{true, "AR", "message too large (more than " + std::to_string(limit) + " bytes)"};
    slot.reply = frame(render_ack(header, header.msh ? std::string_view{} : find_msh_segment(head), decision));
  }
  closing_ = true;
  // The peer may still be sending the rest of the frame: drain it, so the AR
  // is not destroyed by a reset.
  connection_.close(TcpConnection::Close::drain_input);
  flush();
}

void MllpSession::resolve(std::uint64_t seq, Disposition disposition, bool write) {
  if (seq < head_seq_ || seq - head_seq_ >= pending_.size()) return;
  PendingReply& slot = pending_[seq - head_seq_];
  const bool success =
      disposition.status == Disposition::Status::accepted || disposition.status == Disposition::Status::filtered;
  if (success && !slot.duplicate_key.empty()) state_->duplicates->remember(slot.duplicate_key);
  if (disposition.status == Disposition::Status::rejected) connection_.metrics().add_error(ConnectorError::rejected);
  if (state_->settings.commit_ack) {
    slot.reply = success ? kCommitAck : kCommitNak;
  } else if (!disposition.response.empty()) {
    slot.reply = frame(slot.latin1 ? utf8_to_latin1(disposition.response) : disposition.response);
  } else {
    // A batch is acknowledged once, in original mode, whatever its first MSH asks.
    AckDecision decision =
        decide_ack(disposition, slot.header.batch ? std::string_view{} : slot.header.accept_ack_type);
    if (decision.send) {
      std::string ack = render_ack(slot.header, slot.raw_for_ack, decision);
      slot.reply = frame(slot.latin1 ? utf8_to_latin1(ack) : ack);
    }
  }
  if (disposition.status == Disposition::Status::unavailable || disposition.status == Disposition::Status::errored)
    state_->log(LogLevel::debug, "message " + slot.header.control_id + " from " + connection_.peer().remote +
                                     " not accepted: " + one_line(disposition.error));
  slot.ready = true;
  if (write) flush();
}

// Writes every answer that is ready, in arrival order, as one write.
void MllpSession::flush() {
  std::size_t answered = 0;
  while (!pending_.empty() && pending_.front().ready) {
    out_.append(pending_.front().reply);
    pending_.pop_front();
    ++head_seq_;
    ++answered;
  }
  if (!out_.empty()) {
    connection_.write(out_);
    out_.clear();
  }
  // Finished only once written: the kit may close the connection at zero.
  for (; answered > 0; --answered) connection_.request_finished();
  if (paused_ && pending_.size() < kMaxInFlight) {
    paused_ = false;
    connection_.resume_reading();
  }
}

}  // namespace artery::mllp
