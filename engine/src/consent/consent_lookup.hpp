// Fetching a patient's Consent resources from a FHIR server (the engine's own
// FHIR listener repository or any other) by FHIR REST search:
//   GET [base]/Consent?patient=Patient/<id>&status=active[&category=<system|code>]
// following Bundle `next` links, through the core's HttpClient with the
// server's auth (bearer or basic) and TLS settings.
//
// A patient known by an identifier (an HL7 PID-3 value) is first resolved by
// `GET [base]/Patient?identifier=[system|]value`. Both answers are kept for
// `ttl`, so a burst of messages for one patient makes one lookup; lookups of
// one key at a time (one connection per server), so concurrent workers asking
// about the same patient wait for the first answer instead of asking again.
// Failures are not cached: the next message asks again.
#pragma once
#include <artery/tls_settings.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace artery {
class HttpClient;
}

namespace artery::consent {

struct ConsentServer {
  std::string base_url;            // "http://127.0.0.1:8090/fhir", no trailing '/'
  std::string auth_type = "none";  // none | bearer | basic
  std::string token;               // bearer
  std::string username, password;  // basic
  TlsSettings tls{true, {}, {}, {}, true, {}};
  std::chrono::milliseconds timeout{10'000};
};

// Who the consents are for: a Patient reference ("Patient/123", or an
// absolute URL ending in it), or an identifier ("system|value" or "value").
struct PatientKey {
  std::string value;
  bool is_identifier = false;
};

struct ConsentLookupResult {
  bool ok = false;
  std::string error;              // when !ok: what failed, with the URL
  std::vector<std::string> patients;  // "Patient/<id>": the reference, or what the identifier resolved to
  std::vector<std::string> consents;  // each Consent resource as JSON
  bool cached = false;            // answered from the cache
};

class ConsentLookup {
 public:
  ConsentLookup(ConsentServer server, std::chrono::milliseconds ttl);
  ~ConsentLookup();
  ConsentLookup(const ConsentLookup&) = delete;
  ConsentLookup& operator=(const ConsentLookup&) = delete;

  // `category`: "" (any), or the token to search by.
  ConsentLookupResult find(const PatientKey& patient, const std::string& category);

  const ConsentServer& server() const { return server_; }
  // HTTP requests sent so far (searches and their next pages).
  std::uint64_t requests() const { return requests_.load(); }

 private:
  struct Cached {
    std::chrono::steady_clock::time_point expires;
    ConsentLookupResult result;
  };
  ConsentLookupResult fetch(const PatientKey& patient, const std::string& category);
  // A searchset Bundle's resources of `type` (as JSON), all pages; false with `error`.
  bool search(const std::string& url, const std::string& type, std::vector<std::string>& out, std::string& error);

  ConsentServer server_;
  std::chrono::milliseconds ttl_;
  std::unique_ptr<HttpClient> client_;
  std::mutex fetch_mutex_;  // one request at a time on the one connection; also makes lookups single-flight
  std::mutex cache_mutex_;
  std::map<std::string, Cached> cache_;
  std::atomic<std::uint64_t> requests_{0};
};

// "http://127.0.0.1:8090/fhir" for a listen address and base path (a
// wildcard address is dialled on loopback).
std::string local_base_url(const std::string& listen, const std::string& base_path, bool tls);

}  // namespace artery::consent
