#include "nats_source.hpp"

#include "nats_connection.hpp"
#include "partitioned_subject.hpp"
#include "pull_consumer.hpp"

#include <artery/failed_message_host.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace artery::nats {

std::chrono::milliseconds nak_delay_for(const SourceSettings& settings, std::uint64_t deliveries) {
  const int shift = static_cast<int>(std::min<std::uint64_t>(deliveries > 0 ? deliveries - 1 : 0, 20));
  return std::min(settings.nak_delay * (std::int64_t{1} << shift), settings.max_nak_delay);
}

namespace {

// One durable consumer and the thread that pulls from it. A source without
// `partitions` has one lane (the consumer as configured); with `partitions: N`
// it has N, lane i on <filter_subject>.i as <durable>-p<i> with one message
// in flight, each pulled on its own thread so that a slow delivery in one
// partition does not hold up the others on this node.
struct Lane {
  ConsumerSettings consumer;  // once prepared: max_deliver and ack_wait as the server enforces them
  int batch = 1;
  std::unique_ptr<PullConsumer> pull;  // touched by start(), then only by the lane's thread, then stop()
  std::thread thread;
};

class NatsSource final : public Source {
 public:
  NatsSource(SourceSettings settings, ConnectorContext& context) : s_(std::move(settings)), context_(context) {
    if (s_.partitions == 0) {
      lanes_.emplace_back();
      lanes_.back().consumer = s_.consumer;
      lanes_.back().batch = s_.batch;
    } else {
      lanes_.resize(static_cast<std::size_t>(s_.partitions));
      for (std::size_t i = 0; i < lanes_.size(); ++i) {
        Lane& lane = lanes_[i];
        lane.consumer = s_.consumer;
        lane.consumer.durable = s_.consumer.durable + "-p" + std::to_string(i);
        lane.consumer.filter_subject = partition_subject(s_.consumer.filter_subject, static_cast<int>(i));
        // The order guarantee: the server hands out the partition's next
        // message only once this one is acknowledged (or, its holder dead,
        // redelivered first after ack_wait).
        lane.consumer.max_ack_pending = 1;
        lane.batch = 1;
      }
    }
  }
  ~NatsSource() override { stop(); }

  bool start(SourceHost& host, std::string& error) override {
    host_ = &host;
    failed_host_ = failed_message_host(host);
    if (!failed_host_)
      context_.log(LogLevel::warn, "this engine cannot record a message as ERROR without processing it: a message "
                                   "on its max_deliver-th delivery is processed like the others");
    NatsConnection::Failure failure = NatsConnection::Failure::none;
    connection_ = NatsConnection::open(s_.connection, event_log(), error, &failure);
    if (!connection_ && failure != NatsConnection::Failure::unreachable) return false;
    if (connection_) {
      for (auto& lane : lanes_) {
        if (!prepare(*connection_, lane, error)) {
          for (auto& l : lanes_) l.pull.reset();
          connection_.reset();
          return false;
        }
      }
    }
    if (!connection_) {
      // NATS may come up after the engine: keep trying in the background.
      context_.log(LogLevel::warn, error + "; retrying");
      error.clear();
    } else {
      context_.log(LogLevel::info, "consuming stream " + s_.stream.name + " as " + consumers() + " on " +
                                       connection_->connected_url());
    }
    running_ = true;
    for (auto& lane : lanes_) lane.thread = std::thread([this, &lane] { run(lane); });
    return true;
  }

  void stop() override {
    running_ = false;
    for (auto& lane : lanes_)
      if (lane.thread.joinable()) lane.thread.join();
    for (auto& lane : lanes_) lane.pull.reset();
    connection_.reset();
  }

 private:
  struct Answer {
    std::size_t index;
    Disposition disposition;
  };

  EventLog event_log() {
    return [this](LogLevel level, std::string_view text) { context_.log(level, text); };
  }

  std::string consumers() const {
    if (s_.partitions == 0) return s_.consumer.durable;
    return lanes_.front().consumer.durable + " .. " + lanes_.back().consumer.durable + " (" +
           std::to_string(s_.partitions) + " partitions, one message in flight each)";
  }

  // The connection, opened by whichever lane needs it first (NATS was
  // unreachable at start). Null with `error` while it cannot be opened.
  NatsConnection* connection(std::string& error) {
    std::lock_guard lock(connection_mutex_);
    if (!connection_) connection_ = NatsConnection::open(s_.connection, event_log(), error);
    return connection_.get();
  }

  // The stream (created once, or checked), the lane's consumer (created, or
  // checked to exist) and its pull subscription.
  bool prepare(NatsConnection& nats, Lane& lane, std::string& error) {
    if (s_.create) {
      {
        std::lock_guard lock(connection_mutex_);
        if (!stream_ready_ && !ensure_stream(nats, s_.stream, error)) return false;
        stream_ready_ = true;
      }
      if (!ensure_consumer(nats, s_.stream.name, lane.consumer, error)) return false;
    } else if (!consumer_exists(nats, s_.stream.name, lane.consumer.durable, error)) {
      return false;
    }
    // The server enforces the consumer's own max_deliver and ack_wait: use
    // those (a consumer made by someone else may differ from our options).
    ConsumerState state;
    if (!read_consumer_state(nats, s_.stream.name, lane.consumer.durable, state, error)) return false;
    if (s_.partitions > 0 && state.max_ack_pending != 1) {
      // A consumer made by someone else (create: false) that lets several
      // messages of a partition out at once would lose the order silently.
      error = "consumer " + lane.consumer.durable + " of stream " + s_.stream.name + " has max_ack_pending " +
              std::to_string(state.max_ack_pending) + ": a partition's consumer needs 1 (one message in flight keeps "
              "the order)";
      return false;
    }
    lane.consumer.max_deliver = state.max_deliver;
    if (state.ack_wait.count() > 0) lane.consumer.ack_wait = state.ack_wait;
    lane.pull = PullConsumer::bind(nats, s_.stream.name, lane.consumer.durable, error);
    return lane.pull != nullptr;
  }

  // Sleeps up to `wait` in small steps; false when stopping.
  bool pause_for(std::chrono::milliseconds wait) {
    const auto until = std::chrono::steady_clock::now() + wait;
    while (running_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return running_;
  }

  void run(Lane& lane) {
    std::chrono::milliseconds backoff = s_.connection.reconnect_wait;
    std::string last_problem;
    auto problem = [&](const std::string& what) {
      // Said once per new problem, not once per attempt.
      if (what != last_problem) context_.log(LogLevel::error, what);
      last_problem = what;
      pause_for(backoff);
      backoff = std::min(backoff * 2, s_.connection.max_reconnect_wait);
    };
    while (running_) {
      std::string error;
      NatsConnection* nats = connection(error);
      if (!nats) {
        problem(error);
        continue;
      }
      if (!lane.pull && !prepare(*nats, lane, error)) {
        problem(error);
        continue;
      }
      if (!last_problem.empty()) {
        context_.log(LogLevel::info, "consuming stream " + s_.stream.name + " as " + lane.consumer.durable + " again");
        last_problem.clear();
        backoff = s_.connection.reconnect_wait;
      }
      auto batch = lane.pull->fetch(lane.batch, s_.fetch_wait, error);
      if (!error.empty()) {
        // Disconnected (nats.c reconnects by itself) or the consumer is gone
        // (bind again, which recreates it with create: true).
        if (!nats->connected()) {
          pause_for(std::chrono::milliseconds(200));
        } else {
          lane.pull.reset();
          {
            std::lock_guard lock(connection_mutex_);
            stream_ready_ = false;  // the stream may be gone too: create it again
          }
          problem("stream " + s_.stream.name + ": " + error);
        }
        continue;
      }
      if (!batch.empty()) handle(lane, *nats, batch);
    }
  }

  Message to_message(JetStreamMessage& m) const {
    Message message;
    message.content = m.data();
    message.data_type = s_.data_type;
    message.attributes.emplace_back("subject", m.subject());
    message.attributes.emplace_back("stream", m.stream());
    message.attributes.emplace_back("stream_sequence", std::to_string(m.stream_sequence()));
    message.attributes.emplace_back("deliveries", std::to_string(m.deliveries()));
    if (auto id = m.header("Nats-Msg-Id")) message.attributes.emplace_back("msg_id", *id);
    return message;
  }

  // Submits the batch, then acknowledges each message as its answer comes
  // back, on this thread (an ack is network I/O: never on the engine's). A
  // batch still waiting after a third of ack_wait tells the server it is in
  // progress, so a slow commit does not make it redeliver.
  void handle(const Lane& lane, NatsConnection& nats, std::vector<std::unique_ptr<JetStreamMessage>>& batch) {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Answer> answers;
    std::vector<bool> recorded_failed(batch.size(), false);
    const int max_deliver = lane.consumer.max_deliver;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& m = *batch[i];
      context_.metrics().add_request();
      context_.metrics().add_bytes_in(m.data().size());
      auto done = [&mutex, &cv, &answers, i](Disposition d) {
        std::lock_guard lock(mutex);
        answers.push_back({i, std::move(d)});
        cv.notify_one();
      };
      const bool last_delivery = max_deliver > 1 && m.deliveries() >= static_cast<std::uint64_t>(max_deliver);
      if (last_delivery && failed_host_) {
        recorded_failed[i] = true;
        failed_host_->submit_failed(to_message(m),
                             "delivered " + std::to_string(m.deliveries()) + " times by stream " + m.stream() +
                                 " (sequence " + std::to_string(m.stream_sequence()) +
                                 ") without being stored; recorded without processing (max_deliver " +
                                 std::to_string(max_deliver) + ")",
                             done);
      } else {
        host_->submit(to_message(m), done);
      }
    }
    std::vector<bool> answered(batch.size(), false);
    std::size_t left = batch.size();
    const auto keep_alive = std::max(lane.consumer.ack_wait / 3, std::chrono::milliseconds(100));
    while (left > 0) {
      std::deque<Answer> ready;
      {
        std::unique_lock lock(mutex);
        if (!cv.wait_for(lock, keep_alive, [&] { return !answers.empty(); })) {
          lock.unlock();
          for (std::size_t i = 0; i < batch.size(); ++i)
            if (!answered[i]) batch[i]->in_progress();
          continue;
        }
        ready.swap(answers);
      }
      for (auto& [i, d] : ready) {
        answered[i] = true;
        --left;
        settle(*batch[i], d, recorded_failed[i]);
      }
    }
    std::string error;
    if (!nats.flush(s_.connection.request_timeout, error))
      context_.log(LogLevel::warn, error + " (acknowledgements may be lost: the server redelivers)");
  }

  void settle(JetStreamMessage& m, const Disposition& d, bool recorded_failed) {
    std::string problem;
    if (d.status == Disposition::Status::unavailable) {
      // Not stored: NATS keeps it; redeliver later, sooner for a first failure.
      const auto delay = nak_delay_for(s_, m.deliveries());
      context_.log(LogLevel::warn, "message " + std::to_string(m.stream_sequence()) + " of " + m.stream() +
                                       " not stored (" + d.error + "); redelivery in " +
                                       std::to_string(delay.count()) + " ms");
      context_.metrics().add_error(ConnectorError::io);
      problem = m.nak(delay);
    } else if (recorded_failed) {
      context_.log(LogLevel::warn, "message " + std::to_string(m.stream_sequence()) + " of " + m.stream() +
                                       " recorded as ERROR (message " + std::to_string(d.message_id) +
                                       ") after " + std::to_string(m.deliveries()) + " deliveries; terminated");
      problem = m.term();
    } else {
      problem = m.ack();
    }
    if (!problem.empty())
      context_.log(LogLevel::warn, "message " + std::to_string(m.stream_sequence()) + ": " + problem +
                                       " (the server redelivers it after ack_wait)");
  }

  SourceSettings s_;
  ConnectorContext& context_;
  SourceHost* host_ = nullptr;
  // Null on an engine without it: the last delivery is then processed like the others.
  FailedMessageHost* failed_host_ = nullptr;
  std::mutex connection_mutex_;  // guards connection_ (opened late by a lane) and stream_ready_
  std::unique_ptr<NatsConnection> connection_;
  bool stream_ready_ = false;  // create: the stream was created or updated by this source
  std::vector<Lane> lanes_;    // sized once, in the constructor: the threads hold references
  std::atomic<bool> running_{false};
};

}  // namespace

std::unique_ptr<Source> create_nats_source(const ConnectorOptions& options, ConnectorContext& context,
                                           std::string& error) {
  auto settings = read_source_settings(options, context.base_dir().string(), context.channel(), error);
  if (!settings) return nullptr;
  return std::make_unique<NatsSource>(std::move(*settings), context);
}

}  // namespace artery::nats
