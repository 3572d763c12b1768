#include "listener/bundle_interactions.hpp"

#include "listener/authorization.hpp"
#include "listener/fhir_http.hpp"
#include "listener/fhir_instant.hpp"
#include "listener/resource_types.hpp"
#include "listener/rest_api.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include <map>
#include <set>

namespace artery::fhir {
namespace json = boost::json;
namespace {

struct Entry {
  std::string method, url, full_url, type, id, query, if_none_exist, if_match;
  json::object resource;
  bool has_resource = false;
  // Resolved under the lock.
  std::string target_id;
  std::int64_t version = 0;
  bool noop = false;          // nothing written (ifNoneExist matched, already deleted, GET)
  int status = 0;             // 200, 201, 204
  std::optional<StoredVersion> shown;  // the resource answered
  std::optional<HttpResponse> failure;  // batch: this entry's error
};

struct ParsedBundle {
  bool transaction = true;
  std::string kind;
  std::vector<Entry> entries;
};

std::string string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

RestAnswer bad(int status, const std::string& text) { return RestAnswer{outcome_response(status, text)}; }

std::string status_text(int status) {
  return std::to_string(status) + " " + std::string(http_reason(status));
}

void rewrite_references(json::value& v, const std::map<std::string, std::string>& ids) {
  if (v.is_string()) {
    auto it = ids.find(std::string(v.get_string()));
    if (it != ids.end()) v = it->second;
  } else if (v.is_object()) {
    for (auto& [key, child] : v.as_object()) rewrite_references(child, ids);
  } else if (v.is_array()) {
    for (auto& child : v.as_array()) rewrite_references(child, ids);
  }
}

int method_order(const std::string& m) {
  if (m == "DELETE") return 0;
  if (m == "POST") return 1;
  if (m == "PUT") return 2;
  return 3;  // GET
}

}  // namespace

BundleRequest prepare_bundle(FhirRestApi& api, json::object bundle, const std::vector<std::string>& scopes) {
  auto parsed = std::make_shared<ParsedBundle>();
  parsed->kind = string_field(bundle, "type");
  parsed->transaction = parsed->kind == "transaction";
  auto it = bundle.find("entry");
  if (it != bundle.end() && !it->value().is_array()) throw bad(400, "Bundle.entry must be a list");
  if (it != bundle.end()) {
    std::size_t index = 0;
    for (auto& item : it->value().as_array()) {
      Entry e;
      const std::string where = "Bundle.entry[" + std::to_string(index++) + "]";
      try {
        if (!item.is_object()) throw bad(400, where + " is not an object");
        auto& o = item.as_object();
        e.full_url = string_field(o, "fullUrl");
        auto request = o.find("request");
        if (request == o.end() || !request->value().is_object()) throw bad(400, where + " has no request");
        const auto& r = request->value().as_object();
        e.method = string_field(r, "method");
        e.url = string_field(r, "url");
        e.if_none_exist = string_field(r, "ifNoneExist");
        e.if_match = string_field(r, "ifMatch");
        if (e.method != "GET" && e.method != "POST" && e.method != "PUT" && e.method != "DELETE")
          throw bad(405, where + ": request.method " + e.method + " is not supported (GET, POST, PUT, DELETE are)");
        std::string url = e.url;
        // An absolute URL to this server counts as its relative part.
        if (auto p = url.find(api.settings().base_path + "/"); url.find("://") != std::string::npos && p != std::string::npos)
          url = url.substr(p + api.settings().base_path.size() + 1);
        if (!url.empty() && url[0] == '/') url.erase(0, 1);
        auto q = url.find('?');
        std::string path = url.substr(0, q);
        if (q != std::string::npos) e.query = url.substr(q);
        auto slash = path.find('/');
        e.type = path.substr(0, slash);
        if (slash != std::string::npos) e.id = path.substr(slash + 1);
        if (e.type.empty()) throw bad(400, where + ": request.url has no resource type");
        const auto& allowed = api.settings().resource_types;
        if (!(allowed.empty() ? is_r4_resource_type(e.type)
                              : std::find(allowed.begin(), allowed.end(), e.type) != allowed.end()))
          throw bad(404, where + ": resource type " + e.type + " is not served here");
        if (e.method == "POST" || e.method == "PUT") {
          auto res = o.find("resource");
          if (res == o.end() || !res->value().is_object()) throw bad(400, where + " has no resource");
          e.resource = res->value().as_object();
          e.has_resource = true;
          const std::string body_type = string_field(e.resource, "resourceType");
          if (body_type != e.type) throw bad(400, where + ": the resource is a " + body_type + ", request.url says " + e.type);
          if (e.method == "PUT" && e.id.empty() && e.query.empty())
            throw bad(400, where + ": PUT needs " + e.type + "/[id] or " + e.type + "?[search]");
          const std::string body_id = string_field(e.resource, "id");
          if (e.method == "PUT" && !e.id.empty() && !body_id.empty() && body_id != e.id)
            throw bad(400, where + ": the resource's id " + body_id + " is not the URL's id " + e.id);
          if (e.method == "POST" && !e.id.empty()) throw bad(400, where + ": POST goes to " + e.type + ", not to an id");
        }
        if (e.method == "DELETE" && e.id.empty()) throw bad(400, where + ": conditional delete is not supported");
        if (e.method == "GET" && e.id.empty()) throw bad(400, where + ": only reads (GET [type]/[id]) are supported in Bundles");
        Access access = e.method == "GET" ? Access::read : e.method == "DELETE" ? Access::remove
                        : e.method == "POST" ? Access::create : Access::update;
        if (!Authorization::allows(scopes, e.type, access) &&
            !(e.method == "PUT" && Authorization::allows(scopes, e.type, Access::create)))
          throw RestAnswer{insufficient_scope(e.type, access)};
      } catch (RestAnswer& a) {
        if (parsed->transaction) throw;
        e.failure = std::move(a.response);
      }
      parsed->entries.push_back(std::move(e));
    }
  }
  BundleRequest out;
  out.transaction = parsed->transaction;
  out.bundle = parsed;
  return out;
}

BundleOutcome plan_bundle(FhirRestApi& api, const BundleRequest& request, const std::string& base_url) {
  ParsedBundle bundle = *std::static_pointer_cast<ParsedBundle>(request.bundle);  // a copy: planning fills it in
  Repository* repo = api.repository();
  if (!repo && !bundle.entries.empty()) throw bad(400, "transaction and batch Bundles need repository: true");
  std::vector<std::size_t> order(bundle.entries.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return method_order(bundle.entries[a].method) < method_order(bundle.entries[b].method);
  });
  std::map<std::string, std::string> ids;  // fullUrl -> Type/id
  std::set<std::string> targets;
  for (std::size_t i : order) {
    Entry& e = bundle.entries[i];
    if (e.failure) continue;
    try {
      const std::string where = "Bundle.entry[" + std::to_string(i) + "]";
      std::optional<std::int64_t> expected;
      if (!e.if_match.empty()) {
        expected = parse_etag(e.if_match);
        if (!expected) throw bad(400, where + ": ifMatch " + e.if_match + " is not a version");
      }
      if (e.method == "GET") {
        auto v = repo->current(e.type, e.id);
        if (!v) throw bad(404, where + ": " + e.type + "/" + e.id + " does not exist");
        if (v->deleted) throw bad(410, where + ": " + e.type + "/" + e.id + " was deleted");
        e.shown = v;
        e.noop = true;
        e.status = 200;
        continue;
      }
      if (e.method == "POST") {
        if (!e.if_none_exist.empty()) {
          auto matches = api.conditional_matches(e.type, e.if_none_exist);
          if (matches.size() > 1) throw bad(412, where + ": ifNoneExist " + e.if_none_exist + " matches more than one " + e.type);
          if (matches.size() == 1) {
            e.target_id = matches[0];
            e.shown = repo->current(e.type, e.target_id);
            e.noop = true;
            e.status = 200;
          }
        }
        if (!e.noop) {
          e.target_id = new_uuid();
          e.version = 1;
          e.status = 201;
        }
      } else if (e.method == "PUT") {
        std::string id = e.id;
        if (id.empty()) {
          auto matches = api.conditional_matches(e.type, e.query);
          if (matches.size() > 1) throw bad(412, where + ": " + e.type + e.query + " matches more than one " + e.type);
          const std::string body_id = string_field(e.resource, "id");
          if (!matches.empty()) {
            id = matches[0];
            if (!body_id.empty() && body_id != id)
              throw bad(400, where + ": the resource's id " + body_id + " is not the matched " + e.type + "/" + id);
          } else {
            id = body_id.empty() || repo->current(e.type, body_id) ? new_uuid() : body_id;
          }
        }
        auto current = repo->current(e.type, id);
        if (expected && (!current || current->version != *expected))
          throw bad(412, where + ": ifMatch version " + std::to_string(*expected) + " is not the current version");
        e.target_id = id;
        e.version = current ? current->version + 1 : 1;
        e.status = current && !current->deleted ? 200 : 201;
      } else {  // DELETE
        auto current = repo->current(e.type, e.id);
        if (!current) throw bad(404, where + ": " + e.type + "/" + e.id + " does not exist");
        if (expected && current->version != *expected)
          throw bad(412, where + ": ifMatch version " + std::to_string(*expected) + " is not the current version");
        e.target_id = e.id;
        e.status = 204;
        if (current->deleted) {
          e.noop = true;
        } else {
          e.version = current->version + 1;
        }
      }
      if (!e.noop && !targets.insert(e.type + "/" + e.target_id).second)
        throw bad(400, where + ": " + e.type + "/" + e.target_id + " is written twice in one Bundle");
      if (!e.full_url.empty()) ids[e.full_url] = e.type + "/" + e.target_id;
    } catch (RestAnswer& a) {
      if (bundle.transaction) throw;
      e.failure = std::move(a.response);
    }
  }

  BundleOutcome out;
  out.bundle_id = new_uuid();
  const std::int64_t now = api.now_ms();
  json::array message_entries;
  json::array response_entries;
  for (auto& e : bundle.entries) {
    json::object response_entry;
    if (e.failure) {
      boost::system::error_code ec;
      json::value outcome = json::parse(e.failure->body, ec);
      response_entry["response"] = json::object{{"status", status_text(e.failure->status)},
                                                {"outcome", ec ? json::value() : outcome}};
      response_entries.push_back(std::move(response_entry));
      continue;
    }
    json::object response{{"status", status_text(e.status)}};
    if (!e.noop) {
      PlannedWrite w;
      if (e.method == "DELETE") {
        w.version.type = e.type;
        w.version.id = e.target_id;
        w.version.version = e.version;
        w.version.last_updated_ms = now;
        w.version.deleted = true;
      } else {
        json::value resource = std::move(e.resource);
        rewrite_references(resource, ids);
        w = api.make_version(std::move(resource.as_object()), e.target_id, e.version, now);
      }
      json::object message_entry{{"fullUrl", base_url + "/" + e.type + "/" + e.target_id}};
      if (!w.version.deleted) message_entry["resource"] = json::parse(w.version.json);
      message_entry["request"] = json::object{{"method", e.method}, {"url", e.url}};
      message_entries.push_back(std::move(message_entry));
      e.shown = w.version;
      out.writes.push_back(std::move(w));
    }
    if (e.shown) {
      response["location"] = e.type + "/" + e.shown->id + "/_history/" + std::to_string(e.shown->version);
      response["etag"] = etag(e.shown->version);
      response["lastModified"] = format_instant(e.shown->last_updated_ms);
      if (!e.shown->deleted) {
        response_entry["fullUrl"] = base_url + "/" + e.type + "/" + e.shown->id;
        response_entry["resource"] = json::parse(e.shown->json);
      }
    }
    response_entry["response"] = std::move(response);
    response_entries.push_back(std::move(response_entry));
  }
  json::object message{{"resourceType", "Bundle"}, {"id", out.bundle_id}, {"type", bundle.kind},
                       {"entry", std::move(message_entries)}};
  out.message_bundle = json::serialize(message);
  json::object answer{{"resourceType", "Bundle"}, {"id", new_uuid()},
                      {"type", bundle.transaction ? "transaction-response" : "batch-response"},
                      {"entry", std::move(response_entries)}};
  out.response_bundle = json::serialize(answer);
  return out;
}

}  // namespace artery::fhir
