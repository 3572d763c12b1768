// Loading channel YAML: the engine's keys are read here, plugin keys are
// checked against the plugin's schema (connector_options_check), and every
// problem is reported at its file:line:col before anything is deployed.
#include "config/channel_config.hpp"

#include "cluster/clustered_channel.hpp"
#include "config/closest_name.hpp"
#include "config/connector_options_check.hpp"
#include "config/map_fields.hpp"
#include "config/option_value.hpp"
#include "config/yaml_source.hpp"
#include "lua/script.hpp"

#include <artery/hl7.hpp>

#include <algorithm>
#include <charconv>
#include <functional>
#include <set>
#include <system_error>
#include <tuple>

namespace artery {
namespace {

namespace fs = std::filesystem;
using config::MapEntry;
using config::MapFields;
using config::YamlSource;

const std::vector<std::string> kChannelKeys = {"name",    "description", "enabled",   "source",       "script",
                                               "workers", "ack",         "retention", "destinations", "tests",
                                               "consent",     "cluster"};
const std::vector<std::string> kClusterKeys = {"stream", "replicas", "ack_wait", "max_deliver", "batch",
                                               "order",  "key",      "partitions"};
const std::vector<std::string> kSourceEngineKeys = {"type", "data_type"};
const std::vector<std::string> kDestinationEngineKeys = {"name", "type", "enabled", "script", "retry", "after"};
// The queue of router.route() deliveries has this name in every channel with a script.
constexpr std::string_view kReservedDestinationName = "router";
const std::vector<std::string> kRetryKeys = {"max", "initial", "max_delay", "retry_rejected"};
const std::vector<std::string> kRetentionKeys = {"days", "count"};
const std::vector<std::string> kTestKeys = {"name", "input", "input_text", "source", "expect"};
const std::vector<std::string> kExpectKeys = {"vars",           "output_contains",   "output_equals", "filtered",
                                              "error_contains", "response_contains", "destinations"};
const std::vector<std::string> kDestinationExpectKeys = {"output_contains", "output_equals", "filtered",
                                                         "error_contains", "filename"};
constexpr std::string_view kDataTypes = "enum:hl7v2|xml|json|text";

// Channel and destination names end up in URLs, metric labels and file names.
bool is_valid_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "(none)" : out;
}

// One channel file read, with where its name was written (for duplicate
// names across files, found only once all files are read).
struct LoadedChannel {
  std::optional<ChannelConfig> config;
  std::string name;
  YAML::Mark name_mark = YAML::Mark::null_mark();
};

class ChannelReader {
 public:
  ChannelReader(const fs::path& file, const PluginCatalog& plugins, Diagnostics& diagnostics)
      : source_(file, diagnostics), plugins_(plugins) {}

  LoadedChannel read() {
    LoadedChannel out;
    if (!source_.parse()) return out;
    const YAML::Node& root = source_.root();
    if (root.IsNull()) {
      source_.error(YAML::Mark::null_mark(), "channel file is empty");
      return out;
    }
    YAML::Mark root_mark = YamlSource::mark_of(root);
    if (!root.IsMap()) {
      source_.error(root_mark, "a channel file must be a map of keys (name, source, ...), got " +
                                   config::describe_value(root));
      return out;
    }
    MapFields fields(root, root_mark, "channel", kChannelKeys, source_);
    ChannelConfig channel;
    channel.file = source_.absolute_file();

    if (const MapEntry* name = fields.require("name")) {
      if (auto text = fields.string("name")) {
        out.name = *text;
        out.name_mark = YamlSource::mark_of(name->value);
        if (!is_valid_name(*text))
          fields.error(name->value, "invalid channel name '" + *text + "': use lowercase letters, digits and '-'");
        channel.name = *text;
      }
    }
    if (fields.find("description") && !fields.find("description")->value.IsNull())
      channel.description = fields.string("description").value_or("");
    channel.enabled = fields.boolean("enabled").value_or(true);
    // A worker is a Lua state and a thread; thousands would only thrash.
    if (auto workers = fields.integer("workers", 1, 1024)) channel.workers = static_cast<int>(*workers);
    if (auto ack = fields.choice("ack", "enum:after-store|after-delivery"))
      channel.ack = *ack == "after-delivery" ? AckMode::after_delivery : AckMode::after_store;
    if (const MapEntry* entry = fields.find("retention")) channel.retention = read_retention(*entry);
    if (const MapEntry* entry = fields.find("script")) channel.script = read_script(*entry, fields);

    if (const MapEntry* entry = fields.require("source")) read_source(*entry, channel);
    if (const MapEntry* entry = fields.find("destinations")) read_destinations(*entry, channel);
    if (const MapEntry* entry = fields.find("tests")) read_tests(*entry, channel);
    if (const MapEntry* entry = fields.find("consent")) {
      std::vector<std::string> names;
      for (const auto& dest : channel.destinations)
        if (dest.enabled) names.push_back(dest.name);  // a denied message must go somewhere that delivers
      channel.consent = read_consent_filter(*entry, names, channel.data_type, source_);
    }
    if (const MapEntry* entry = fields.find("cluster")) {
      channel_data_type_ = channel.data_type;
      channel.cluster = read_cluster(*entry);
    }

    if (source_.error_count() == 0) out.config = std::move(channel);
    return out;
  }

 private:
  RetentionPolicy read_retention(const MapEntry& entry) {
    RetentionPolicy out;
    MapFields fields(entry.value, YamlSource::mark_of(entry.key_node), "retention", kRetentionKeys, source_);
    if (auto days = fields.number("days"))
      out.max_age = std::chrono::milliseconds(static_cast<std::int64_t>(*days * 86'400'000.0));
    if (auto count = fields.integer("count", 1)) out.max_count = *count;
    return out;
  }

  ChannelClusterBlock read_cluster(const MapEntry& entry) {
    ChannelClusterBlock out;
    const YAML::Mark anchor = YamlSource::mark_of(entry.key_node);
    out.location = source_.location(anchor);
    out.line = anchor.line;
    out.column = anchor.column;
    MapFields fields(entry.value, anchor, "cluster", kClusterKeys, source_);
    if (auto stream = fields.string("stream")) {
      // JetStream refuses these in a stream name.
      if (stream->empty() || stream->find_first_of(" \t.*>/\\") != std::string::npos)
        fields.error(fields.find("stream")->value,
                     "invalid stream name '" + *stream + "': no spaces, '.', '*', '>', '/' or '\\'");
      out.stream = *stream;
    }
    if (auto replicas = fields.integer("replicas", 1, 5)) out.replicas = static_cast<int>(*replicas);
    if (auto wait = fields.duration("ack_wait")) {
      if (wait->count() < 1000) fields.error(fields.find("ack_wait")->value, "'ack_wait' in cluster must be at least 1s");
      out.ack_wait = *wait;
    }
    if (auto deliver = fields.integer("max_deliver", -1, 1'000'000)) {
      if (*deliver == 0) fields.error(fields.find("max_deliver")->value, "'max_deliver' must be -1 (unlimited) or at least 1");
      out.max_deliver = static_cast<int>(*deliver);
    }
    if (auto batch = fields.integer("batch", 1, 10'000)) out.batch = static_cast<int>(*batch);
    if (auto order = fields.choice("order", "enum:none|per-key")) out.per_key = *order == "per-key";
    // key and partitions mean something only with per-key: written without
    // it, the channel would silently keep no order.
    for (const char* key : {"key", "partitions"})
      if (const MapEntry* given = fields.find(key); given && !out.per_key)
        fields.error(given->key_node, std::string("'") + key + "' in cluster needs order: per-key");
    if (auto partitions = fields.integer("partitions", 1, 1024)) out.partitions = static_cast<int>(*partitions);
    if (auto key = fields.string("key")) {
      const YAML::Node& at = fields.find("key")->value;
      if (key->find("${") != std::string::npos) {
        // The receiving half runs no script: only the source's attributes
        // are there to read, and any other variable would never be set.
        if (auto problem = check_template(*key); !problem.empty()) {
          fields.error(at, "key: " + problem);
        } else {
          for (auto open = key->find("${"); open != std::string::npos; open = key->find("${", open + 2)) {
            const std::string name = key->substr(open + 2, key->find_first_of(":}", open + 2) - open - 2);
            if (name.rfind("source.", 0) != 0)
              fields.error(at, "key: ${" + name + "} is not set when the key is read (before the script); "
                               "use the source's attributes, ${source.<attribute>}");
          }
        }
      } else if (std::string why; !hl7::parse_path(*key, &why)) {
        fields.error(at, "key '" + *key + "' is neither an HL7 path (such as PID-3.1) nor a ${source.<attribute>} template: " + why);
      } else if (channel_data_type_ != data_type::hl7v2) {
        fields.error(at, "key '" + *key + "' is an HL7 path, but this channel reads " + channel_data_type_ +
                             " (use a ${source.<attribute>} template)");
      }
      out.key = *key;
    } else if (out.per_key && channel_data_type_ != data_type::hl7v2) {
      fields.error(entry.key_node, "order: per-key on a " + channel_data_type_ +
                                       " channel needs a key (a ${source.<attribute>} template): the default, PID-3.1, is HL7");
    }
    return out;
  }

  // A script path: resolved against the YAML's folder, must exist and compile.
  fs::path read_script(const MapEntry& entry, MapFields& fields) {
    auto written = fields.string("script");
    if (!written) return {};
    if (written->empty()) {
      fields.error(entry.value, "script path is empty");
      return {};
    }
    fs::path path = source_.resolve(*written);
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      fields.error(entry.value, "script not found: " + *written);
      return path;
    }
    if (!fs::is_regular_file(path, ec)) {
      fields.error(entry.value, "script is not a file: " + *written);
      return path;
    }
    std::string problem = lua::check_syntax(path);
    if (problem.empty()) return path;
    // check_syntax says "line N: message": point into the Lua file itself.
    int line = 0;
    if (problem.rfind("line ", 0) == 0) {
      auto colon = problem.find(':', 5);
      auto [end, parse_error] = std::from_chars(problem.data() + 5, problem.data() + std::min(colon, problem.size()), line);
      if (parse_error == std::errc{} && colon != std::string::npos && end == problem.data() + colon) {
        std::string message = problem.substr(colon + 1);
        if (!message.empty() && message.front() == ' ') message.erase(0, 1);
        source_.error_in({source_.display_path(*written).string(), line, 1, "lua syntax error: " + message});
        return path;
      }
    }
    fields.error(entry.value, "script " + *written + ": " + problem);
    return path;
  }

  std::vector<std::string> types_with(bool source_side) const {
    std::vector<std::string> out;
    for (const auto& type : plugins_.types())
      if (source_side ? plugins_.source_schema(type) != nullptr : plugins_.destination_schema(type) != nullptr)
        out.push_back(type);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  void read_source(const MapEntry& entry, ChannelConfig& channel) {
    YAML::Mark anchor = YamlSource::mark_of(entry.key_node);
    MapFields fields(entry.value, anchor, "source", {}, source_);
    if (!fields.valid()) return;
    channel.source.location = source_.location(anchor);
    auto data_type = fields.choice("data_type", kDataTypes);
    const MapEntry* type = fields.require("type");
    if (!type) return;
    auto name = fields.string("type");
    if (!name) return;
    channel.source.type = *name;
    const ConnectorSchema* schema = plugins_.source_schema(*name);
    if (!schema) {
      if (plugins_.destination_schema(*name))
        fields.error(type->value, "plugin '" + *name + "' has no source; source types: " + join(types_with(true)));
      else
        fields.error(type->value, "unknown source type '" + *name + "'; known: " + join(types_with(true)));
      return;
    }
    channel.data_type = data_type ? *data_type
                                  : (schema->default_data_type.empty() ? std::string(data_type::text)
                                                                       : schema->default_data_type);
    channel.source.options = config::check_connector_options(entry.value, anchor, *schema, kSourceEngineKeys,
                                                             *name + " source", source_);
  }

  void read_destinations(const MapEntry& entry, ChannelConfig& channel) {
    if (entry.value.IsNull()) return;  // `destinations:` with none: a channel that only answers
    if (!entry.value.IsSequence()) {
      source_.error(entry.value, "wrong type for 'destinations' in channel: expected a list, got " +
                                     config::describe_value(entry.value));
      return;
    }
    std::map<std::string, YAML::Mark> names;
    std::size_t index = 0;
    for (const auto& item : entry.value) {
      ++index;
      auto destination = read_destination(item, index, names);
      if (destination) channel.destinations.push_back(std::move(*destination));
    }
    check_after(channel);
  }

  // `after:` names one of the channel's other destinations, and the waits form no cycle.
  void check_after(const ChannelConfig& channel) {
    std::vector<std::string> known;
    for (const auto& dest : channel.destinations) known.push_back(dest.name);
    std::map<std::string, const std::vector<AwaitedName>*> graph;
    for (const auto& [name, awaited] : awaited_) {
      for (const auto& item : awaited) {
        if (item.name == name) {
          source_.error(item.mark, "destination '" + name + "' cannot wait for itself");
        } else if (std::find(known.begin(), known.end(), item.name) == known.end()) {
          source_.error(item.mark, "destination '" + name + "' waits for unknown destination '" + item.name + "'" +
                                       config::did_you_mean(item.name, known) + "; destinations: " + join(known));
        }
      }
      graph[name] = &awaited;
    }
    // Depth-first; a destination met again while still on the path closes a cycle.
    std::map<std::string, int> state;  // 1 on the path, 2 done
    std::vector<std::string> path;
    std::function<void(const std::string&)> visit = [&](const std::string& name) {
      state[name] = 1;
      path.push_back(name);
      if (auto it = graph.find(name); it != graph.end()) {
        for (const auto& item : *it->second) {
          if (item.name == name) continue;
          if (state[item.name] == 1) {
            std::string cycle;
            for (auto at = std::find(path.begin(), path.end(), item.name); at != path.end(); ++at)
              cycle += *at + " -> ";
            source_.error(item.mark, "destinations wait for each other in a cycle: " + cycle + item.name);
          } else if (state[item.name] == 0) {
            visit(item.name);
          }
        }
      }
      path.pop_back();
      state[name] = 2;
    };
    for (const auto& [name, awaited] : graph)
      if (state[name] == 0) visit(name);
  }

  std::vector<std::string> read_after(const MapEntry& entry, const std::string& destination, MapFields& fields) {
    std::vector<std::string> out;
    std::vector<AwaitedName> awaited;
    auto add = [&](const YAML::Node& node) {
      if (!node.IsScalar() || node.Scalar().empty()) {
        fields.error(node, "wrong type for an item of 'after': expected a destination name, got " +
                               config::describe_value(node));
        return;
      }
      if (std::find(out.begin(), out.end(), node.Scalar()) != out.end()) return;  // listed twice: once is enough
      out.push_back(node.Scalar());
      awaited.push_back({node.Scalar(), YamlSource::mark_of(node)});
    };
    if (entry.value.IsSequence()) {
      for (const auto& item : entry.value) add(item);
    } else if (entry.value.IsScalar()) {
      add(entry.value);
    } else {
      fields.error(entry.value, "wrong type for 'after': expected a list of destination names, got " +
                                    config::describe_value(entry.value));
    }
    if (!destination.empty()) awaited_[destination] = std::move(awaited);
    return out;
  }

  std::optional<DestinationConfig> read_destination(const YAML::Node& item, std::size_t index,
                                                    std::map<std::string, YAML::Mark>& names) {
    YAML::Mark anchor = YamlSource::mark_of(item);
    // The name, if any, makes every later message about this block clearer.
    std::string what = "destination " + std::to_string(index);
    if (item.IsMap() && item["name"].IsDefined() && item["name"].IsScalar())
      what = "destination '" + item["name"].Scalar() + "'";
    MapFields fields(item, anchor, what, {}, source_);
    if (!fields.valid()) return std::nullopt;
    if (item.IsNull()) {
      source_.error(anchor, "empty destination: needs at least 'name' and 'type'");
      return std::nullopt;
    }
    DestinationConfig out;
    out.location = source_.location(anchor);
    out.connector.location = out.location;
    if (const MapEntry* name = fields.require("name")) {
      if (auto text = fields.string("name")) {
        out.name = *text;
        if (!is_valid_name(*text)) {
          fields.error(name->value, "invalid destination name '" + *text + "': use lowercase letters, digits and '-'");
        } else if (*text == kReservedDestinationName) {
          fields.error(name->value, "destination name 'router' is reserved (router.route() deliveries use it)");
        } else if (auto first = names.find(*text); first != names.end()) {
          fields.error(name->value, "duplicate destination name '" + *text + "' (first at line " +
                                        std::to_string(first->second.line + 1) + ")");
        } else {
          names.emplace(*text, YamlSource::mark_of(name->value));
        }
      }
    }
    out.enabled = fields.boolean("enabled").value_or(true);
    if (const MapEntry* script = fields.find("script")) out.script = read_script(*script, fields);
    if (const MapEntry* retry = fields.find("retry")) out.retry = read_retry(*retry, what);
    if (const MapEntry* after = fields.find("after")) out.after = read_after(*after, out.name, fields);

    const MapEntry* type = fields.require("type");
    auto type_name = type ? fields.string("type") : std::nullopt;
    if (type_name) {
      out.connector.type = *type_name;
      const ConnectorSchema* schema = plugins_.destination_schema(*type_name);
      if (!schema) {
        if (plugins_.source_schema(*type_name))
          fields.error(type->value, "plugin '" + *type_name + "' has no destination; destination types: " +
                                        join(types_with(false)));
        else
          fields.error(type->value,
                       "unknown destination type '" + *type_name + "'; known: " + join(types_with(false)));
      } else {
        out.connector.options = config::check_connector_options(
            item, anchor, *schema, kDestinationEngineKeys, *type_name + " " + what, source_);
        // A lua destination is its script's send(): without one it does nothing.
        if (*type_name == "lua" && !fields.find("script"))
          source_.error(anchor, "a lua " + what + " needs a 'script' with a send() function");
      }
    }
    return out;
  }

  RetryPolicy read_retry(const MapEntry& entry, const std::string& what) {
    RetryPolicy out;
    MapFields fields(entry.value, YamlSource::mark_of(entry.key_node), "retry of " + what, kRetryKeys, source_);
    if (auto max = fields.integer("max", 0, 1'000'000)) out.max = static_cast<int>(*max);
    if (auto initial = fields.duration("initial")) out.initial = *initial;
    if (auto max_delay = fields.duration("max_delay")) out.max_delay = *max_delay;
    if (auto retry_rejected = fields.boolean("retry_rejected")) out.retry_rejected = *retry_rejected;
    return out;
  }

  void read_tests(const MapEntry& entry, ChannelConfig& channel) {
    if (entry.value.IsNull()) return;
    if (!entry.value.IsSequence()) {
      source_.error(entry.value, "wrong type for 'tests' in channel: expected a list, got " +
                                     config::describe_value(entry.value));
      return;
    }
    std::set<std::string> names;
    std::size_t index = 0;
    for (const auto& item : entry.value) {
      ++index;
      YAML::Mark anchor = YamlSource::mark_of(item);
      std::string what = "test " + std::to_string(index);
      MapFields fields(item, anchor, what, kTestKeys, source_);
      if (!fields.valid()) continue;
      ChannelTestCase test;
      test.location = source_.location(anchor);
      if (const MapEntry* name = fields.require("name")) {
        if (auto text = fields.string("name")) {
          test.name = *text;
          if (!names.insert(*text).second) fields.error(name->value, "duplicate test name '" + *text + "'");
        }
      }
      const MapEntry* input = fields.find("input");
      const MapEntry* input_text = fields.find("input_text");
      if (input && input_text) {
        fields.error(input_text->key_node, "a test takes 'input' (a file) or 'input_text', not both");
      } else if (!input && !input_text) {
        fields.error(item, what + " needs 'input' (a file) or 'input_text'");
      } else if (input) {
        if (auto written = fields.string("input")) {
          test.input = source_.resolve(*written);
          std::error_code ec;
          if (!fs::is_regular_file(test.input, ec)) fields.error(input->value, "test input not found: " + *written);
        }
      } else if (auto text = fields.string("input_text")) {
        test.input_text = *text;
      }
      if (const MapEntry* source = fields.find("source")) {
        MapFields attributes(source->value, YamlSource::mark_of(source->key_node), "source of " + what, {}, source_);
        for (const auto& attribute : attributes.entries())
          if (auto value = attributes.string(attribute.key)) test.source.emplace_back(attribute.key, *value);
      }
      if (const MapEntry* expect = fields.find("expect")) read_expect(*expect, test, channel);
      channel.tests.push_back(std::move(test));
    }
  }

  void read_output_expectation(MapFields& fields, OutputExpectation& out) {
    if (const MapEntry* contains = fields.find("output_contains")) {
      if (contains->value.IsSequence()) {
        for (const auto& item : contains->value) {
          if (item.IsScalar()) out.output_contains.push_back(item.Scalar());
          else
            fields.error(item, "wrong type for an item of 'output_contains': expected a string, got " +
                                   config::describe_value(item));
        }
      } else if (auto text = fields.string("output_contains")) {
        out.output_contains.push_back(*text);
      }
    }
    out.output_equals = fields.string("output_equals");
    out.filtered = fields.boolean("filtered");
    out.error_contains = fields.string("error_contains");
  }

  // expect.destinations: {name: {output_contains, filename, ...}}, each naming
  // a destination of this channel (read before the tests).
  void read_destination_expectations(const MapEntry& entry, ChannelTestCase& test, const ChannelConfig& channel) {
    MapFields by_name(entry.value, YamlSource::mark_of(entry.key_node), "expect.destinations", {}, source_);
    std::vector<std::string> names;
    for (const auto& dest : channel.destinations) names.push_back(dest.name);
    for (const auto& item : by_name.entries()) {
      if (std::find(names.begin(), names.end(), item.key) == names.end()) {
        by_name.error(item.key_node, "no destination '" + item.key + "' in this channel" +
                                         config::did_you_mean(item.key, names) + "; destinations: " + join(names));
        continue;
      }
      DestinationExpectation out;
      out.destination = item.key;
      out.location = source_.location(YamlSource::mark_of(item.key_node));
      MapFields fields(item.value, YamlSource::mark_of(item.key_node), "expect.destinations." + item.key,
                       kDestinationExpectKeys, source_);
      if (!fields.valid()) continue;
      read_output_expectation(fields, out);
      out.filename = fields.string("filename");
      test.destinations.push_back(std::move(out));
    }
  }

  void read_expect(const MapEntry& entry, ChannelTestCase& test, const ChannelConfig& channel) {
    MapFields fields(entry.value, YamlSource::mark_of(entry.key_node), "expect", kExpectKeys, source_);
    if (!fields.valid()) return;
    if (const MapEntry* vars = fields.find("vars")) {
      MapFields var_fields(vars->value, YamlSource::mark_of(vars->key_node), "expect.vars", {}, source_);
      for (const auto& var : var_fields.entries()) {
        if (auto value = var_fields.string(var.key)) test.expect_vars[var.key] = *value;
      }
    }
    read_output_expectation(fields, test.expect);
    test.response_contains = fields.string("response_contains");
    if (const MapEntry* destinations = fields.find("destinations"))
      read_destination_expectations(*destinations, test, channel);
  }

  struct AwaitedName {
    std::string name;
    YAML::Mark mark;
  };

  YamlSource source_;
  const PluginCatalog& plugins_;
  std::string channel_data_type_;  // read_cluster's view of the channel (its key must suit it)
  std::map<std::string, std::vector<AwaitedName>> awaited_;  // destination -> its `after:` names, where written
};

bool is_yaml_file(const fs::path& path) {
  auto ext = path.extension();
  return ext == ".yaml" || ext == ".yml";
}

// Diagnostics come out in the order the checks run; a user reads them in file
// order, so sort one file's batch by position (problems located in its
// scripts follow).
void sort_by_position(Diagnostics& diagnostics, std::size_t from, const std::string& file) {
  std::stable_sort(diagnostics.begin() + static_cast<std::ptrdiff_t>(from), diagnostics.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) {
                     return std::make_tuple(a.file != file, a.line, a.column) <
                            std::make_tuple(b.file != file, b.line, b.column);
                   });
}

LoadedChannel read_channel(const fs::path& file, const PluginCatalog& plugins, Diagnostics& diagnostics) {
  std::size_t first = diagnostics.size();
  LoadedChannel loaded = ChannelReader(file, plugins, diagnostics).read();
  sort_by_position(diagnostics, first, file.string());
  return loaded;
}

// A Diagnostic at a "file:line:col" location as ConnectorOptions records them.
Diagnostic diagnostic_at(const std::string& location, std::string message) {
  Diagnostic d;
  d.message = std::move(message);
  auto col = location.rfind(':');
  auto line = col == std::string::npos || col == 0 ? std::string::npos : location.rfind(':', col - 1);
  if (line == std::string::npos) {
    d.file = location;
    return d;
  }
  d.file = location.substr(0, line);
  d.line = std::atoi(location.c_str() + line + 1);
  d.column = std::atoi(location.c_str() + col + 1);
  return d;
}

// The channel a `channel` destination routes to ("" for other types).
std::string routed_target(const DestinationConfig& dest) {
  if (dest.connector.type != "channel" || !dest.enabled) return {};
  return dest.connector.options.tree.get<std::string>("channel", "");
}

// Across files: a `channel` destination names a channel that exists, and the
// channels do not route to each other in a cycle (every message would go
// round forever). A channel with such a destination is refused.
void check_routes(std::vector<ChannelConfig>& channels, const std::map<std::string, std::string>& all_names,
                  Diagnostics& diagnostics) {
  std::vector<std::string> names;
  for (const auto& [name, file] : all_names) names.push_back(name);
  std::set<std::string> refused;
  std::map<std::string, const ChannelConfig*> by_name;
  for (const auto& channel : channels) by_name[channel.name] = &channel;
  for (const auto& channel : channels) {
    for (const auto& dest : channel.destinations) {
      const std::string target = routed_target(dest);
      if (target.empty() || all_names.count(target)) continue;
      diagnostics.push_back(diagnostic_at(dest.connector.options.location_of("channel"),
                                          "destination '" + dest.name + "' routes to unknown channel '" + target +
                                              "'" + config::did_you_mean(target, names) +
                                              "; channels: " + join(names)));
      refused.insert(channel.name);
    }
  }
  std::map<std::string, int> state;  // 1 on the path, 2 done
  std::vector<std::string> path;
  std::function<void(const ChannelConfig&)> visit = [&](const ChannelConfig& channel) {
    state[channel.name] = 1;
    path.push_back(channel.name);
    for (const auto& dest : channel.destinations) {
      const std::string target = routed_target(dest);
      auto next = by_name.find(target);
      if (target.empty() || next == by_name.end()) continue;
      if (state[target] == 1) {
        std::string cycle;
        for (auto at = std::find(path.begin(), path.end(), target); at != path.end(); ++at) cycle += *at + " -> ";
        diagnostics.push_back(diagnostic_at(dest.connector.options.location_of("channel"),
                                            "channels route to each other in a cycle: " + cycle + target));
        refused.insert(channel.name);
      } else if (state[target] == 0) {
        visit(*next->second);
      }
    }
    path.pop_back();
    state[channel.name] = 2;
  };
  for (const auto& channel : channels)
    if (state[channel.name] == 0) visit(channel);
  channels.erase(std::remove_if(channels.begin(), channels.end(),
                                [&](const ChannelConfig& c) { return refused.count(c.name) > 0; }),
                 channels.end());
}

}  // namespace

std::optional<ChannelConfig> load_channel(const fs::path& file, const PluginCatalog& plugins,
                                          Diagnostics& diagnostics, const ClusterSettings* cluster) {
  auto config = read_channel(file, plugins, diagnostics).config;
  if (config && !split_clustered_channel(*config, cluster, plugins, diagnostics)) return std::nullopt;
  return config;
}

std::vector<ChannelConfig> load_channels(const std::vector<fs::path>& paths, const PluginCatalog& plugins,
                                         Diagnostics& diagnostics, const ClusterSettings* cluster) {
  std::vector<fs::path> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> inside;
      for (const auto& entry : fs::directory_iterator(path, ec))
        if (is_yaml_file(entry.path()) && entry.is_regular_file(ec)) inside.push_back(entry.path());
      if (ec) diagnostics.push_back({path.string(), 0, 0, "cannot list directory: " + ec.message()});
      std::sort(inside.begin(), inside.end());
      files.insert(files.end(), inside.begin(), inside.end());
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else {
      diagnostics.push_back({path.string(), 0, 0, "no such file or directory"});
    }
  }

  std::vector<ChannelConfig> out;
  std::set<fs::path> read;                 // a file named twice (directly and via its folder) is read once
  std::map<std::string, std::string> owners;  // channel name -> file that defined it first
  for (const auto& file : files) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(file, ec);
    if (!read.insert(ec ? file : canonical).second) continue;
    LoadedChannel loaded = read_channel(file, plugins, diagnostics);
    if (!loaded.name.empty()) {
      auto [first, inserted] = owners.emplace(loaded.name, file.string());
      if (!inserted) {
        // The first definition wins; the later one is refused, not merged.
        config::YamlSource(file, diagnostics)
            .error(loaded.name_mark,
                   "duplicate channel name '" + loaded.name + "' (already defined in " + first->second + ")");
        continue;
      }
    }
    if (loaded.config && split_clustered_channel(*loaded.config, cluster, plugins, diagnostics))
      out.push_back(std::move(*loaded.config));
  }
  check_routes(out, owners, diagnostics);
  resolve_consent_servers(out, diagnostics);
  return out;
}

}  // namespace artery
