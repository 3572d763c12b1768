// Connector options: the YAML under source:/destinations[], as a ptree, with
// where each key was written so plugins can point at the line in errors.
#pragma once
#include <boost/property_tree/ptree.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace artery {

// One option a connector accepts. The engine checks channel YAML against these
// (unknown key, wrong type, missing required) and fills in defaults, so a
// plugin can read every declared key without checking.
struct OptionSpec {
  const char* key;            // dotted for nested maps: "tls.cert"
  // string|int|bool|duration|size|address|list|map|enum:a|b|c, or file: a path
  // (relative to the channel file) that must name a readable file when not "".
  const char* type;
  const char* default_value;  // nullptr: no default
  bool required;
  const char* description;
};

struct ConnectorOptions {
  boost::property_tree::ptree tree;
  std::map<std::string, std::string> locations;  // dotted key -> "file:line:col"

  // "file:line:col" of a key, or of the connector block when the key is absent.
  std::string location_of(const std::string& key) const {
    auto it = locations.find(key);
    if (it != locations.end()) return it->second;
    auto self = locations.find("");
    return self == locations.end() ? std::string{} : self->second;
  }
};

// "250ms", "1s", "5m", "2h", "1d" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// "1048576", "512KiB", "1MiB", "1MB", "2GiB".
std::optional<std::uint64_t> parse_size(std::string_view text);
// "host:port", "[::1]:port", ":port"; port 1..65535.
struct Address {
  std::string host;
  std::uint16_t port = 0;
};
std::optional<Address> parse_address(std::string_view text);

// ${name} and ${name:-default} from message variables (ctx.vars, and the
// source's attributes as source.NAME). A name that is not set and has no
// default is an error, never "": nullopt, with `problem` naming the variable,
// so a delivery fails instead of writing every message to one file ".txt".
std::optional<std::string> expand_template(std::string_view text, const std::map<std::string, std::string>& vars,
                                           std::string* problem = nullptr);
// Empty when well formed, else what is wrong ("unclosed ${", "empty ${}", bad name).
std::string check_template(std::string_view text);

}  // namespace artery
