// The `fhir` source in mode poll: every `interval`, search the server
// (`search`, with ${type} and ${mark}), follow Bundle.link[next], and hand
// each entry's resource to the channel as a json message with fhir.*
// attributes.
//
// The high-water mark (the newest meta.lastUpdated handed over, with the ids
// handed over at exactly that instant) goes to the connector's state with
// state_put after each message's answer from the channel, one at a time, so
// a restart resumes right after the last stored message: no resource is
// handed over twice (those at the mark are recognised by id) and none is
// skipped. The search must return resources oldest first (the default sorts
// by _lastUpdated). The one gap a kill -9 can open is between the channel
// storing a message and state_put recording it: that one message comes
// again after the restart.
//
// A message the channel could not store (unavailable) ends the poll there:
// the next poll asks again from the mark. stop() cuts a request in progress
// and returns once the message being handed over has its answer.
#pragma once
#include "client/authorized_client.hpp"
#include "client/client_settings.hpp"

#include <artery/plugin.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace artery::fhir {

struct PollSettings {
  ClientSettings client;
  std::string resource_type;
  std::string search;
  std::chrono::milliseconds interval{30'000};
  std::string initial_mark;
};

PollSettings read_poll_settings(const ConnectorOptions& options, const std::filesystem::path& base_dir);

// Where the last poll got to, as kept in the connector's state.
struct PollMark {
  std::string instant;        // meta.lastUpdated as the server wrote it; "" = from the start
  std::set<std::string> ids;  // "Type/id" handed over with lastUpdated == instant
  static PollMark parse(const std::string& json);
  std::string json() const;
};

// The first page's URL: `search` relative to the base with ${type} and
// ${mark} filled in; with no mark, the query parameters naming ${mark} are dropped.
std::string first_page_url(const PollSettings& settings, const std::string& mark);

class FhirPollSource final : public Source {
 public:
  FhirPollSource(PollSettings settings, ConnectorContext& context);
  ~FhirPollSource() override;
  bool start(SourceHost& host, std::string& error) override;
  void stop() override;

 private:
  void run();
  void poll();
  // Hands one resource over and waits for the answer; false when it was not stored.
  bool hand_over(const std::string& content, const std::string& type, const std::string& id,
                 const std::string& version, const std::string& last_updated);
  bool stopping();

  PollSettings settings_;
  ConnectorContext& context_;
  AuthorizedClient client_;
  SourceHost* host_ = nullptr;
  PollMark mark_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace artery::fhir
