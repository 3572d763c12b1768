#include "config/consent_config.hpp"

#include "config/channel_config.hpp"
#include "config/closest_name.hpp"
#include "config/map_fields.hpp"
#include "config/option_value.hpp"
#include "config/yaml_source.hpp"

#include "consent/consent_lookup.hpp"
#include "consent/consent_servers.hpp"

#include <artery/hl7.hpp>
#include <artery/message.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace artery {
namespace {

using config::MapEntry;
using config::MapFields;
using config::YamlSource;

const std::vector<std::string> kConsentKeys = {"server",  "patient", "identifier_system", "at",      "category",
                                               "scope",   "purpose", "action",            "actor",   "class",
                                               "default", "on_error", "when_denied",      "auth",    "tls",
                                               "timeout", "cache_ttl"};
const std::vector<std::string> kAuthKeys = {"type", "token", "username", "password"};
const std::vector<std::string> kTlsKeys = {"ca", "cert", "key", "verify_server", "server_name"};
const std::vector<std::string> kWhenDeniedKeys = {"route"};

// PID-3.1, PID-3(2).1: what hl7::Message::get reads.
bool is_hl7_path(std::string_view path) { return hl7::parse_path(path).has_value(); }

// subject.reference, id, entry[0].resource.subject.reference
bool is_json_path(std::string_view path) {
  if (path.empty() || path.front() == '.' || path.back() == '.') return false;
  std::size_t segment = 0;
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '.') {
      if (segment == 0) return false;
      segment = 0;
    } else if (c == '[') {
      auto close = path.find(']', i);
      if (segment == 0 || close == std::string_view::npos || close == i + 1) return false;
      for (std::size_t j = i + 1; j < close; ++j)
        if (!std::isdigit(static_cast<unsigned char>(path[j]))) return false;
      i = close;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      ++segment;
    } else {
      return false;
    }
  }
  return true;
}

bool is_url(std::string_view text) { return text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0; }

bool is_channel_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Diagnostic diagnostic_at(const YamlSource& source, const YAML::Node& node, const YAML::Mark& fallback) {
  Diagnostic d;
  d.file = source.display();
  YAML::Mark mark = YamlSource::mark_of(node, fallback);
  if (!mark.is_null()) {
    d.line = mark.line + 1;
    d.column = mark.column + 1;
  }
  return d;
}

// A path the message is read at, checked for the channel's data type.
bool check_path(MapFields& fields, const MapEntry& entry, const std::string& path, const std::string& data_type,
                const char* key) {
  if (data_type == data_type::hl7v2) {
    if (is_hl7_path(path)) return true;
    fields.error(entry.value, std::string("consent.") + key + ": '" + path +
                                  "' is not an HL7 path (e.g. PID-3.1) for a channel of data_type hl7v2");
    return false;
  }
  if (data_type == data_type::json) {
    if (is_json_path(path)) return true;
    fields.error(entry.value, std::string("consent.") + key + ": '" + path +
                                  "' is not a JSON path (e.g. subject.reference, id, entry[0].resource.id)");
    return false;
  }
  fields.error(entry.value, std::string("consent.") + key + ": the consent filter reads messages of data_type hl7v2 "
                                                            "or json; this channel's is " + data_type);
  return false;
}

}  // namespace

std::optional<ConsentFilterConfig> read_consent_filter(const MapEntry& entry, const std::vector<std::string>& destinations,
                                                       const std::string& data_type, YamlSource& source) {
  const std::size_t errors_before = source.error_count();
  YAML::Mark anchor = YamlSource::mark_of(entry.key_node);
  MapFields fields(entry.value, anchor, "consent", kConsentKeys, source);
  if (!fields.valid()) return std::nullopt;
  ConsentFilterConfig out;
  out.location = source.location(anchor);

  if (const MapEntry* server = fields.require("server")) {
    if (auto text = fields.string("server")) {
      out.server = *text;
      out.server_at = diagnostic_at(source, server->value, anchor);
      if (is_url(*text)) {
        out.base_url = *text;
        while (!out.base_url.empty() && out.base_url.back() == '/') out.base_url.pop_back();
      } else if (is_channel_name(*text)) {
        out.server_is_channel = true;
      } else {
        fields.error(server->value, "consent.server: '" + *text +
                                        "' is neither an http(s) URL nor a channel name (lowercase letters, digits, '-')");
      }
    }
  }
  if (const MapEntry* patient = fields.require("patient")) {
    if (auto text = fields.string("patient")) {
      out.patient = *text;
      if (check_path(fields, *patient, *text, data_type, "patient")) out.patient_is_hl7 = data_type == data_type::hl7v2;
    }
  }
  out.identifier_system = fields.string("identifier_system").value_or("");
  if (const MapEntry* at = fields.find("at")) {
    if (auto text = fields.string("at")) {
      out.at = *text;
      if (*text != "received") check_path(fields, *at, *text, data_type, "at");
    }
  }
  out.category = fields.string("category").value_or("");
  if (auto scope = fields.choice("scope", "enum:patient-privacy|research|treatment|adr")) out.scope = *scope;
  out.purpose = fields.string("purpose").value_or("");
  out.action = fields.string("action").value_or("");
  out.actor = fields.string("actor").value_or("");
  out.data_class = fields.string("class").value_or("");
  if (auto rule = fields.choice("default", "enum:deny|permit")) out.default_permit = *rule == "permit";
  if (auto rule = fields.choice("on_error", "enum:deny|allow")) out.on_error_allow = *rule == "allow";
  if (auto timeout = fields.duration("timeout")) out.timeout = *timeout;
  if (auto ttl = fields.duration("cache_ttl")) out.cache_ttl = *ttl;

  if (const MapEntry* denied = fields.find("when_denied")) {
    if (denied->value.IsScalar()) {
      if (denied->value.Scalar() != "drop")
        fields.error(denied->value, "consent.when_denied: expected drop or {route: <destination>}, got '" +
                                        denied->value.Scalar() + "'");
    } else {
      MapFields when(denied->value, YamlSource::mark_of(denied->key_node), "consent.when_denied", kWhenDeniedKeys,
                     source);
      if (when.valid()) {
        if (const MapEntry* route = when.require("route")) {
          if (auto name = when.string("route")) {
            out.route = *name;
            if (std::find(destinations.begin(), destinations.end(), *name) == destinations.end()) {
              std::string known;
              for (const auto& d : destinations) known += (known.empty() ? "" : ", ") + d;
              when.error(route->value, "consent.when_denied.route: no enabled destination '" + *name + "' in this channel" +
                                           config::did_you_mean(*name, destinations) +
                                           "; enabled destinations: " + (known.empty() ? "(none)" : known));
            }
          }
        }
      }
    }
  }

  if (const MapEntry* auth = fields.find("auth")) {
    MapFields a(auth->value, YamlSource::mark_of(auth->key_node), "consent.auth", kAuthKeys, source);
    if (a.valid()) {
      if (auto type = a.choice("type", "enum:none|bearer|basic")) out.auth_type = *type;
      out.token = a.string("token").value_or("");
      out.username = a.string("username").value_or("");
      out.password = a.string("password").value_or("");
      if (out.auth_type == "bearer" && out.token.empty())
        a.error(auth->value, "consent.auth: type bearer needs 'token'");
      if (out.auth_type == "basic" && out.username.empty())
        a.error(auth->value, "consent.auth: type basic needs 'username' (and 'password')");
    }
  }
  if (const MapEntry* tls = fields.find("tls")) {
    MapFields t(tls->value, YamlSource::mark_of(tls->key_node), "consent.tls", kTlsKeys, source);
    if (t.valid()) {
      for (const char* key : {"ca", "cert", "key"}) {
        auto written = t.string(key);
        if (!written) continue;
        std::string resolved = source.resolve(*written).string();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(resolved, ec))
          t.error(t.find(key)->value, std::string("'tls.") + key + "' in consent: file not found: " + *written);
        (key == std::string("ca") ? out.tls.ca : key == std::string("cert") ? out.tls.cert : out.tls.key) = resolved;
      }
      if (out.tls.cert.empty() != out.tls.key.empty())
        t.error(tls->value, "consent.tls: tls.cert and tls.key go together");
      if (auto verify = t.boolean("verify_server")) out.tls.verify_peer = *verify;
      out.tls.server_name = t.string("server_name").value_or("");
    }
  }
  if (source.error_count() != errors_before) return std::nullopt;
  return out;
}

void resolve_consent_servers(std::vector<ChannelConfig>& channels, Diagnostics& diagnostics) {
  std::map<std::string, const ChannelConfig*> by_name;
  for (const auto& channel : channels) by_name[channel.name] = &channel;
  // Scripts' consent.permits{server = "<channel>"} resolve through the same listeners.
  for (const auto& channel : channels) {
    const auto& tree = channel.source.options.tree;
    if (channel.source.type == "fhir" && tree.get<std::string>("mode", "listen") == "listen")
      consent::remember_local_listener(channel.name,
                                       consent::local_base_url(tree.get<std::string>("listen", "127.0.0.1:8090"),
                                                               tree.get<std::string>("base_path", "/fhir"),
                                                               tree.get<std::string>("tls.enabled", "false") == "true"));
  }
  std::set<std::string> refused;
  for (auto& channel : channels) {
    if (!channel.consent || !channel.consent->server_is_channel) continue;
    auto& consent = *channel.consent;
    auto report = [&](std::string message) {
      Diagnostic d = consent.server_at;
      d.message = std::move(message);
      diagnostics.push_back(std::move(d));
      refused.insert(channel.name);
    };
    auto it = by_name.find(consent.server);
    if (it == by_name.end()) {
      std::vector<std::string> names;
      for (const auto& [name, c] : by_name)
        if (c->source.type == "fhir") names.push_back(name);
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      report("consent.server: no channel '" + consent.server + "' (a URL, or a channel with a FHIR listener" +
             config::did_you_mean(consent.server, names) + "; FHIR channels: " + (known.empty() ? "(none)" : known) +
             ")");
      continue;
    }
    const ChannelConfig& server = *it->second;
    const auto& tree = server.source.options.tree;
    if (server.source.type != "fhir" || tree.get<std::string>("mode", "listen") != "listen") {
      report("consent.server: channel '" + consent.server + "' has no FHIR listener (its source is " +
             server.source.type + ")");
      continue;
    }
    if (tree.get<std::string>("repository", "false") != "true") {
      report("consent.server: channel '" + consent.server + "' keeps no resources (its source has no repository: true)");
      continue;
    }
    std::string listen = tree.get<std::string>("listen", "127.0.0.1:8090");
    std::string base_path = tree.get<std::string>("base_path", "/fhir");
    bool tls = tree.get<std::string>("tls.enabled", "false") == "true";
    consent.base_url = consent::local_base_url(listen, base_path, tls);
  }
  channels.erase(std::remove_if(channels.begin(), channels.end(),
                                [&](const ChannelConfig& c) { return refused.count(c.name) > 0; }),
                 channels.end());
}

}  // namespace artery
