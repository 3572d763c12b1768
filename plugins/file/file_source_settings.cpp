#include "file_source_settings.hpp"

#include "file_option_specs.hpp"
#include <artery/option_reader.hpp>

namespace artery::file_connector {
namespace {

// "a/b/./" and "a/b" must compare equal: no dot parts, no trailing separator.
std::filesystem::path normalized(const std::filesystem::path& p) {
  std::filesystem::path out = p.lexically_normal();
  if (!out.has_filename() && out.has_parent_path() && out != out.root_path()) out = out.parent_path();
  return out;
}

}  // namespace

std::optional<FileSourceSettings> read_source_settings(const ConnectorOptions& options,
                                                       const std::filesystem::path& base_dir, std::string& error) {
  OptionReader read(options, kSourceOptions, kSourceOptionCount);
  FileSourceSettings s;
  s.directory = normalized(base_dir / read.required("directory"));
  s.glob = read.string("glob");
  if (s.glob.empty()) read.fail("glob", "must not be empty");
  s.recursive = read.boolean("recursive");
  s.poll_interval = read.duration("poll_interval");
  if (s.poll_interval.count() <= 0) s.poll_interval = std::chrono::milliseconds(1);
  s.min_age = read.duration("min_age");
  s.sort = read.choice("sort", {"name", "mtime"}) == 0 ? SortOrder::name : SortOrder::mtime;
  s.split = static_cast<SplitMode>(read.choice("split", {"none", "delimiter", "hl7-batch"}));
  s.delimiter = read.string("delimiter");
  if (s.split == SplitMode::delimiter && s.delimiter.empty()) read.fail("delimiter", "must not be empty with split: delimiter");
  s.after = read.choice("after", {"processed", "delete"}) == 0 ? AfterAction::move_to_processed : AfterAction::remove;
  std::string processed = read.string("processed_directory");
  std::string errors = read.string("error_directory");
  if (processed.empty()) read.fail("processed_directory", "must not be empty");
  if (errors.empty()) read.fail("error_directory", "must not be empty");
  s.processed_directory = normalized(s.directory / processed);
  s.error_directory = normalized(s.directory / errors);
  // Both must differ from the polled folder, or files would be picked up again.
  if (s.after == AfterAction::move_to_processed && s.processed_directory == s.directory)
    read.fail("processed_directory", "must not be the polled directory itself");
  if (s.error_directory == s.directory) read.fail("error_directory", "must not be the polled directory itself");
  s.max_file_size = read.size("max_file_size");
  s.max_in_flight = static_cast<std::size_t>(read.integer("max_in_flight", 1, 1'000'000));
  s.create_directories = read.boolean("create_directories");
  if (!read.error().empty()) {
    error = read.error();
    return std::nullopt;
  }
  return s;
}

}  // namespace artery::file_connector
