// Typed access to a connector's options. The engine checks channel YAML
// against the declared OptionSpec list and fills defaults; this reader falls
// back to the same declared defaults itself, so a connector built directly
// (tests, `artery send`) sees identical values. Bad values throw
// std::invalid_argument naming the key and its file:line:col.
#pragma once
#include <artery/options.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace artery::systemone {

class ConnectorOptionReader {
 public:
  ConnectorOptionReader(const ConnectorOptions& options, std::span<const OptionSpec> specs)
      : options_(options), specs_(specs) {}

  // The written value, else the declared default; nullopt when neither.
  std::optional<std::string> text(const std::string& key) const;
  std::string string(const std::string& key) const;  // "" when unset and no default
  std::string required_string(const std::string& key) const;
  std::int64_t integer(const std::string& key, std::int64_t min, std::int64_t max) const;
  std::chrono::milliseconds duration(const std::string& key) const;
  std::uint64_t size(const std::string& key) const;
  Address address(const std::string& key) const;
  // A YAML sequence (ptree children) or one comma-separated string.
  std::vector<std::string> list(const std::string& key) const;
  // "true" or "false": the engine's schema check writes every YAML spelling of a bool as one of them.
  bool flag(const std::string& key) const;
  // One of the values of the key's "enum:a|b" type.
  std::string choice(const std::string& key) const;

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  const OptionSpec* spec(const std::string& key) const;

  const ConnectorOptions& options_;
  std::span<const OptionSpec> specs_;
};

}  // namespace artery::systemone
