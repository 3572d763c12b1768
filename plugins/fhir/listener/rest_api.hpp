// The FHIR R4 REST interactions of the listener, on the engine's HttpRouter:
// metadata, create (also conditional), update (also conditional and
// create-on-update), read, vread, instance history, delete, search, and
// transaction/batch Bundles at the base.
//
// A write is planned (id, version, meta, search rows) under the WriteLocks
// scope it needs, submitted to the channel as one message, and answered from
// the submit's `done` callback once the repository has committed it, so no
// handler thread waits for the channel.
#pragma once
#include "listener/authorization.hpp"
#include "listener/repository.hpp"
#include "listener/write_locks.hpp"

#include <artery/http_router.hpp>
#include <artery/plugin.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::json {
class object;
class value;
}  // namespace boost::json

namespace artery::fhir {

struct RestSettings {
  std::string base_path = "/fhir";
  std::vector<std::string> resource_types;  // empty: every R4 type
  std::int64_t page_size = 50;
  std::int64_t max_page_size = 500;
  bool tls = false;
};

// An answer decided while planning (an error, or a conditional create that
// found its resource): thrown, answered, nothing submitted.
struct RestAnswer {
  HttpResponse response;
};

class FhirRestApi {
 public:
  // `repository` null: writes enter the channel but nothing is kept.
  FhirRestApi(RestSettings settings, Repository* repository, const Authorization& authorization,
              ConnectorContext& context);
  void add_routes(HttpRouter& router);
  void set_host(SourceHost* host) { host_.store(host); }
  // Loads a Bundle into the repository directly (no channel messages): at first start.
  std::size_t seed(const std::string& bundle_json);

  struct Plan;  // defined in rest_api.cpp

 private:
  friend struct BundleInteractions;
  using Handler = std::function<void(HttpRequest, HttpResponder)>;

  // Handlers.
  void metadata(const HttpRequest& request, const HttpResponder& responder);
  void create(HttpRequest request, HttpResponder responder);
  void update(HttpRequest request, HttpResponder responder);
  void conditional_update(HttpRequest request, HttpResponder responder);
  void remove(HttpRequest request, HttpResponder responder);
  // One new version of one resource: the write, the message the channel gets
  // and the answer once committed (create, update and conditional update
  // differ only in these arguments).
  Plan plan_version(boost::json::object body, const std::string& id, std::int64_t version,
                    const std::string& interaction, int status, std::shared_ptr<HttpRequest> request,
                    const std::string& base);
  void read(const HttpRequest& request, const HttpResponder& responder);
  void vread(const HttpRequest& request, const HttpResponder& responder);
  void history(const HttpRequest& request, const HttpResponder& responder);
  void search(const HttpRequest& request, const HttpResponder& responder, bool form_body);
  void bundle(HttpRequest request, HttpResponder responder);

  // Runs `planner` under `scope` (none: plain creates), submits its message
  // and answers once committed.
  void run_write(const HttpRequest& request, HttpResponder responder, std::optional<WriteScope> scope,
                 std::function<Plan()> planner);

  // Checks shared by every interaction: type known, JSON acceptable,
  // authorized; throws RestAnswer.
  void check_type(const std::string& type) const;
  Authorization::Caller authorize(const HttpRequest& request, const std::string& type, Access access) const;
  std::string base_url(const HttpRequest& request) const;
  bool allowed_type(const std::string& type) const;

 public:
  // Shared with the Bundle interactions (bundle_interactions.cpp).
  std::int64_t now_ms();
  PlannedWrite make_version(boost::json::object resource, const std::string& id, std::int64_t version,
                            std::int64_t at_ms) const;
  std::vector<std::string> conditional_matches(const std::string& type, const std::string& query) const;
  Repository* repository() const { return repository_; }
  const RestSettings& settings() const { return settings_; }
  const Authorization& authorization() const { return authorization_; }

 private:
  RestSettings settings_;
  Repository* repository_;
  const Authorization& authorization_;
  ConnectorContext& context_;
  std::atomic<SourceHost*> host_{nullptr};
  WriteLocks locks_;
  std::atomic<std::int64_t> last_ms_{0};
  std::string capability_json_;
};

// A time-ordered UUID (version 7: milliseconds, a sequence, 62 random
// bits): resource ids and Bundle ids. Time-ordered rather than random
// (version 4) so that new resources go to the end of each B-tree keyed by
// id instead of a random page each: a batch of 8 creates wrote ~8 pages
// per tree, now ~1.
std::string new_uuid();

}  // namespace artery::fhir
