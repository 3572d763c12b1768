// An in-memory connector plugin ("memory") for runtime tests, compiled into the
// test binary and registered with PluginRegistry::add_builtin. A channel's
// `id:` option names an endpoint the test holds: the source endpoint injects
// messages and collects dispositions; the destination endpoint records every
// send attempt and answers them as the test scripts it.
#pragma once
#include <artery/plugin.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace artery::testing {

// The descriptor to register: registry.add_builtin(memory_plugin_descriptor()).
const PluginDescriptor* memory_plugin_descriptor();

// A fresh endpoint id, so tests never share endpoints.
std::string unique_memory_id(const std::string& prefix);

class MemorySourceEndpoint {
 public:
  // Submits as a connector would. The future is set when the channel answers.
  std::shared_future<Disposition> submit(std::string content, std::string data_type = {});
  // Runs inside every disposition callback, on the engine thread that answers.
  void on_disposition(std::function<void(const Disposition&)> check);
  bool started() const;
  std::size_t answered() const;
  std::vector<Disposition> dispositions() const;  // in answer order

  // Used by the plugin.
  void attach(SourceHost* host);
  void detach(const SourceHost* host);  // only when `host` is the one attached

 private:
  mutable std::shared_mutex attach_mutex_;
  SourceHost* host_ = nullptr;  // guarded by attach_mutex_
  mutable std::mutex mutex_;
  std::function<void(const Disposition&)> check_;
  std::vector<Disposition> dispositions_;
};

class MemoryDestinationEndpoint {
 public:
  struct Attempt {
    OutboundMessage message;
    std::chrono::steady_clock::time_point at;
  };
  using Responder = std::function<SendResult(const OutboundMessage&)>;

  // Outcomes consumed one per attempt, before the responder is asked.
  void queue_outcomes(std::vector<SendResult> outcomes);
  // Answers attempts once the queued outcomes are used up. Default: sent, response "ok".
  void respond_with(Responder responder);
  // While held, a send stays in flight until release() or the connector's stop().
  void hold(bool on);
  void release(SendResult result);
  bool in_flight() const;

  std::vector<Attempt> attempts() const;
  std::size_t attempt_count() const;
  std::vector<OutboundMessage> delivered() const;  // answered `sent`, in order
  std::size_t delivered_count() const;
  int stop_calls() const;

  // Used by the plugin.
  void send(OutboundMessage message, std::function<void(SendResult)> done);
  void stop();

 private:
  mutable std::mutex mutex_;
  std::deque<SendResult> outcomes_;
  Responder responder_;
  bool hold_ = false;
  std::function<void(SendResult)> held_;
  OutboundMessage held_message_;
  std::vector<Attempt> attempts_;
  std::vector<OutboundMessage> delivered_;
  int stop_calls_ = 0;
};

std::shared_ptr<MemorySourceEndpoint> memory_source(const std::string& id);
std::shared_ptr<MemoryDestinationEndpoint> memory_destination(const std::string& id);

}  // namespace artery::testing
