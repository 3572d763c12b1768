// Typed reads of connector options, with errors that point at the YAML line.
#pragma once
#include <artery/options.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace artery::file_connector {

class OptionReader {
 public:
  OptionReader(const ConnectorOptions& options, const OptionSpec* specs, std::size_t count)
      : options_(options), specs_(specs), count_(count) {}

  // The value as written, else the declared default, else "". The engine fills
  // defaults already; falling back here keeps the plugin correct when handed a
  // bare tree (tests, tools).
  std::string text(const char* key) const;
  bool boolean(const char* key);
  std::chrono::milliseconds duration(const char* key);
  std::uint64_t size(const char* key);
  std::int64_t integer(const char* key, std::int64_t min, std::int64_t max);
  // Index of the value in `choices`; 0 (with an error recorded) when not one of them.
  std::size_t choice(const char* key, std::initializer_list<std::string_view> choices);
  // A string that must not be empty.
  std::string required(const char* key);

  // The first problem found, as "file:line:col: key: what" (or without the location
  // when the options carry none); empty when all reads succeeded.
  const std::string& error() const { return error_; }
  void fail(const char* key, const std::string& what);

 private:
  const ConnectorOptions& options_;
  const OptionSpec* specs_;
  std::size_t count_;
  std::string error_;
};

}  // namespace artery::file_connector
