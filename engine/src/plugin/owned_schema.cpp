#include "plugin/owned_schema.hpp"

#include <deque>
#include <string>

namespace artery {
namespace {

// The schema and the text its OptionSpecs point into. A deque never moves
// its strings when it grows, so the c_str() pointers stay put.
struct SchemaWithText final : ConnectorSchema {
  std::deque<std::string> text;
  const char* keep(const char* s) {
    if (!s) return nullptr;
    return text.emplace_back(s).c_str();
  }
};

}  // namespace

std::shared_ptr<const ConnectorSchema> owned_schema(const OptionSpec* options, std::size_t count,
                                                    const char* default_data_type) {
  auto schema = std::make_shared<SchemaWithText>();
  for (std::size_t i = 0; options && i < count; ++i) {
    const OptionSpec& spec = options[i];
    schema->options.push_back({schema->keep(spec.key), schema->keep(spec.type), schema->keep(spec.default_value),
                               spec.required, schema->keep(spec.description)});
  }
  schema->default_data_type = default_data_type ? default_data_type : "";
  return schema;
}

}  // namespace artery
