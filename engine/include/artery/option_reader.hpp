// The one typed reader of connector options. The engine has already checked
// the YAML against the plugin's OptionSpecs (types, unknown keys, required
// keys) and filled in defaults; a plugin reads each value through this, so
// every plugin accepts the same spellings and reports a bad value the same
// way: "file:line:col: key: what is wrong". Reads never throw; the first
// problem is kept in error().
//
//   OptionReader read(options, kSourceOptions, kSourceOptionCount);
//   settings.listen = read.address("listen");
//   settings.idle_timeout = read.duration("idle_timeout");
//   settings.tls = read_tls(read, base_dir);   // nested keys: "tls.cert"
//   if (!read.ok()) { error = read.error(); return nullptr; }
#pragma once
#include <artery/options.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace artery {

class OptionReader {
 public:
  // `specs` supply defaults when the options come from somewhere other than
  // the engine's checked YAML (tests, the command line's flat key=value pairs).
  OptionReader(const ConnectorOptions& options, const OptionSpec* specs, std::size_t count);

  // Whether the key was written (or filled in from a default).
  bool present(std::string_view key) const;
  // The value as written, else the declared default, else "".
  std::string string(std::string_view key) const;
  // A string that must not be empty.
  std::string required(std::string_view key);
  // true/false (also True/TRUE/False/FALSE, as YAML booleans are checked).
  bool boolean(std::string_view key);
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max);
  std::chrono::milliseconds duration(std::string_view key);
  std::uint64_t size(std::string_view key);
  // host:port; nullopt (with an error) when absent or malformed.
  std::optional<Address> address(std::string_view key);
  // Index of the value in `choices`; 0 (with an error) when not one of them.
  std::size_t choice(std::string_view key, std::initializer_list<std::string_view> choices);
  // A list's items as text ([] when absent); a flat "a, b" string is split at commas.
  std::vector<std::string> list(std::string_view key) const;
  // A path resolved against `base` (the channel file's folder); "" stays "".
  std::filesystem::path path(std::string_view key, const std::filesystem::path& base) const;

  // Records a problem with `key` (only the first is kept: it is the one to fix).
  void fail(std::string_view key, const std::string& what);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  std::optional<std::string> value(std::string_view key) const;

  const ConnectorOptions& options_;
  const OptionSpec* specs_;
  std::size_t count_;
  std::string error_;
};

}  // namespace artery
