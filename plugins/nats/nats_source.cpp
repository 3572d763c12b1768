#include "nats_source.hpp"

#include "nats_connection.hpp"
#include "pull_consumer.hpp"

#include <artery/failed_message_host.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace artery::nats {

std::chrono::milliseconds nak_delay_for(const SourceSettings& settings, std::uint64_t deliveries) {
  const int shift = static_cast<int>(std::min<std::uint64_t>(deliveries > 0 ? deliveries - 1 : 0, 20));
  return std::min(settings.nak_delay * (std::int64_t{1} << shift), settings.max_nak_delay);
}

namespace {

class NatsSource final : public Source {
 public:
  NatsSource(SourceSettings settings, ConnectorContext& context) : s_(std::move(settings)), context_(context) {}
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
    if (connection_ && !prepare(error)) {
      connection_.reset();
      return false;
    }
    if (!connection_) {
      // NATS may come up after the engine: keep trying in the background.
      context_.log(LogLevel::warn, error + "; retrying");
      error.clear();
    } else {
      context_.log(LogLevel::info, "consuming stream " + s_.stream.name + " as " + s_.consumer.durable + " on " +
                                       connection_->connected_url());
    }
    running_ = true;
    thread_ = std::thread([this] { run(); });
    return true;
  }

  void stop() override {
    running_ = false;
    if (thread_.joinable()) thread_.join();
    consumer_.reset();
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

  // The stream and the consumer (created, or checked to exist), and the pull subscription.
  bool prepare(std::string& error) {
    if (s_.create) {
      if (!ensure_stream(*connection_, s_.stream, error)) return false;
      if (!ensure_consumer(*connection_, s_.stream.name, s_.consumer, error)) return false;
    } else if (!consumer_exists(*connection_, s_.stream.name, s_.consumer.durable, error)) {
      return false;
    }
    // The server enforces the consumer's own max_deliver and ack_wait: use
    // those (a consumer made by someone else may differ from our options).
    ConsumerState state;
    if (!read_consumer_state(*connection_, s_.stream.name, s_.consumer.durable, state, error)) return false;
    s_.consumer.max_deliver = state.max_deliver;
    if (state.ack_wait.count() > 0) s_.consumer.ack_wait = state.ack_wait;
    consumer_ = PullConsumer::bind(*connection_, s_.stream.name, s_.consumer.durable, error);
    return consumer_ != nullptr;
  }

  // Sleeps up to `wait` in small steps; false when stopping.
  bool pause_for(std::chrono::milliseconds wait) {
    const auto until = std::chrono::steady_clock::now() + wait;
    while (running_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return running_;
  }

  void run() {
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
      if (!connection_) {
        connection_ = NatsConnection::open(s_.connection, event_log(), error);
        if (!connection_) {
          problem(error);
          continue;
        }
      }
      if (!consumer_ && !prepare(error)) {
        problem(error);
        continue;
      }
      if (!last_problem.empty()) {
        context_.log(LogLevel::info, "consuming stream " + s_.stream.name + " as " + s_.consumer.durable + " again");
        last_problem.clear();
        backoff = s_.connection.reconnect_wait;
      }
      auto batch = consumer_->fetch(s_.batch, s_.fetch_wait, error);
      if (!error.empty()) {
        // Disconnected (nats.c reconnects by itself) or the consumer is gone
        // (bind again, which recreates it with create: true).
        if (!connection_->connected()) {
          pause_for(std::chrono::milliseconds(200));
        } else {
          consumer_.reset();
          problem("stream " + s_.stream.name + ": " + error);
        }
        continue;
      }
      if (!batch.empty()) handle(batch);
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
  void handle(std::vector<std::unique_ptr<JetStreamMessage>>& batch) {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Answer> answers;
    std::vector<bool> recorded_failed(batch.size(), false);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& m = *batch[i];
      context_.metrics().add_request();
      context_.metrics().add_bytes_in(m.data().size());
      auto done = [&mutex, &cv, &answers, i](Disposition d) {
        std::lock_guard lock(mutex);
        answers.push_back({i, std::move(d)});
        cv.notify_one();
      };
      const bool last_delivery = s_.consumer.max_deliver > 1 &&
                                 m.deliveries() >= static_cast<std::uint64_t>(s_.consumer.max_deliver);
      if (last_delivery && failed_host_) {
        recorded_failed[i] = true;
        failed_host_->submit_failed(to_message(m),
                             "delivered " + std::to_string(m.deliveries()) + " times by stream " + m.stream() +
                                 " (sequence " + std::to_string(m.stream_sequence()) +
                                 ") without being stored; recorded without processing (max_deliver " +
                                 std::to_string(s_.consumer.max_deliver) + ")",
                             done);
      } else {
        host_->submit(to_message(m), done);
      }
    }
    std::vector<bool> answered(batch.size(), false);
    std::size_t left = batch.size();
    const auto keep_alive = std::max(s_.consumer.ack_wait / 3, std::chrono::milliseconds(100));
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
    if (!connection_->flush(s_.connection.request_timeout, error))
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
  std::unique_ptr<NatsConnection> connection_;  // touched by start(), then only by the thread, then stop()
  std::unique_ptr<PullConsumer> consumer_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Source> create_nats_source(const ConnectorOptions& options, ConnectorContext& context,
                                           std::string& error) {
  auto settings = read_source_settings(options, context.base_dir().string(), context.channel(), error);
  if (!settings) return nullptr;
  return std::make_unique<NatsSource>(std::move(*settings), context);
}

}  // namespace artery::nats
