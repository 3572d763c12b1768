#include "client/fhir_destination.hpp"

#include "client/server_answer.hpp"
#include "fhir_options.hpp"

#include <artery/option_reader.hpp>

#include <boost/json.hpp>

namespace artery::fhir {
namespace {

namespace json = boost::json;

std::string string_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

// ${name} replaced by the URL-encoded var (the result is a query string);
// nullopt with `error` naming an unset var.
std::optional<std::string> expand(const std::string& text, const std::map<std::string, std::string>& vars,
                                  std::string& error) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto open = text.find("${", at);
    if (open == std::string::npos) break;
    const auto close = text.find('}', open);
    if (close == std::string::npos) break;
    out += text.substr(at, open - at);
    const std::string name = text.substr(open + 2, close - open - 2);
    const auto found = vars.find(name);
    if (found == vars.end()) {
      error = "if_none_exist: ${" + name + "} is not set for this message";
      return std::nullopt;
    }
    out += url_encode(found->second);
    at = close + 1;
  }
  return out + text.substr(at);
}

// What the server assigned, from Location ([base]/Type/id/_history/vid),
// else the returned resource, else the ETag (W/"vid").
void describe_result(const HttpClientResponse& response, json::object& out) {
  const std::string location = response.header("Location").empty() ? response.header("Content-Location")
                                                                    : response.header("Location");
  std::string id, version;
  if (!location.empty()) {
    std::string path = location.substr(0, location.find('?'));
    const auto history = path.find("/_history/");
    if (history != std::string::npos) {
      version = path.substr(history + 10);
      path = path.substr(0, history);
    }
    const auto slash = path.rfind('/');
    id = slash == std::string::npos ? path : path.substr(slash + 1);
  }
  json::value body;
  boost::system::error_code ec;
  if (!response.body.empty()) body = json::parse(response.body, ec);
  if (ec) body = json::string(response.body);
  if (body.is_object() && string_at(body.get_object(), "resourceType") != "Bundle" &&
      string_at(body.get_object(), "resourceType") != "OperationOutcome") {
    if (id.empty()) id = string_at(body.get_object(), "id");
    if (version.empty())
      if (const auto* meta = body.get_object().if_contains("meta"); meta && meta->is_object())
        version = string_at(meta->get_object(), "versionId");
  }
  if (version.empty()) {
    std::string etag = response.header("ETag");
    if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') version = etag.substr(1, etag.size() - 2);
  }
  out["status"] = response.status;
  out["location"] = location;
  out["id"] = id;
  out["version"] = version;
  out["body"] = std::move(body);
}

}  // namespace

DestinationSettings read_destination_settings(const ConnectorOptions& options, const std::filesystem::path& base_dir) {
  OptionReader read(options, kDestinationOptions, kDestinationOptionCount);
  DestinationSettings settings;
  settings.client = read_client_settings(read, base_dir, true);
  settings.interaction = static_cast<DestinationSettings::Interaction>(
      read.choice("interaction", {"auto", "create", "update", "conditional_create", "transaction", "batch"}));
  settings.if_none_exist = read.string("if_none_exist");
  if (settings.interaction == DestinationSettings::Interaction::conditional_create && settings.if_none_exist.empty())
    read.fail("if_none_exist", "interaction conditional_create needs the search (identifier=${mrn})");
  if (!read.ok()) throw std::runtime_error(read.error());
  return settings;
}

FhirDestination::FhirDestination(DestinationSettings settings, ConnectorContext& context)
    : settings_(std::move(settings)), context_(context), client_(settings_.client) {}

bool FhirDestination::start(std::string&) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  client_.reset_cancel();
  if (settings_.client.base_url.rfind("https://", 0) == 0 && !settings_.client.http.tls.verify_peer)
    context_.log(LogLevel::warn, "tls.verify_server is off: the server's certificate and name are NOT checked");
  return true;
}

void FhirDestination::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  client_.cancel();
}

bool FhirDestination::wait(std::chrono::seconds delay) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, delay, [&] { return stopping_; });
}

void FhirDestination::send(OutboundMessage message, std::function<void(SendResult)> done) {
  SendResult result;
  try {
    result = deliver(message);
  } catch (const std::exception& e) {
    result = {SendResult::Status::retry, {}, std::string("fhir destination: ") + e.what()};
  }
  done(std::move(result));
}

SendResult FhirDestination::deliver(const OutboundMessage& message) {
  using Interaction = DestinationSettings::Interaction;
  auto rejected = [](std::string why) { return SendResult{SendResult::Status::rejected, {}, std::move(why)}; };
  boost::system::error_code ec;
  json::value content = json::parse(message.content, ec);
  if (ec || !content.is_object()) return rejected("the message is not a JSON object (a FHIR resource or Bundle)");
  const auto& resource = content.get_object();
  const std::string type = string_at(resource, "resourceType");
  const std::string id = string_at(resource, "id");
  if (type.empty()) return rejected("the message has no resourceType");
  const std::string bundle_type =
      type == "Bundle" ? string_at(resource, "type") : std::string();

  HttpClientRequest request;
  request.headers = {{"Content-Type", "application/fhir+json"}, {"Accept", "application/fhir+json"},
                     {"Prefer", "return=representation"}};
  request.body = message.content;
  const std::string& base = settings_.client.base_url;
  switch (settings_.interaction) {
    case Interaction::automatic:
      if (bundle_type == "transaction" || bundle_type == "batch") {
        request.method = "POST";
        request.url = base;
      } else if (!id.empty()) {
        request.method = "PUT";
        request.url = base + "/" + type + "/" + url_encode(id);
      } else {
        request.method = "POST";
        request.url = base + "/" + type;
      }
      break;
    case Interaction::create:
      request.method = "POST";
      request.url = base + "/" + type;
      break;
    case Interaction::update:
      if (id.empty()) return rejected("interaction update: the " + type + " has no id");
      request.method = "PUT";
      request.url = base + "/" + type + "/" + url_encode(id);
      break;
    case Interaction::conditional_create: {
      std::string error;
      auto search = expand(settings_.if_none_exist, message.vars, error);
      if (!search) return rejected(error);
      request.method = "POST";
      request.url = base + "/" + type;
      request.headers.emplace_back("If-None-Exist", *search);
      break;
    }
    case Interaction::transaction:
    case Interaction::batch: {
      const char* wanted = settings_.interaction == Interaction::transaction ? "transaction" : "batch";
      if (bundle_type != wanted)
        return rejected(std::string("interaction ") + wanted + ": the message is not a " + wanted + " Bundle");
      request.method = "POST";
      request.url = base;
      break;
    }
  }

  const std::string what = request.method + " " + request.url;
  std::chrono::seconds waited{0};
  for (;;) {
    context_.metrics().add_request();
    context_.metrics().add_bytes_out(request.body.size());
    auto answer = client_.request(request);
    // An answer that arrived stands even when stop() came meanwhile: the
    // server has the write, so it must be recorded as sent.
    if (!answer.http.response && answer.http.failure == HttpFailure::cancelled)
      return {SendResult::Status::retry, {}, "stopped before " + what + " was answered"};
    if (!answer.auth_error.empty()) {
      context_.metrics().add_error(ConnectorError::rejected);
      return {SendResult::Status::retry, {}, answer.auth_error};
    }
    if (!answer.http.response) {
      const auto failure = answer.http.failure;
      context_.metrics().add_error(failure == HttpFailure::tls       ? ConnectorError::tls
                                   : failure == HttpFailure::timeout ? ConnectorError::timeout
                                                                     : ConnectorError::io);
      return {SendResult::Status::retry, {}, what + ": " + answer.http.error};
    }
    const auto& response = *answer.http.response;
    context_.metrics().add_bytes_in(response.body.size());
    const int status = response.status;
    if (status >= 200 && status < 300) {
      json::object out;
      describe_result(response, out);
      return {SendResult::Status::sent, json::serialize(out), {}};
    }
    json::object described;
    describe_result(response, described);
    std::string answer_json = json::serialize(described);
    if (status == 408 || status == 429 || status >= 500) {
      auto delay = retry_after(response);
      if (delay && waited + *delay <= kRetryAfterBudget) {
        context_.log(LogLevel::info, what + " answered " + std::to_string(status) + " with Retry-After " +
                                         std::to_string(delay->count()) + " s: asking again then");
        if (!wait(*delay)) return {SendResult::Status::retry, {}, "stopped while waiting for Retry-After"};
        waited += *delay;
        continue;
      }
      std::string text = what + " " + refusal_text(response);
      if (delay) text += " (Retry-After " + std::to_string(delay->count()) + " s)";
      return {SendResult::Status::retry, std::move(answer_json), std::move(text)};
    }
    if (status == 401)
      return {SendResult::Status::retry, std::move(answer_json), what + " " + refusal_text(response)};
    context_.metrics().add_error(ConnectorError::rejected);
    return {SendResult::Status::rejected, std::move(answer_json), what + " " + refusal_text(response)};
  }
}

}  // namespace artery::fhir
