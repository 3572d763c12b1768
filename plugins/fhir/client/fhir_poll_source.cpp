#include "client/fhir_poll_source.hpp"

#include "client/fhir_instant.hpp"
#include "client/server_answer.hpp"
#include "fhir_options.hpp"

#include <artery/option_reader.hpp>

#include <boost/json.hpp>

#include <future>

namespace artery::fhir {
namespace {

namespace json = boost::json;

constexpr const char* kMarkKey = "mark";

std::string string_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace

PollSettings read_poll_settings(const ConnectorOptions& options, const std::filesystem::path& base_dir) {
  OptionReader read(options, kSourceOptions, kSourceOptionCount);
  PollSettings settings;
  settings.client = read_client_settings(read, base_dir, true);
  settings.resource_type = read.string("resource_type");
  settings.search = read.string("search");
  settings.interval = read.duration("interval");
  settings.initial_mark = read.string("initial_mark");
  if (settings.search.find("${type}") != std::string::npos && settings.resource_type.empty())
    read.fail("resource_type", "the search names ${type}: say which resource type to poll");
  if (!settings.initial_mark.empty() && !instant_micros(settings.initial_mark))
    read.fail("initial_mark", "expected an instant such as 2024-01-01T00:00:00Z, got '" + settings.initial_mark + "'");
  if (settings.interval.count() <= 0) read.fail("interval", "must be more than 0");
  if (!read.ok()) throw std::runtime_error(read.error());
  return settings;
}

PollMark PollMark::parse(const std::string& text) {
  PollMark out;
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object()) return out;
  out.instant = string_at(value.get_object(), "instant");
  if (const auto* ids = value.get_object().if_contains("ids"); ids && ids->is_array())
    for (const auto& id : ids->get_array())
      if (id.is_string()) out.ids.emplace(id.get_string());
  return out;
}

std::string PollMark::json() const {
  json::array list;
  for (const auto& id : ids) list.emplace_back(id);
  return json::serialize(json::object{{"instant", instant}, {"ids", std::move(list)}});
}

std::string first_page_url(const PollSettings& settings, const std::string& mark) {
  std::string search = replace_all(settings.search, "${type}", settings.resource_type);
  if (mark.empty()) {
    // No mark yet: everything, so the parameter comparing with it goes.
    const auto question = search.find('?');
    if (question != std::string::npos) {
      std::string kept;
      std::size_t at = question + 1;
      while (at <= search.size()) {
        const auto amp = std::min(search.find('&', at), search.size());
        const std::string parameter = search.substr(at, amp - at);
        if (!parameter.empty() && parameter.find("${mark}") == std::string::npos)
          kept += (kept.empty() ? "" : "&") + parameter;
        at = amp + 1;
      }
      search = search.substr(0, question) + (kept.empty() ? "" : "?" + kept);
    }
  } else {
    search = replace_all(search, "${mark}", url_encode(mark));
  }
  while (!search.empty() && search.front() == '/') search.erase(0, 1);
  return settings.client.base_url + "/" + search;
}

FhirPollSource::FhirPollSource(PollSettings settings, ConnectorContext& context)
    : settings_(std::move(settings)), context_(context), client_(settings_.client) {}

FhirPollSource::~FhirPollSource() { stop(); }

bool FhirPollSource::start(SourceHost& host, std::string& error) {
  try {
    if (auto stored = context_.state_get(kMarkKey)) mark_ = PollMark::parse(*stored);
    else mark_.instant = settings_.initial_mark;
  } catch (const std::exception& e) {
    error = std::string("reading the stored poll mark: ") + e.what();
    return false;
  }
  if (settings_.client.base_url.rfind("https://", 0) == 0 && !settings_.client.http.tls.verify_peer)
    context_.log(LogLevel::warn, "tls.verify_server is off: the server's certificate and name are NOT checked");
  host_ = &host;
  stopping_ = false;
  client_.reset_cancel();
  thread_ = std::thread([this] { run(); });
  return true;
}

void FhirPollSource::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  client_.cancel();
  if (thread_.joinable()) thread_.join();
}

bool FhirPollSource::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void FhirPollSource::run() {
  while (!stopping()) {
    try {
      poll();
    } catch (const std::exception& e) {
      context_.log(LogLevel::error, std::string("poll failed: ") + e.what());
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, settings_.interval, [&] { return stopping_; });
  }
}

bool FhirPollSource::hand_over(const std::string& content, const std::string& type, const std::string& id,
                               const std::string& version, const std::string& last_updated) {
  Message message;
  message.content = content;
  message.data_type = data_type::json;
  message.attributes = {{"fhir.resource_type", type},
                        {"fhir.id", id},
                        {"fhir.version", version},
                        {"fhir.last_updated", last_updated}};
  auto answer = std::make_shared<std::promise<Disposition>>();
  auto future = answer->get_future();
  host_->submit(std::move(message), [answer](Disposition d) { answer->set_value(std::move(d)); });
  // Waited for even while stopping: stop() returns only once this message's fate is known.
  const Disposition d = future.get();
  if (d.status == Disposition::Status::unavailable) {
    context_.log(LogLevel::warn, type + "/" + id + " was not stored (" + d.error + "): asking again at the next poll");
    return false;
  }
  // accepted and filtered, and also errored/rejected: those are stored (as
  // ERROR, to reprocess), so handing them over again would store them twice.
  return true;
}

void FhirPollSource::poll() {
  const PollMark start = mark_;
  const auto start_micros = start.instant.empty() ? std::optional<std::int64_t>() : instant_micros(start.instant);
  const std::string origin = [&] {
    std::string problem;
    return HttpUrl::parse(settings_.client.base_url, problem)->origin();
  }();
  std::string url = first_page_url(settings_, start.instant);
  std::optional<std::int64_t> mark_micros = start_micros;
  int pages = 0;
  std::size_t handed = 0;
  while (!url.empty() && !stopping()) {
    context_.metrics().add_request();
    auto answer = client_.request({"GET", url, {{"Accept", "application/fhir+json"}}, {}});
    if (stopping()) return;
    if (!answer.auth_error.empty()) {
      context_.metrics().add_error(ConnectorError::rejected);
      context_.log(LogLevel::error, "poll: " + answer.auth_error);
      return;
    }
    if (!answer.http.response) {
      context_.metrics().add_error(answer.http.failure == HttpFailure::tls       ? ConnectorError::tls
                                   : answer.http.failure == HttpFailure::timeout ? ConnectorError::timeout
                                                                                 : ConnectorError::io);
      context_.log(LogLevel::error, "poll GET " + url + ": " + answer.http.error);
      return;
    }
    const auto& response = *answer.http.response;
    context_.metrics().add_bytes_in(response.body.size());
    if (response.status != 200) {
      context_.metrics().add_error(ConnectorError::rejected);
      context_.log(LogLevel::error, "poll GET " + url + " " + refusal_text(response));
      return;
    }
    boost::system::error_code ec;
    auto bundle = json::parse(response.body, ec);
    if (ec || !bundle.is_object() || string_at(bundle.get_object(), "resourceType") != "Bundle") {
      context_.metrics().add_error(ConnectorError::protocol);
      context_.log(LogLevel::error, "poll GET " + url + ": the answer is not a Bundle");
      return;
    }
    ++pages;
    const auto& page = bundle.get_object();
    if (const auto* entries = page.if_contains("entry"); entries && entries->is_array()) {
      for (const auto& entry : entries->get_array()) {
        if (!entry.is_object()) continue;
        if (const auto* search = entry.get_object().if_contains("search"); search && search->is_object()) {
          const std::string mode = string_at(search->get_object(), "mode");
          if (!mode.empty() && mode != "match") continue;  // _include'd resources and outcomes
        }
        const auto* resource = entry.get_object().if_contains("resource");
        if (!resource || !resource->is_object()) continue;
        const auto& object = resource->get_object();
        const std::string type = string_at(object, "resourceType");
        const std::string id = string_at(object, "id");
        std::string version, last_updated;
        if (const auto* meta = object.if_contains("meta"); meta && meta->is_object()) {
          version = string_at(meta->get_object(), "versionId");
          last_updated = string_at(meta->get_object(), "lastUpdated");
        }
        const std::string key = type + "/" + id;
        const auto micros = instant_micros(last_updated);
        // Already handed over: older than the mark (a server ignoring the
        // filter), or at the mark and among the ids seen there.
        if (micros && start_micros && (*micros < *start_micros || (*micros == *start_micros && start.ids.count(key))))
          continue;
        if (micros && mark_micros && *micros == *mark_micros && mark_.ids.count(key)) continue;
        if (!hand_over(json::serialize(object), type, id, version, last_updated)) return;
        ++handed;
        if (!micros) {
          context_.log(LogLevel::warn, key + " has no meta.lastUpdated: the mark cannot move past it");
          continue;
        }
        if (!mark_micros || *micros > *mark_micros) {
          mark_micros = micros;
          mark_.instant = last_updated;
          mark_.ids.clear();
        }
        if (*micros == *mark_micros) mark_.ids.insert(key);
        context_.state_put(kMarkKey, mark_.json());
      }
    }
    std::string next;
    if (const auto* links = page.if_contains("link"); links && links->is_array())
      for (const auto& link : links->get_array())
        if (link.is_object() && string_at(link.get_object(), "relation") == "next")
          next = string_at(link.get_object(), "url");
    if (!next.empty()) {
      std::string problem;
      auto parsed = HttpUrl::parse(next, problem);
      // The credentials go only to the server they are for.
      if (!parsed || parsed->origin() != origin) {
        context_.log(LogLevel::error, "poll: Bundle.link next '" + next + "' is not on " + origin + ": not followed");
        next.clear();
      } else if (next == url) {
        next.clear();
      }
    }
    url = next;
  }
  if (handed > 0)
    context_.log(LogLevel::info, "poll: " + std::to_string(handed) + " resources from " + std::to_string(pages) +
                                     " pages, mark " + mark_.instant);
}

}  // namespace artery::fhir
