// The FHIR listener's REST API (plugins/fhir/listener/rest_api) on its own
// router, as the fhir source builds it, without a socket: no authorization,
// and a channel that accepts every message at once. With a repository file
// the reads and searches run on real SQLite; without one writes are planned
// (parsed, checked, indexed) and answered but not kept.
#pragma once
#include "fuzz_connector_context.hpp"
#include "routed_request.hpp"

#include "listener/authorization.hpp"
#include "listener/repository.hpp"
#include "listener/rest_api.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace artery::fuzz {

class AcceptingChannel final : public SourceHost {
 public:
  void submit(Message, std::function<void(Disposition)> done) override { done(Disposition{}); }
};

class FhirListenerUnderTest {
 public:
  // `repository_file` empty: no repository.
  explicit FhirListenerUnderTest(const std::filesystem::path& repository_file = {})
      : authorization_(fhir::AuthorizationSettings{}) {
    if (!repository_file.empty()) repository_ = std::make_unique<fhir::Repository>(repository_file);
    api_ = std::make_unique<fhir::FhirRestApi>(fhir::RestSettings{}, repository_.get(), authorization_, context_);
    api_->add_routes(router_);
    api_->set_host(&channel_);
  }
  ~FhirListenerUnderTest() { api_->set_host(nullptr); }

  fhir::FhirRestApi& api() { return *api_; }

  // nullopt: answered by the server itself (no such route, bad escape).
  std::optional<HttpResponse> call(std::string method, std::string target, std::string body = {}) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.peer_address = "127.0.0.1";
    if (!body.empty()) request.headers.set("Content-Type", "application/fhir+json");
    request.body = std::move(body);
    return route(router_, std::move(request));
  }

 private:
  FuzzConnectorContext context_;
  fhir::Authorization authorization_;
  std::unique_ptr<fhir::Repository> repository_;
  AcceptingChannel channel_;
  std::unique_ptr<fhir::FhirRestApi> api_;
  HttpRouter router_;
};

}  // namespace artery::fuzz
