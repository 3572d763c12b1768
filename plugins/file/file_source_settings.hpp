// The file source's options, checked and with paths resolved.
#pragma once
#include <artery/options.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace artery::file_connector {

enum class SortOrder { name, mtime };
enum class SplitMode { none, delimiter, hl7_batch };
enum class AfterAction { move_to_processed, remove };

struct FileSourceSettings {
  std::filesystem::path directory;  // absolute when base_dir is
  std::string glob = "*";
  bool recursive = false;
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds min_age{1000};
  SortOrder sort = SortOrder::name;
  SplitMode split = SplitMode::none;
  std::string delimiter = "\n";
  AfterAction after = AfterAction::move_to_processed;
  std::filesystem::path processed_directory;  // resolved against `directory`
  std::filesystem::path error_directory;      // resolved against `directory`
  std::uint64_t max_file_size = 64ull << 20;
  std::size_t max_in_flight = 256;
  bool create_directories = true;
};

// nullopt with `error` ("file:line:col: key: what") when an option is invalid.
std::optional<FileSourceSettings> read_source_settings(const ConnectorOptions& options,
                                                       const std::filesystem::path& base_dir, std::string& error);

}  // namespace artery::file_connector
