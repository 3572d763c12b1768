// What scripts' consent.permits{server = ...} reaches: the FHIR listener
// channels by name (recorded when channel files are loaded, so a script can
// say server = "ehr-fhir" as a channel's `consent:` can), and one shared,
// cached ConsentLookup per server and credentials, so every script state of
// the engine shares one cache.
#pragma once
#include "consent/consent_lookup.hpp"

#include <memory>
#include <optional>
#include <string>

namespace artery::consent {

void remember_local_listener(const std::string& channel, const std::string& base_url);
std::optional<std::string> local_listener_url(const std::string& channel);

std::shared_ptr<ConsentLookup> shared_lookup(const ConsentServer& server, std::chrono::milliseconds ttl);

}  // namespace artery::consent
