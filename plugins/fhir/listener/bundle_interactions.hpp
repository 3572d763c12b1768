// transaction and batch Bundles POSTed to the base. A transaction is all or
// nothing: every entry is resolved (ifNoneExist, conditional PUT
// [type]?search, If-Match) before anything is submitted, urn:uuid fullUrls
// get their server ids and every reference to them is rewritten, and its
// writes commit in one SQLite transaction. A batch resolves each entry on
// its own; a failed entry gets its error in the response, the others go on.
// GET entries read what was committed before the Bundle.
#pragma once
#include "listener/repository.hpp"

#include <memory>
#include <string>
#include <vector>

namespace artery::fhir {

class FhirRestApi;

struct BundleRequest {
  bool transaction = true;
  std::shared_ptr<void> bundle;  // the parsed Bundle (boost::json::object), kept out of this header
};

struct BundleOutcome {
  std::string bundle_id;
  std::vector<PlannedWrite> writes;
  std::string message_bundle;   // what enters the channel: the Bundle with ids, meta and rewritten references
  std::string response_bundle;  // transaction-response / batch-response
};

// Checks that need no repository (shape, types, scopes); throws RestAnswer.
BundleRequest prepare_bundle(FhirRestApi& api, boost::json::object bundle, const std::vector<std::string>& scopes);
// Under the write lock: resolves and plans every entry; throws RestAnswer for a failed transaction.
BundleOutcome plan_bundle(FhirRestApi& api, const BundleRequest& request, const std::string& base_url);

}  // namespace artery::fhir
