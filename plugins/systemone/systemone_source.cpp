#include "systemone_source.hpp"

#include "client_integration_xml.hpp"
#include "response_envelope.hpp"
#include "systemone_runtime.hpp"
#include "systemone_session.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

namespace artery::systemone {

namespace {

// Compares SHA-256 digests with CRYPTO_memcmp and checks every key, so the
// time taken says nothing about how much of a key matched, nor which.
bool api_key_accepted(std::string_view key, const std::vector<std::string>& accepted) {
  if (accepted.empty()) return true;
  std::array<unsigned char, SHA256_DIGEST_LENGTH> given{};
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), given.data());
  int matches = 0;
  for (const auto& candidate : accepted) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> expected{};
    SHA256(reinterpret_cast<const unsigned char*>(candidate.data()), candidate.size(), expected.data());
    matches |= CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0 ? 1 : 0;
  }
  return matches != 0;
}

TcpListenerSettings listener_settings(const SourceSettings& s) {
  TcpListenerSettings l;
  l.name = "systemone";
  l.listen = s.listen;
  l.max_connections = s.max_connections;
  l.idle_timeout = s.idle_timeout;
  l.tls = s.tls;
  // A request can wait on the channel script (a full patient record) longer than an HL7 message does.
  l.stop_grace = std::chrono::seconds(30);
  return l;
}

TcpSource::SessionFactory sessions(const SourceSettings& settings, ConnectorContext& context) {
  auto runtime = std::make_shared<SystemOneSource::Runtime>(settings, context);
  return [runtime](SourceHost& host, TcpConnection& connection) {
    return std::make_unique<SystemOneSession>(runtime, host, connection);
  };
}

}  // namespace

SystemOneSource::SystemOneSource(SourceSettings settings, ConnectorContext& context)
    // (settings copied, not moved: the order the arguments are evaluated in is unspecified)
    : TcpSource(listener_settings(settings), context, sessions(settings, context)) {}

SystemOneSource::Runtime::Screened SystemOneSource::Runtime::screen(const std::string& document) {
  Screened out;
  // The framer rejects DOCTYPE; a request that ended at EOF (framing: close)
  // did not go through it whole, so look at its prolog here too.
  auto root_at = document.find(std::string("<") + kRequestRoot);
  if (document.substr(0, root_at).find("<!DOCTYPE") != std::string::npos) {
    out.error = "DOCTYPE declarations are not allowed";
    return out;
  }
  pugi::xml_document doc;
  std::string parse_error;
  if (!parse_xml(document, doc, false, parse_error)) {
    out.error = "invalid XML: " + parse_error;
    return out;
  }
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != kRequestRoot) {
    out.error = std::string("the root element must be ") + kRequestRoot + ", not " + root.name();
    return out;
  }
  out.envelope.device_id = child_text(root, "DeviceID");
  out.envelope.request_uid = child_text(root, "RequestUID");
  out.envelope.function = child_text(root, "Function");
  out.envelope.function_version = child_text(root, "FunctionVersion");
  for (const char* name : {"APIKey", "RequestUID", "Function"}) {
    if (!root.child(name) || (std::string_view(name) == "Function" && out.envelope.function.empty())) {
      out.error = std::string("missing element ") + name;
      return out;
    }
  }
  if (!api_key_accepted(child_text(root, "APIKey"), settings.api_keys)) {
    out.error = "invalid API key";
    return out;
  }
  if (settings.auto_approve_devices) out.envelope.device_id = approve_device(out.envelope.device_id);
  return out;
}

std::string SystemOneSource::Runtime::approve_device(const std::string& device_id) {
  // Like SystmOne after its user clicks "approve": a new device gets an id
  // it must send from then on. Ids are remembered (first sighting logged)
  // so operators can see which devices have called.
  std::string id = device_id.empty() ? new_guid() : device_id;
  std::lock_guard lock(devices_mutex);
  if (known_devices.count(id) != 0) return id;
  try {
    std::string key = "device:" + id;
    if (!context.state_get(key)) {
      context.state_put(key, "approved");
      context.log(LogLevel::info, "systemone: approved device " + id);
    }
  } catch (const std::exception& e) {
    context.log(LogLevel::warn, std::string("systemone: cannot record device: ") + e.what());
  }
  known_devices.insert(id);
  return id;
}

void SystemOneSource::Runtime::submit(SourceHost& host, Message message, std::function<void(Disposition)> done) {
  try {
    host.submit(std::move(message), done);
  } catch (const std::exception& e) {
    Disposition failed;
    failed.status = Disposition::Status::unavailable;
    failed.error = e.what();
    done(std::move(failed));
  }
}

std::string SystemOneSource::Runtime::answer(const ResponseEnvelope& envelope, const Disposition& disposition) {
  using Status = Disposition::Status;
  switch (disposition.status) {
    case Status::accepted:
    case Status::filtered: {
      // PermanentError true: the request is stored, and sending it again
      // would store it again and get the same (missing) answer.
      if (disposition.response.empty())
        return error_text(envelope, "function " + envelope.function + " produced no response", true);
      std::string error;
      if (auto response = script_response(envelope, disposition.response, error)) return *response;
      context.log(LogLevel::warn, "systemone: " + error);
      return error_text(envelope, error, true);
    }
    case Status::errored:
      return error_text(envelope, disposition.error.empty() ? "the request failed" : disposition.error, false);
    case Status::rejected:
      return error_text(envelope, disposition.error.empty() ? "the request was rejected" : disposition.error, true);
    case Status::unavailable:
      return error_text(envelope,
                        "service unavailable" + (disposition.error.empty() ? std::string{} : ": " + disposition.error),
                        false);
  }
  return error_text(envelope, "unknown disposition", false);
}

std::unique_ptr<Source> make_systemone_source(const ConnectorOptions& options, ConnectorContext& context) {
  return std::make_unique<SystemOneSource>(SourceSettings::read(options, context.base_dir()), context);
}

}  // namespace artery::systemone
