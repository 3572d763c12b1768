#include "consent/consent_lookup.hpp"

#include "notify/base64.hpp"

#include <artery/http_client.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <iterator>
#include <optional>

namespace artery::consent {
namespace json = boost::json;
namespace {

constexpr int kMaxPages = 20;          // a patient with more than 20 pages of consents is a data problem
constexpr std::size_t kMaxCached = 10'000;  // beyond it, expired entries are swept

std::string text(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

// The diagnostics of an OperationOutcome answer, else the start of the body.
std::string outcome_text(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    const auto* issues = v.get_object().if_contains("issue");
    if (issues && issues->is_array() && !issues->get_array().empty() && issues->get_array()[0].is_object()) {
      std::string d = text(issues->get_array()[0].get_object(), "diagnostics");
      if (!d.empty()) return d;
    }
  }
  return body.substr(0, 200);
}

// "Patient/123" from a reference or an absolute URL ending in one.
std::string patient_reference(std::string ref) {
  if (auto h = ref.find("/_history/"); h != std::string::npos) ref.resize(h);
  auto at = ref.rfind("Patient/");
  return at == std::string::npos ? ref : ref.substr(at);
}

}  // namespace

std::string local_base_url(const std::string& listen, const std::string& base_path, bool tls) {
  std::string host = "127.0.0.1", port = listen;
  auto colon = listen.rfind(':');
  if (colon != std::string::npos) {
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  if (host.empty() || host == "0.0.0.0" || host == "*") host = "127.0.0.1";
  if (host == "[::]" || host == "::") host = "[::1]";
  std::string path = base_path.empty() || base_path.front() != '/' ? "/" + base_path : base_path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return std::string(tls ? "https://" : "http://") + host + ":" + port + (path == "/" ? "" : path);
}

ConsentLookup::ConsentLookup(ConsentServer server, std::chrono::milliseconds ttl)
    : server_(std::move(server)), ttl_(ttl) {
  while (!server_.base_url.empty() && server_.base_url.back() == '/') server_.base_url.pop_back();
  HttpClientOptions options;
  options.connect_timeout = std::min(server_.timeout, std::chrono::milliseconds(10'000));
  options.request_timeout = server_.timeout;
  options.max_body = 16ull << 20;
  options.tls = server_.tls;
  options.user_agent = "artery-consent";
  client_ = std::make_unique<HttpClient>(options);
}

ConsentLookup::~ConsentLookup() = default;

ConsentLookupResult ConsentLookup::find(const PatientKey& patient, const std::string& category) {
  const std::string key = (patient.is_identifier ? "i:" : "r:") + patient.value + "\n" + category;
  auto cached = [&]() -> std::optional<ConsentLookupResult> {
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it == cache_.end() || it->second.expires <= std::chrono::steady_clock::now()) return std::nullopt;
    ConsentLookupResult out = it->second.result;
    out.cached = true;
    return out;
  };
  if (auto hit = cached()) return *hit;
  std::lock_guard fetching(fetch_mutex_);
  if (auto hit = cached()) return *hit;  // fetched by another worker while this one waited
  ConsentLookupResult result = fetch(patient, category);
  if (result.ok && ttl_.count() > 0) {
    std::lock_guard lock(cache_mutex_);
    auto now = std::chrono::steady_clock::now();
    if (cache_.size() >= kMaxCached) {
      for (auto it = cache_.begin(); it != cache_.end();) it = it->second.expires <= now ? cache_.erase(it) : std::next(it);
      if (cache_.size() >= kMaxCached) cache_.clear();
    }
    cache_[key] = {now + ttl_, result};
  }
  return result;
}

ConsentLookupResult ConsentLookup::fetch(const PatientKey& patient, const std::string& category) {
  ConsentLookupResult out;
  if (patient.is_identifier) {
    std::vector<std::string> found;
    if (!search(server_.base_url + "/Patient?identifier=" + url_encode(patient.value), "Patient", found,
                out.error))
      return out;
    for (const auto& resource : found) {
      boost::system::error_code ec;
      json::value v = json::parse(resource, ec);
      if (!ec && v.is_object()) out.patients.push_back("Patient/" + text(v.get_object(), "id"));
    }
    if (out.patients.empty()) {
      out.ok = true;  // no such patient: no consent either, which the channel's default answers
      return out;
    }
  } else {
    out.patients.push_back(patient_reference(patient.value));
  }
  std::string patients;
  for (const auto& p : out.patients) patients += (patients.empty() ? "" : ",") + p;
  std::string url = server_.base_url + "/Consent?patient=" + url_encode(patients) + "&status=active";
  if (!category.empty()) url += "&category=" + url_encode(category);
  out.ok = search(url, "Consent", out.consents, out.error);
  return out;
}

bool ConsentLookup::search(const std::string& first_url, const std::string& type, std::vector<std::string>& out,
                           std::string& error) {
  std::string url = first_url;
  for (int page = 0; page < kMaxPages && !url.empty(); ++page) {
    HttpClientRequest request;
    request.url = url;
    request.headers.emplace_back("Accept", "application/fhir+json");
    if (server_.auth_type == "bearer") {
      request.headers.emplace_back("Authorization", "Bearer " + server_.token);
    } else if (server_.auth_type == "basic") {
      request.headers.emplace_back("Authorization",
                                   "Basic " + notify::base64_encode(server_.username + ":" + server_.password));
    }
    ++requests_;
    HttpClientResult result = client_->request(request);
    if (!result.response) {
      error = type + " search failed: " + result.error;
      return false;
    }
    const auto& response = *result.response;
    if (response.status != 200) {
      error = type + " search at " + server_.base_url + " answered " + std::to_string(response.status) + ": " +
              outcome_text(response.body);
      return false;
    }
    boost::system::error_code ec;
    json::value bundle = json::parse(response.body, ec);
    if (ec || !bundle.is_object() || text(bundle.get_object(), "resourceType") != "Bundle") {
      error = type + " search at " + server_.base_url + " did not answer a Bundle";
      return false;
    }
    const auto& b = bundle.get_object();
    if (const auto* entries = b.if_contains("entry"); entries && entries->is_array()) {
      for (const auto& entry : entries->get_array()) {
        const auto* resource = entry.is_object() ? entry.get_object().if_contains("resource") : nullptr;
        if (resource && resource->is_object() && text(resource->get_object(), "resourceType") == type)
          out.push_back(json::serialize(*resource));
      }
    }
    url.clear();
    if (const auto* links = b.if_contains("link"); links && links->is_array()) {
      for (const auto& link : links->get_array())
        if (link.is_object() && text(link.get_object(), "relation") == "next") url = text(link.get_object(), "url");
    }
  }
  if (!url.empty()) {
    error = type + " search at " + server_.base_url + " has more than " + std::to_string(kMaxPages) + " pages";
    return false;
  }
  return true;
}

}  // namespace artery::consent
