// Reading and parsing a configuration file, and pointing at places in it.
#include "config/yaml_source.hpp"

#include <fstream>
#include <sstream>

namespace artery::config {
namespace {

// What the user most likely meant, for the YAML errors whose own words point
// elsewhere: an unquoted `glob: *.hl7` is read as an alias named ".hl7", and
// yaml-cpp says "the referenced anchor is not defined".
std::string syntax_hint(const std::string& text, const YAML::Mark& at) {
  if (at.is_null() || at.pos < 0 || static_cast<std::size_t>(at.pos) >= text.size()) return "";
  if (text[static_cast<std::size_t>(at.pos)] == '*') return "; quote values starting with * (e.g. glob: \"*.hl7\")";
  return "";
}

}  // namespace

YamlSource::YamlSource(std::filesystem::path file, Diagnostics& diagnostics)
    : file_(std::move(file)), diagnostics_(diagnostics) {}

bool YamlSource::parse() {
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec)) {
    error(YAML::Mark::null_mark(), "file not found");
    return false;
  }
  if (std::filesystem::is_directory(file_, ec)) {
    error(YAML::Mark::null_mark(), "is a directory, not a YAML file");
    return false;
  }
  std::ifstream in(file_, std::ios::binary);
  if (!in) {
    error(YAML::Mark::null_mark(), "cannot read file");
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();  // sets failbit on `text` for an empty file, which parses as null
  const std::string content = text.str();
  try {
    root_ = YAML::Load(content);
  } catch (const YAML::ParserException& e) {
    error(e.mark, "YAML syntax error: " + e.msg + syntax_hint(content, e.mark));
    return false;
  } catch (const YAML::Exception& e) {
    error(e.mark, "YAML error: " + e.msg);
    return false;
  }
  return true;
}

std::filesystem::path YamlSource::absolute_file() const {
  std::error_code ec;
  auto path = std::filesystem::absolute(file_, ec);
  return (ec ? file_ : path).lexically_normal();
}

std::filesystem::path YamlSource::resolve(const std::string& written) const {
  return (absolute_dir() / written).lexically_normal();
}

std::filesystem::path YamlSource::display_path(const std::string& written) const {
  std::filesystem::path path(written);
  if (path.is_absolute()) return path.lexically_normal();
  auto joined = (file_.parent_path() / path).lexically_normal();
  return joined.empty() ? path : joined;
}

YAML::Mark YamlSource::mark_of(const YAML::Node& node, const YAML::Mark& fallback) {
  // Mark() throws on an invalid (zombie) node, so check first.
  if (!node.IsDefined()) return fallback;
  YAML::Mark mark = node.Mark();
  return mark.is_null() || mark.line < 0 ? fallback : mark;
}

std::string YamlSource::location(const YAML::Mark& mark) const {
  if (mark.is_null() || mark.line < 0) return display();
  return display() + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void YamlSource::error(const YAML::Mark& at, std::string message) {
  Diagnostic d;
  d.file = display();
  if (!at.is_null() && at.line >= 0) {
    d.line = at.line + 1;
    d.column = at.column + 1;
  }
  d.message = std::move(message);
  diagnostics_.push_back(std::move(d));
  ++errors_;
}

void YamlSource::error_in(Diagnostic diagnostic) {
  diagnostics_.push_back(std::move(diagnostic));
  ++errors_;
}

}  // namespace artery::config
