// A channel's `consent:` option at run time: reads the patient (and the
// message time) out of a message, looks up the patient's Consents
// (ConsentLookup, cached) and evaluates them (decide). The runtime asks it
// once per message that passed the channel script.
#pragma once
#include "config/consent_config.hpp"
#include "consent/consent_decision.hpp"
#include "consent/consent_lookup.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace artery::consent {

struct ConsentVerdict {
  bool share = false;
  bool lookup_failed = false;  // the answer is on_error's
  std::string reason;
};

class ConsentFilter {
 public:
  explicit ConsentFilter(ConsentFilterConfig config);

  ConsentVerdict check(std::string_view content, std::string_view data_type, std::int64_t received_ms);

  const ConsentFilterConfig& config() const { return config_; }
  std::uint64_t requests() const { return lookup_.requests(); }

 private:
  ConsentFilterConfig config_;
  ConsentLookup lookup_;
};

// The ConsentServer a filter's options describe.
ConsentServer server_of(const ConsentFilterConfig& config);

}  // namespace artery::consent
