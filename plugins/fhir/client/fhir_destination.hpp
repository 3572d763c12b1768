// The `fhir` destination: each message's resource or Bundle sent to a FHIR
// server — created (POST [type]), updated (PUT [type]/[id]), conditionally
// created (If-None-Exist), or POSTed to the base as a transaction or batch.
//
// Outcomes: 2xx is sent, with SendResult.response =
// {"status","location","id","version","body"}; 408, 429, 5xx, no answer,
// TLS failures and a token endpoint that refuses are retry; a 401 after a
// fresh token is retry; any other 4xx is rejected with the
// OperationOutcome's text. Retry-After on a 429/5xx is honoured inside the
// send: the destination waits that long (stop() cuts the wait) and asks
// again, as long as its waits for one send stay within kRetryAfterBudget;
// a longer Retry-After ends the send as retry, to the channel's backoff.
#pragma once
#include "client/authorized_client.hpp"
#include "client/client_settings.hpp"

#include <artery/plugin.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace artery::fhir {

struct DestinationSettings {
  ClientSettings client;
  enum class Interaction { automatic, create, update, conditional_create, transaction, batch };
  Interaction interaction = Interaction::automatic;
  std::string if_none_exist;  // ${var} template
};

DestinationSettings read_destination_settings(const ConnectorOptions& options, const std::filesystem::path& base_dir);

class FhirDestination final : public Destination {
 public:
  static constexpr std::chrono::seconds kRetryAfterBudget{120};

  FhirDestination(DestinationSettings settings, ConnectorContext& context);
  bool start(std::string& error) override;
  void stop() override;
  void send(OutboundMessage message, std::function<void(SendResult)> done) override;

 private:
  SendResult deliver(const OutboundMessage& message);
  // False when stop() cut the wait.
  bool wait(std::chrono::seconds delay);

  DestinationSettings settings_;
  ConnectorContext& context_;
  AuthorizedClient client_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace artery::fhir
