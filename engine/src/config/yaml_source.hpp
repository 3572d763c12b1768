// One YAML configuration file being read: its parsed root, the name it goes by
// in messages, and the diagnostics found in it (each at file:line:col).
#pragma once
#include "config/diagnostic.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

namespace artery::config {

class YamlSource {
 public:
  // `file` is kept as given for messages (a relative path stays relative, as
  // the user typed it); absolute() is used for anything resolved from it.
  YamlSource(std::filesystem::path file, Diagnostics& diagnostics);

  // Reads and parses the file; false (with a diagnostic) when it cannot be
  // read or is not YAML. An empty file parses to a null root.
  bool parse();

  const YAML::Node& root() const { return root_; }
  const std::filesystem::path& file() const { return file_; }
  std::string display() const { return file_.string(); }
  std::filesystem::path absolute_file() const;
  std::filesystem::path absolute_dir() const { return absolute_file().parent_path(); }

  // A path written in this file, resolved against its folder.
  std::filesystem::path resolve(const std::string& written) const;
  // The same path as it should appear in messages (relative when the file was
  // named relatively), e.g. channels/../scripts/x.lua -> scripts/x.lua.
  std::filesystem::path display_path(const std::string& written) const;

  // Where a node was written; `fallback` when the node carries no position
  // (an absent key, a null made up by the parser).
  static YAML::Mark mark_of(const YAML::Node& node, const YAML::Mark& fallback = YAML::Mark::null_mark());
  std::string location(const YAML::Mark& mark) const;

  void error(const YAML::Mark& at, std::string message);
  void error(const YAML::Node& at, std::string message) { error(mark_of(at), std::move(message)); }
  // A problem located in another file this one refers to (a Lua script).
  void error_in(Diagnostic diagnostic);
  std::size_t error_count() const { return errors_; }

 private:
  std::filesystem::path file_;
  Diagnostics& diagnostics_;
  YAML::Node root_;
  std::size_t errors_ = 0;
};

}  // namespace artery::config
