#include "systemone_settings.hpp"

#include <artery/option_reader.hpp>

#include <iterator>
#include <stdexcept>

namespace artery::systemone {
namespace {

constexpr OptionSpec kSourceOptions[] = {
    {"listen", "address", nullptr, true, "Address and port to accept integrating applications on (SystmOne uses 40700)."},
    {"framing", "enum:newline|close", "newline",
     false, "newline: many requests per connection, each ended by its root element's close (a trailing newline is "
            "optional); close: one request per connection, ended by the root close or by the client closing its side; "
            "the connection is closed after the answer."},
    {"max_request_size", "size", "1MiB", false, "Largest request document; a bigger one is answered with an error and the connection closed."},
    {"idle_timeout", "duration", "5m", false, "Close a connection that sends nothing for this long while no request is in progress."},
    {"max_connections", "int", "64", false, "Connections served at once; when full, the longest-idle silent connection makes room, else the newcomer is closed."},
    {"api_keys", "list", nullptr, false, "Accepted APIKey values (compared in constant time); empty or absent: any key."},
    {"error_style", "enum:tpp|simple", "tpp",
     false, "tpp: <Response><ErrorMessage/><PermanentError/></Response>; simple: <Response><Error>true</Error><ErrorMessage/></Response>."},
    {"device_approval", "enum:auto|none", "auto",
     false, "auto: an empty DeviceID is given a new GUID in the response and known devices are remembered; none: DeviceID echoed as sent."},
    ARTERY_LISTENER_TLS_OPTIONS,
};

constexpr OptionSpec kDestinationOptions[] = {
    {"remote", "address", "127.0.0.1:40700", false, "The SystmOne client's integration socket."},
    {"api_key", "string", nullptr, true, "The APIKey TPP issued for this product."},
    {"device_version", "string", "Artery 0.1", false, "DeviceVersion sent with each request (shown in SystmOne's approval dialog)."},
    {"function", "string", nullptr, false, "Function called when the message does not name one (ctx.vars.function or the content's <Function>)."},
    {"function_version", "string", "1.0", false, "FunctionVersion sent when the message does not give one."},
    {"output_scheme_drugs", "enum:Multilex|Dmd", nullptr, false, "OutputScheme/Drugs added to requests (absent: SystmOne's default, Multilex)."},
    {"output_scheme_codes", "enum:CTV3|Snomed", nullptr, false, "OutputScheme/Codes added to requests (absent: SystmOne's default, CTV3)."},
    {"response_timeout", "duration", "60s", false, "Wait this long for a response (SystmOne may never answer a throttled request); then close and retry."},
    {"connect_timeout", "duration", "5s", false, "Give up connecting after this long (the send is retried)."},
    {"rate_limit", "duration", "1s", false, "Least time between two requests (SystmOne serves 1 per second); 0 turns it off."},
    {"record_rate_limit", "duration", "30s", false, "Least time between two full GetPatientRecord requests (SystmOne serves 1 per 30 s); 0 turns it off."},
    {"max_response_size", "size", "32MiB", false, "Largest response document accepted; a bigger one fails the send permanently."},
    ARTERY_CLIENT_TLS_OPTIONS,
    {"tls.enabled", "bool", "false", false, "Connect with TLS (the server's certificate and host name are verified unless tls.verify_server is false)"},
};

}  // namespace

std::span<const OptionSpec> source_option_specs() { return {kSourceOptions, std::size(kSourceOptions)}; }
std::span<const OptionSpec> destination_option_specs() { return {kDestinationOptions, std::size(kDestinationOptions)}; }

namespace {

void invalid(const ConnectorOptions& options, const std::string& key, const std::string& why) {
  std::string where = options.location_of(key);
  throw std::invalid_argument((where.empty() ? std::string{} : where + ": ") + key + ": " + why);
}

}  // namespace

SourceSettings SourceSettings::read(const ConnectorOptions& options, const std::filesystem::path& base_dir) {
  const auto specs = source_option_specs();
  OptionReader reader(options, specs.data(), specs.size());
  SourceSettings s;
  s.listen = reader.address("listen").value_or(Address{});
  s.close_framing = reader.choice("framing", {"newline", "close"}) == 1;
  s.max_request_size = static_cast<std::size_t>(reader.size("max_request_size"));
  s.idle_timeout = reader.duration("idle_timeout");
  s.max_connections = static_cast<int>(reader.integer("max_connections", 1, 100'000));
  s.api_keys = reader.list("api_keys");
  s.error_style = reader.choice("error_style", {"tpp", "simple"}) == 1 ? ErrorStyle::simple : ErrorStyle::tpp;
  s.auto_approve_devices = reader.choice("device_approval", {"auto", "none"}) == 0;
  s.tls = read_listener_tls(reader, base_dir);
  if (!reader.ok()) throw std::invalid_argument(reader.error());
  if (s.max_request_size == 0) invalid(options, "max_request_size", "must be more than 0");
  return s;
}

DestinationSettings DestinationSettings::read(const ConnectorOptions& options, const std::filesystem::path& base_dir) {
  const auto specs = destination_option_specs();
  OptionReader reader(options, specs.data(), specs.size());
  DestinationSettings s;
  s.remote = reader.address("remote").value_or(Address{});
  s.api_key = reader.required("api_key");
  s.device_version = reader.string("device_version");
  s.function = reader.string("function");
  s.function_version = reader.string("function_version");
  // Optional choices: absent means SystmOne's own default.
  s.output_scheme_drugs = reader.string("output_scheme_drugs");
  if (!s.output_scheme_drugs.empty()) reader.choice("output_scheme_drugs", {"Multilex", "Dmd"});
  s.output_scheme_codes = reader.string("output_scheme_codes");
  if (!s.output_scheme_codes.empty()) reader.choice("output_scheme_codes", {"CTV3", "Snomed"});
  s.response_timeout = reader.duration("response_timeout");
  s.connect_timeout = reader.duration("connect_timeout");
  s.rate_limit = reader.duration("rate_limit");
  s.record_rate_limit = reader.duration("record_rate_limit");
  s.max_response_size = static_cast<std::size_t>(reader.size("max_response_size"));
  s.tls = read_client_tls(reader, base_dir);
  if (!reader.ok()) throw std::invalid_argument(reader.error());
  if (s.max_response_size == 0) invalid(options, "max_response_size", "must be more than 0");
  if (s.response_timeout.count() <= 0) invalid(options, "response_timeout", "must be more than 0");
  if (s.connect_timeout.count() <= 0) invalid(options, "connect_timeout", "must be more than 0");
  return s;
}

}  // namespace artery::systemone
