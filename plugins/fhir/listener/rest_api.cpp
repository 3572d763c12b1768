#include "listener/rest_api.hpp"

#include "listener/bundle_interactions.hpp"
#include "listener/capability_statement.hpp"
#include "listener/fhir_http.hpp"
#include "listener/fhir_instant.hpp"
#include "listener/resource_types.hpp"
#include "listener/search_query.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>

namespace artery::fhir {
namespace json = boost::json;

struct FhirRestApi::Plan {
  std::vector<PlannedWrite> writes;
  Message message;
  std::function<HttpResponse()> answer;  // once committed
};

std::string new_uuid() {
  thread_local std::mt19937_64 random{std::random_device{}() ^
                                      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())};
  // 48 bits of Unix milliseconds and a 12-bit sequence (RFC 9562, method 1),
  // never going back even if the clock does.
  static std::atomic<std::uint64_t> last{0};
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  std::uint64_t stamp = last.load(), next = 0;
  do {
    next = std::max<std::uint64_t>(stamp + 1, (ms & 0xFFFFFFFFFFFFULL) << 12);
  } while (!last.compare_exchange_weak(stamp, next));
  const std::uint64_t a = ((next >> 12) << 16) | 0x7000ULL | (next & 0x0FFFULL);
  const std::uint64_t b = (random() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return out;
}

namespace {

json::object parse_resource(const std::string& body) {
  if (body.empty()) throw RestAnswer{outcome_response(400, "the request has no body (a FHIR resource in JSON)")};
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) throw RestAnswer{outcome_response(400, "malformed JSON: " + ec.message(), "structure")};
  if (!v.is_object()) throw RestAnswer{outcome_response(400, "the body is not a JSON object", "structure")};
  auto& o = v.as_object();
  auto it = o.find("resourceType");
  if (it == o.end() || !it->value().is_string())
    throw RestAnswer{outcome_response(400, "the body has no resourceType", "structure")};
  return std::move(o);
}

std::string type_of(const json::object& o) { return std::string(o.at("resourceType").get_string()); }

std::string string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  return true;
}

std::string http_date(std::int64_t ms) {
  std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buffer;
}

void version_headers(HttpResponse& r, const StoredVersion& v) {
  r.headers.set("ETag", etag(v.version));
  r.headers.set("Last-Modified", http_date(v.last_updated_ms));
}

// Prefer: return=minimal | representation | OperationOutcome
HttpResponse write_answer(int status, const HttpRequest& request, const StoredVersion& v, const std::string& location) {
  const std::string prefer = request.headers.get("Prefer");
  HttpResponse r;
  if (prefer.find("return=minimal") != std::string::npos) {
    r = fhir_response(status, "");
  } else if (prefer.find("return=OperationOutcome") != std::string::npos) {
    r = fhir_response(status, operation_outcome_json("information", "informational",
                                                     v.type + "/" + v.id + " version " + std::to_string(v.version)));
  } else {
    r = fhir_response(status, v.json);
  }
  version_headers(r, v);
  r.headers.set(status == 201 ? "Location" : "Content-Location", location);
  return r;
}

const char* status_name(Disposition::Status s) {
  switch (s) {
    case Disposition::Status::accepted: return "accepted";
    case Disposition::Status::filtered: return "filtered";
    case Disposition::Status::errored: return "errored";
    case Disposition::Status::rejected: return "rejected";
    case Disposition::Status::unavailable: return "unavailable";
  }
  return "errored";
}

std::string first_line(const std::string& text) {
  auto nl = text.find('\n');
  return nl == std::string::npos ? text : text.substr(0, nl);
}

// The channel's own OperationOutcome (Disposition.response) replaces our body.
void channel_body(HttpResponse& r, const Disposition& d) {
  if (d.response.empty()) return;
  boost::system::error_code ec;
  json::value v = json::parse(d.response, ec);
  if (!ec && v.is_object() && string_field(v.as_object(), "resourceType") == "OperationOutcome") {
    r.body = d.response;
    r.headers.set("Content-Type", kFhirJson);
  }
}

HttpResponse refusal_for(const Disposition& d) {
  HttpResponse r;
  switch (d.status) {
    case Disposition::Status::filtered:
      r = outcome_response(422, "refused by the channel's filter", "business-rule");
      break;
    case Disposition::Status::errored:
      r = outcome_response(500, first_line(d.error.empty() ? "the channel failed" : d.error), "exception");
      break;
    case Disposition::Status::rejected:
      r = outcome_response(400, first_line(d.error.empty() ? "rejected by the channel" : d.error), "invalid");
      break;
    case Disposition::Status::unavailable:
      r = outcome_response(503, first_line(d.error.empty() ? "the channel cannot take messages now" : d.error),
                           "transient");
      r.headers.set("Retry-After", "5");
      break;
    case Disposition::Status::accepted:
      break;
  }
  channel_body(r, d);
  return r;
}

}  // namespace

FhirRestApi::FhirRestApi(RestSettings settings, Repository* repository, const Authorization& authorization,
                         ConnectorContext& context)
    : settings_(std::move(settings)), repository_(repository), authorization_(authorization), context_(context) {
  capability_json_ = capability_statement_json(settings_.resource_types.empty() ? r4_resource_types()
                                                                                : settings_.resource_types,
                                               repository_ != nullptr, authorization_.enabled());
}

std::int64_t FhirRestApi::now_ms() {
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  // Never backwards, so _lastUpdated marks only move forward.
  std::int64_t last = last_ms_.load();
  while (true) {
    std::int64_t next = std::max(now, last);
    if (last_ms_.compare_exchange_weak(last, next)) return next;
  }
}

bool FhirRestApi::allowed_type(const std::string& type) const {
  if (settings_.resource_types.empty()) return is_r4_resource_type(type);
  return std::find(settings_.resource_types.begin(), settings_.resource_types.end(), type) !=
         settings_.resource_types.end();
}

void FhirRestApi::check_type(const std::string& type) const {
  if (!allowed_type(type))
    throw RestAnswer{outcome_response(404, is_r4_resource_type(type)
                                               ? "resource type " + type + " is not served here (see /metadata)"
                                               : "unknown resource type " + type, "not-supported")};
}

Authorization::Caller FhirRestApi::authorize(const HttpRequest& request, const std::string& type, Access access) const {
  HttpResponse refusal;
  auto caller = authorization_.authenticate(request, refusal);
  if (!caller) throw RestAnswer{std::move(refusal)};
  if (!Authorization::allows(caller->scopes, type, access)) throw RestAnswer{insufficient_scope(type, access)};
  return *caller;
}

std::string FhirRestApi::base_url(const HttpRequest& request) const {
  std::string host = request.headers.get("Host", "localhost");
  return std::string(request.tls || settings_.tls ? "https://" : "http://") + host + settings_.base_path;
}

PlannedWrite FhirRestApi::make_version(json::object resource, const std::string& id, std::int64_t version,
                                       std::int64_t at_ms) const {
  json::object out;
  out["resourceType"] = resource["resourceType"];
  out["id"] = id;
  json::object meta;
  if (auto it = resource.find("meta"); it != resource.end() && it->value().is_object()) meta = it->value().as_object();
  meta["versionId"] = std::to_string(version);
  meta["lastUpdated"] = format_instant(at_ms);
  out["meta"] = std::move(meta);
  for (auto& [key, value] : resource) {
    if (key == "resourceType" || key == "id" || key == "meta") continue;
    out[key] = std::move(value);
  }
  PlannedWrite w;
  w.version.type = type_of(out);
  w.version.id = id;
  w.version.version = version;
  w.version.last_updated_ms = at_ms;
  w.rows = index_rows(out);
  w.version.json = json::serialize(out);
  return w;
}

std::vector<std::string> FhirRestApi::conditional_matches(const std::string& type, const std::string& query) const {
  if (!repository_) throw RestAnswer{outcome_response(400, "conditional interactions need repository: true")};
  std::string q = query;
  if (auto mark = q.find('?'); mark != std::string::npos) q = q.substr(mark + 1);
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t start = 0;
  while (start < q.size()) {
    auto amp = q.find('&', start);
    std::string pair = q.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string::npos ? "" : pair.substr(eq + 1), true);
    if (!key || !value) throw RestAnswer{outcome_response(400, "bad escape in the conditional search: " + query)};
    if (!key->empty()) params.emplace_back(*key, *value);
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  if (params.empty()) throw RestAnswer{outcome_response(400, "a conditional interaction needs search parameters")};
  try {
    return repository_->match_ids(parse_search(type, params, 2, 2, *repository_->terms()), 2);
  } catch (const SearchError& e) {
    throw RestAnswer{outcome_response(400, e.what())};
  }
}

void FhirRestApi::add_routes(HttpRouter& router) {
  const std::string b = settings_.base_path == "/" ? "" : settings_.base_path;
  auto guard = [](auto body) {
    return [body](HttpRequest request, HttpResponder responder) {
      try {
        if (auto refusal = refuse_unacceptable(request)) return responder.respond(std::move(*refusal));
        body(std::move(request), responder);
      } catch (const RestAnswer& a) {
        responder.respond(a.response);
      } catch (const std::exception& e) {
        responder.respond(outcome_response(500, e.what(), "exception"));
      }
    };
  };
  router.add_async("GET", b + "/metadata", guard([this](HttpRequest r, HttpResponder s) { metadata(r, s); }));
  router.add_async("POST", b.empty() ? "/" : b, guard([this](HttpRequest r, HttpResponder s) { bundle(std::move(r), s); }));
  router.add_async("GET", b + "/{type}", guard([this](HttpRequest r, HttpResponder s) { search(r, s, false); }));
  router.add_async("POST", b + "/{type}/_search", guard([this](HttpRequest r, HttpResponder s) { search(r, s, true); }));
  router.add_async("POST", b + "/{type}", guard([this](HttpRequest r, HttpResponder s) { create(std::move(r), s); }));
  router.add_async("PUT", b + "/{type}",
                   guard([this](HttpRequest r, HttpResponder s) { conditional_update(std::move(r), s); }));
  router.add_async("GET", b + "/{type}/{id}", guard([this](HttpRequest r, HttpResponder s) { read(r, s); }));
  router.add_async("PUT", b + "/{type}/{id}", guard([this](HttpRequest r, HttpResponder s) { update(std::move(r), s); }));
  router.add_async("DELETE", b + "/{type}/{id}",
                   guard([this](HttpRequest r, HttpResponder s) { remove(std::move(r), s); }));
  router.add_async("GET", b + "/{type}/{id}/_history", guard([this](HttpRequest r, HttpResponder s) { history(r, s); }));
  router.add_async("GET", b + "/{type}/{id}/_history/{vid}",
                   guard([this](HttpRequest r, HttpResponder s) { vread(r, s); }));
}

void FhirRestApi::metadata(const HttpRequest&, const HttpResponder& responder) {
  responder.respond(fhir_response(200, capability_json_));
}

void FhirRestApi::run_write(const HttpRequest& request, HttpResponder responder, std::optional<WriteScope> scope,
                            std::function<Plan()> planner) {
  const std::string remote = request.peer_address;
  auto go = [this, responder, planner = std::move(planner), remote, scoped = scope.has_value()](WriteLocks::Ticket t) {
    auto release = [this, scoped, t] {
      if (scoped) locks_.release(t);
    };
    Plan plan;
    try {
      plan = planner();
    } catch (const RestAnswer& a) {
      responder.respond(a.response);
      return release();
    } catch (const std::exception& e) {
      responder.respond(outcome_response(500, e.what(), "exception"));
      return release();
    }
    SourceHost* host = host_.load();
    if (!host) {
      auto r = outcome_response(503, "the listener is stopping", "transient");
      r.headers.set("Retry-After", "5");
      responder.respond(std::move(r));
      return release();
    }
    plan.message.attributes.emplace_back("remote_address", remote);
    plan.message.data_type = data_type::json;
    auto shared = std::make_shared<Plan>(std::move(plan));
    Message message = shared->message;
    host->submit(std::move(message), [this, shared, responder, release](Disposition d) {
      if (d.status != Disposition::Status::accepted) {
        context_.metrics().add_error(ConnectorError::rejected);
        context_.log(LogLevel::debug, std::string("fhir: the channel answered ") + status_name(d.status) +
                                          (d.error.empty() ? "" : ": " + first_line(d.error)));
      }
      auto answer = [shared, responder, d](const std::string& error) {
        HttpResponse r;
        if (d.status != Disposition::Status::accepted) {
          r = refusal_for(d);
        } else if (!error.empty()) {
          r = outcome_response(500, "the repository could not store the write: " + error, "exception");
        } else {
          r = shared->answer();
          channel_body(r, d);
        }
        responder.respond(std::move(r));
      };
      if (!repository_) {
        answer("");
        return release();
      }
      // Through the writer even when nothing is written, so the lock is
      // released on the writer's thread, after the writes before it.
      std::vector<PlannedWrite> writes;
      if (d.status == Disposition::Status::accepted) writes = std::move(shared->writes);
      repository_->commit(std::move(writes), [answer, release](const std::string& error) {
        answer(error);
        release();
      });
    });
  };
  if (scope)
    locks_.acquire(std::move(*scope), std::move(go));
  else
    go(0);
}

void FhirRestApi::create(HttpRequest request, HttpResponder responder) {
  const std::string type = request.param("type");
  check_type(type);
  authorize(request, type, Access::create);
  if (auto refusal = refuse_content_type(request)) throw RestAnswer{std::move(*refusal)};
  json::object resource = parse_resource(request.body);
  if (type_of(resource) != type)
    throw RestAnswer{outcome_response(400, "the body is a " + type_of(resource) + ", the URL says " + type)};
  const std::string if_none_exist = request.headers.get("If-None-Exist");
  const std::string base = base_url(request);
  auto req = std::make_shared<HttpRequest>(std::move(request));
  auto body = std::make_shared<json::object>(std::move(resource));
  auto planner = [this, type, if_none_exist, base, req, body]() -> Plan {
    std::string interaction = "create";
    if (!if_none_exist.empty()) {
      auto matches = conditional_matches(type, if_none_exist);
      if (matches.size() > 1)
        throw RestAnswer{outcome_response(412, "If-None-Exist " + if_none_exist + " matches more than one " + type)};
      if (matches.size() == 1) {
        auto existing = repository_->current(type, matches[0]);
        if (existing) throw RestAnswer{write_answer(200, *req, *existing, base + "/" + type + "/" + existing->id)};
      }
      interaction = "conditional_create";
    }
    return plan_version(std::move(*body), new_uuid(), 1, interaction, 201, req, base);
  };
  if (if_none_exist.empty())
    run_write(*req, responder, std::nullopt, planner);
  else
    run_write(*req, responder, WriteScope{type, ""}, planner);
}

// An update of `id` (found by URL or by a conditional search): version after the current one.
namespace {

struct UpdateTarget {
  std::string id;
  std::optional<StoredVersion> current;
};

}  // namespace

void FhirRestApi::update(HttpRequest request, HttpResponder responder) {
  const std::string type = request.param("type");
  const std::string id = request.param("id");
  check_type(type);
  if (auto refusal = refuse_content_type(request)) throw RestAnswer{std::move(*refusal)};
  json::object resource = parse_resource(request.body);
  if (type_of(resource) != type)
    throw RestAnswer{outcome_response(400, "the body is a " + type_of(resource) + ", the URL says " + type)};
  if (!valid_id(id)) throw RestAnswer{outcome_response(400, "'" + id + "' is not a valid FHIR id")};
  const std::string body_id = string_field(resource, "id");
  if (!body_id.empty() && body_id != id)
    throw RestAnswer{outcome_response(400, "the body's id " + body_id + " is not the URL's id " + id)};
  const std::string if_match = request.headers.get("If-Match");
  std::optional<std::int64_t> expected;
  if (!if_match.empty()) {
    expected = parse_etag(if_match);
    if (!expected) throw RestAnswer{outcome_response(400, "If-Match " + if_match + " is not a version (W/\"3\")")};
  }
  const std::string base = base_url(request);
  auto req = std::make_shared<HttpRequest>(std::move(request));
  auto body = std::make_shared<json::object>(std::move(resource));
  WriteScope scope{type, id};
  run_write(*req, responder, scope, [this, type, id, expected, base, req, body]() -> Plan {
    std::optional<StoredVersion> current = repository_ ? repository_->current(type, id) : std::nullopt;
    const bool exists = current && !current->deleted;
    authorize(*req, type, exists ? Access::update : Access::create);
    if (expected && (!current || current->version != *expected))
      throw RestAnswer{outcome_response(412, "If-Match version " + std::to_string(*expected) + " is not the current " +
                                                 (current ? "version " + std::to_string(current->version)
                                                          : std::string("(no such resource)")),
                                        "conflict")};
    const std::int64_t version = current ? current->version + 1 : 1;
    return plan_version(std::move(*body), id, version, "update", exists ? 200 : 201, req, base);
  });
}

void FhirRestApi::conditional_update(HttpRequest request, HttpResponder responder) {
  const std::string type = request.param("type");
  check_type(type);
  if (auto refusal = refuse_content_type(request)) throw RestAnswer{std::move(*refusal)};
  json::object resource = parse_resource(request.body);
  if (type_of(resource) != type)
    throw RestAnswer{outcome_response(400, "the body is a " + type_of(resource) + ", the URL says " + type)};
  const std::string query = request.target.find('?') == std::string::npos ? "" : request.target.substr(request.target.find('?'));
  if (query.size() <= 1) throw RestAnswer{outcome_response(405, "PUT " + type + " needs an id or a search (?identifier=...)", "not-supported")};
  const std::string base = base_url(request);
  auto req = std::make_shared<HttpRequest>(std::move(request));
  auto body = std::make_shared<json::object>(std::move(resource));
  run_write(*req, responder, WriteScope{type, ""}, [this, type, query, base, req, body]() -> Plan {
    auto matches = conditional_matches(type, query);
    if (matches.size() > 1) throw RestAnswer{outcome_response(412, "the search " + query + " matches more than one " + type)};
    std::string id = matches.empty() ? string_field(*body, "id") : matches[0];
    if (!matches.empty()) {
      const std::string body_id = string_field(*body, "id");
      if (!body_id.empty() && body_id != id)
        throw RestAnswer{outcome_response(400, "the body's id " + body_id + " is not the matched " + type + "/" + id)};
    }
    if (id.empty() || (matches.empty() && repository_->current(type, id))) id = new_uuid();
    std::optional<StoredVersion> current = repository_->current(type, id);
    const bool exists = current && !current->deleted;
    authorize(*req, type, exists ? Access::update : Access::create);
    const std::int64_t version = current ? current->version + 1 : 1;
    return plan_version(std::move(*body), id, version, "conditional_update", exists ? 200 : 201, req, base);
  });
}

FhirRestApi::Plan FhirRestApi::plan_version(json::object body, const std::string& id, std::int64_t version,
                                             const std::string& interaction, int status,
                                             std::shared_ptr<HttpRequest> request, const std::string& base) {
  Plan plan;
  PlannedWrite w = make_version(std::move(body), id, version, now_ms());
  plan.message.content = w.version.json;
  plan.message.attributes = {{"fhir.interaction", interaction}, {"fhir.resource_type", w.version.type},
                             {"fhir.id", w.version.id}, {"fhir.version", std::to_string(version)}};
  StoredVersion v = w.version;
  plan.answer = [request = std::move(request), v, base, status] {
    return write_answer(status, *request, v, base + "/" + v.type + "/" + v.id + "/_history/" + std::to_string(v.version));
  };
  plan.writes.push_back(std::move(w));
  return plan;
}

void FhirRestApi::remove(HttpRequest request, HttpResponder responder) {
  const std::string type = request.param("type");
  const std::string id = request.param("id");
  check_type(type);
  authorize(request, type, Access::remove);
  auto req = std::make_shared<HttpRequest>(std::move(request));
  run_write(*req, responder, WriteScope{type, id}, [this, type, id]() -> Plan {
    std::optional<StoredVersion> current = repository_ ? repository_->current(type, id) : std::nullopt;
    if (repository_ && !current) throw RestAnswer{outcome_response(404, type + "/" + id + " does not exist")};
    if (current && current->deleted)
      throw RestAnswer{outcome_response(200, type + "/" + id + " was already deleted", "informational")};
    const std::int64_t version = current ? current->version + 1 : 1;
    Plan plan;
    PlannedWrite w;
    w.version.type = type;
    w.version.id = id;
    w.version.version = version;
    w.version.last_updated_ms = now_ms();
    w.version.deleted = true;
    plan.message.content = "{\"resourceType\":" + json_quote(type) + ",\"id\":" + json_quote(id) + "}";
    plan.message.attributes = {{"fhir.interaction", "delete"}, {"fhir.resource_type", type}, {"fhir.id", id},
                               {"fhir.version", std::to_string(version)}};
    StoredVersion v = w.version;
    plan.answer = [v] {
      auto r = outcome_response(200, v.type + "/" + v.id + " deleted (version " + std::to_string(v.version) + ")",
                                "informational");
      r.headers.set("ETag", etag(v.version));
      return r;
    };
    plan.writes.push_back(std::move(w));
    return plan;
  });
}

void FhirRestApi::read(const HttpRequest& request, const HttpResponder& responder) {
  const std::string type = request.param("type");
  const std::string id = request.param("id");
  check_type(type);
  authorize(request, type, Access::read);
  if (!repository_) throw RestAnswer{outcome_response(405, "read needs repository: true", "not-supported")};
  auto v = repository_->current(type, id);
  if (!v) throw RestAnswer{outcome_response(404, type + "/" + id + " does not exist")};
  if (v->deleted) {
    auto r = outcome_response(410, type + "/" + id + " was deleted");
    r.headers.set("ETag", etag(v->version));
    throw RestAnswer{std::move(r)};
  }
  if (auto none_match = request.headers.find("If-None-Match")) {
    if (parse_etag(*none_match) == v->version) {
      HttpResponse r;
      r.status = 304;
      version_headers(r, *v);
      return responder.respond(std::move(r));
    }
  }
  HttpResponse r = fhir_response(200, std::move(v->json));
  version_headers(r, *v);
  responder.respond(std::move(r));
}

void FhirRestApi::vread(const HttpRequest& request, const HttpResponder& responder) {
  const std::string type = request.param("type");
  const std::string id = request.param("id");
  check_type(type);
  authorize(request, type, Access::read);
  if (!repository_) throw RestAnswer{outcome_response(405, "vread needs repository: true", "not-supported")};
  auto number = parse_etag(request.param("vid"));
  auto v = number ? repository_->version(type, id, *number) : std::nullopt;
  if (!v) throw RestAnswer{outcome_response(404, type + "/" + id + " has no version " + request.param("vid"))};
  if (v->deleted) throw RestAnswer{outcome_response(410, type + "/" + id + " version " + request.param("vid") + " is its deletion")};
  HttpResponse r = fhir_response(200, std::move(v->json));
  version_headers(r, *v);
  responder.respond(std::move(r));
}

void FhirRestApi::history(const HttpRequest& request, const HttpResponder& responder) {
  const std::string type = request.param("type");
  const std::string id = request.param("id");
  check_type(type);
  authorize(request, type, Access::read);
  if (!repository_) throw RestAnswer{outcome_response(405, "history needs repository: true", "not-supported")};
  auto versions = repository_->history(type, id);
  if (versions.empty()) throw RestAnswer{outcome_response(404, type + "/" + id + " does not exist")};
  const std::string base = base_url(request);
  std::string body = "{\"resourceType\":\"Bundle\",\"id\":" + json_quote(new_uuid()) +
                     ",\"meta\":{\"lastUpdated\":" + json_quote(format_instant(now_ms())) +
                     "},\"type\":\"history\",\"total\":" + std::to_string(versions.size()) +
                     ",\"link\":[{\"relation\":\"self\",\"url\":" + json_quote(base + "/" + type + "/" + id + "/_history") +
                     "}],\"entry\":[";
  for (std::size_t i = 0; i < versions.size(); ++i) {
    const auto& v = versions[i];
    const bool first = v.version == versions.back().version;
    body += (i ? "," : "") + std::string("{\"fullUrl\":") + json_quote(base + "/" + type + "/" + id);
    if (!v.deleted) body += ",\"resource\":" + v.json;
    body += ",\"request\":{\"method\":" + json_quote(v.deleted ? "DELETE" : first ? "POST" : "PUT") +
            ",\"url\":" + json_quote(v.deleted || !first ? type + "/" + id : type) + "}";
    body += ",\"response\":{\"status\":" + json_quote(v.deleted ? "204" : first ? "201" : "200") +
            ",\"etag\":" + json_quote(etag(v.version)) + ",\"lastModified\":" + json_quote(format_instant(v.last_updated_ms)) + "}}";
  }
  body += "]}";
  responder.respond(fhir_response(200, std::move(body)));
}

void FhirRestApi::search(const HttpRequest& request, const HttpResponder& responder, bool form_body) {
  const std::string type = request.param("type");
  check_type(type);
  authorize(request, type, Access::search);
  if (!repository_) throw RestAnswer{outcome_response(405, "search needs repository: true", "not-supported")};
  std::vector<std::pair<std::string, std::string>> params = request.query;
  if (form_body && !request.body.empty()) {
    std::size_t start = 0;
    const std::string& q = request.body;
    while (start < q.size()) {
      auto amp = q.find('&', start);
      std::string pair = q.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      auto eq = pair.find('=');
      auto key = percent_decode(pair.substr(0, eq), true);
      auto value = percent_decode(eq == std::string::npos ? "" : pair.substr(eq + 1), true);
      if (key && value && !key->empty()) params.emplace_back(*key, *value);
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }
  SearchQuery query;
  try {
    query = parse_search(type, params, settings_.page_size, settings_.max_page_size, *repository_->terms());
  } catch (const SearchError& e) {
    throw RestAnswer{outcome_response(400, e.what())};
  }
  SearchResult result = repository_->search(query);
  const std::string base = base_url(request);
  auto page_url = [&](std::int64_t offset) {
    std::string url = base + "/" + type + "?";
    bool first = true;
    auto add = [&](const std::string& k, const std::string& v) {
      url += (first ? "" : "&") + k + "=";
      for (unsigned char c : v) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '|' || c == ':' || c == ',' || c == '/')
          url += static_cast<char>(c);
        else {
          char hex[4];
          std::snprintf(hex, sizeof hex, "%%%02X", c);
          url += hex;
        }
      }
      first = false;
    };
    for (const auto& [k, v] : query.canonical) add(k, v);
    if (offset > 0) add("_offset", std::to_string(offset));
    if (first) url.pop_back();
    return url;
  };
  std::string body = "{\"resourceType\":\"Bundle\",\"id\":" + json_quote(new_uuid()) +
                     ",\"meta\":{\"lastUpdated\":" + json_quote(format_instant(now_ms())) +
                     "},\"type\":\"searchset\",\"total\":" + std::to_string(result.total) +
                     ",\"link\":[{\"relation\":\"self\",\"url\":" + json_quote(page_url(query.offset)) + "}";
  if (!query.summary_count && query.count > 0 && query.offset + query.count < result.total)
    body += ",{\"relation\":\"next\",\"url\":" + json_quote(page_url(query.offset + query.count)) + "}";
  if (query.offset > 0)
    body += ",{\"relation\":\"previous\",\"url\":" +
            json_quote(page_url(std::max<std::int64_t>(0, query.offset - query.count))) + "}";
  body += "]";
  if (!result.matches.empty() || !result.included.empty()) {
    body += ",\"entry\":[";
    bool first = true;
    auto entry = [&](const StoredVersion& v, const char* mode) {
      body += (first ? "" : ",") + std::string("{\"fullUrl\":") + json_quote(base + "/" + v.type + "/" + v.id) +
              ",\"resource\":" + v.json + ",\"search\":{\"mode\":\"" + mode + "\"}}";
      first = false;
    };
    for (const auto& v : result.matches) entry(v, "match");
    for (const auto& v : result.included) entry(v, "include");
    body += "]";
  }
  body += "}";
  responder.respond(fhir_response(200, std::move(body)));
}

void FhirRestApi::bundle(HttpRequest request, HttpResponder responder) {
  if (auto refusal = refuse_content_type(request)) throw RestAnswer{std::move(*refusal)};
  json::object bundle = parse_resource(request.body);
  if (type_of(bundle) != "Bundle")
    throw RestAnswer{outcome_response(400, "POST to the base takes a transaction or batch Bundle, not a " + type_of(bundle))};
  const std::string kind = string_field(bundle, "type");
  if (kind != "transaction" && kind != "batch")
    throw RestAnswer{outcome_response(400, "Bundle.type must be transaction or batch, not '" + kind + "'")};
  HttpResponse refusal;
  auto caller = authorization_.authenticate(request, refusal);
  if (!caller) throw RestAnswer{std::move(refusal)};
  auto prepared = std::make_shared<BundleRequest>(prepare_bundle(*this, std::move(bundle), caller->scopes));
  const std::string base = base_url(request);
  auto req = std::make_shared<HttpRequest>(std::move(request));
  run_write(*req, responder, WriteScope::everything(), [this, prepared, base, kind]() -> Plan {
    BundleOutcome outcome = plan_bundle(*this, *prepared, base);
    Plan plan;
    plan.writes = std::move(outcome.writes);
    plan.message.content = std::move(outcome.message_bundle);
    plan.message.attributes = {{"fhir.interaction", kind}, {"fhir.resource_type", "Bundle"},
                               {"fhir.id", outcome.bundle_id}, {"fhir.version", ""}};
    auto body = std::make_shared<std::string>(std::move(outcome.response_bundle));
    plan.answer = [body] { return fhir_response(200, *body); };
    return plan;
  });
}

std::size_t FhirRestApi::seed(const std::string& bundle_json) {
  if (!repository_) return 0;
  json::object bundle;
  try {
    bundle = parse_resource(bundle_json);
  } catch (const RestAnswer& a) {
    throw std::runtime_error("seed: " + a.response.body);
  }
  if (type_of(bundle) != "Bundle") throw std::runtime_error("seed: not a Bundle but a " + type_of(bundle));
  std::string kind = string_field(bundle, "type");
  if (kind == "collection" || kind == "searchset") {
    // Each resource as an update of its id (or a create when it has none).
    if (auto it = bundle.find("entry"); it != bundle.end() && it->value().is_array()) {
      for (auto& e : it->value().as_array()) {
        if (!e.is_object()) continue;
        auto& entry = e.as_object();
        if (!entry.contains("resource") || !entry.at("resource").is_object()) continue;
        const auto& r = entry.at("resource").as_object();
        std::string type = string_field(r, "resourceType"), id = string_field(r, "id");
        entry["request"] = json::object{{"method", id.empty() ? "POST" : "PUT"}, {"url", id.empty() ? type : type + "/" + id}};
      }
    }
    bundle["type"] = "transaction";
  } else if (kind != "transaction" && kind != "batch") {
    throw std::runtime_error("seed: Bundle.type must be transaction, batch or collection, not '" + kind + "'");
  }
  try {
    BundleRequest prepared = prepare_bundle(*this, std::move(bundle), {"system/*.*"});
    BundleOutcome outcome = plan_bundle(*this, prepared, settings_.base_path);
    repository_->commit_now(outcome.writes);
    return outcome.writes.size();
  } catch (const RestAnswer& a) {
    throw std::runtime_error("seed: " + a.response.body);
  }
}

}  // namespace artery::fhir
