#include "runtime/channel_preflight.hpp"

#include "runtime/engine.hpp"
#include "runtime/lua_destination.hpp"
#include "runtime/store_connector_context.hpp"

#include <charconv>

namespace artery {
namespace {

namespace fs = std::filesystem;

// As the user would type it from here: relative when below the current folder.
std::string shown(const fs::path& path) {
  std::error_code ec;
  auto relative = fs::proximate(path, ec);
  return ec || relative.string().rfind("..", 0) == 0 ? path.string() : relative.string();
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// A script error as a diagnostic in the script: Script::load says
// "x.lua: x.lua:LINE: message" when Lua knows the line.
Diagnostic script_problem(const fs::path& script, const std::string& error, const std::string& role) {
  Diagnostic out{shown(script), 0, 0, {}};
  std::string text = first_line(error);
  const std::string name = script.filename().string();
  if (text.rfind(name + ": ", 0) == 0) text.erase(0, name.size() + 2);
  if (text.rfind(name + ":", 0) == 0) {
    const char* begin = text.data() + name.size() + 1;
    const char* end = text.data() + text.size();
    int line = 0;
    auto [after, ec] = std::from_chars(begin, end, line);
    if (ec == std::errc{} && after < end && *after == ':') {
      out.line = line;
      out.column = 1;
      text.erase(0, static_cast<std::size_t>(after + 1 - text.data()));
      if (!text.empty() && text.front() == ' ') text.erase(0, 1);
    }
  }
  out.message = text + " (" + role + ")";
  return out;
}

// A plugin's error usually starts with the option's "file:line:col: ".
Diagnostic connector_problem(const std::string& error, const std::string& fallback_location) {
  const std::string text = first_line(error);
  // file:line:col: message, the file possibly holding colons of its own.
  auto sep = text.find(": ");
  while (sep != std::string::npos) {
    const std::string head = text.substr(0, sep);
    const auto col_colon = head.rfind(':');
    const auto line_colon = col_colon == std::string::npos ? std::string::npos : head.rfind(':', col_colon - 1);
    if (line_colon != std::string::npos && line_colon > 0) {
      int line = 0, column = 0;
      auto l = std::from_chars(head.data() + line_colon + 1, head.data() + col_colon, line);
      auto c = std::from_chars(head.data() + col_colon + 1, head.data() + head.size(), column);
      if (l.ec == std::errc{} && l.ptr == head.data() + col_colon && c.ec == std::errc{} &&
          c.ptr == head.data() + head.size())
        return {head.substr(0, line_colon), line, column, text.substr(sep + 2)};
    }
    sep = text.find(": ", sep + 2);
  }
  return {fallback_location, 0, 0, text};
}

void load_script(const fs::path& file, const std::vector<std::string>& functions, const std::string& role,
                 const ChannelConfig& channel, const PreflightSettings& settings,
                 std::vector<fs::path> roots, Diagnostics& diagnostics) {
  lua::Script::Options options;
  options.file = file;
  options.limits = settings.lua_limits;
  options.module_paths = module_paths_for(channel);
  options.functions = functions;
  options.fs_roots = std::move(roots);
  std::string error;
  if (!lua::Script::load(options, error)) diagnostics.push_back(script_problem(file, error, role));
}

}  // namespace

void preflight_channel(const ChannelConfig& channel, const PluginRegistry& plugins,
                       const PreflightSettings& settings, Diagnostics& diagnostics) {
  const fs::path base = channel.file.parent_path();
  if (!channel.script.empty())
    load_script(channel.script, lua::Script::channel_functions(), "channel " + channel.name + "'s script", channel,
                settings, {}, diagnostics);

  for (const auto& dest : channel.destinations) {
    const std::string role = "destination " + dest.name + " of channel " + channel.name;
    if (dest.connector.type == "lua") {
      if (!dest.script.empty())
        load_script(dest.script, lua::Script::lua_destination_functions(), role, channel, settings,
                    lua_destination_roots(dest, base, settings.data_dir), diagnostics);
      continue;  // the runtime builds lua destinations itself: no factory
    }
    if (!dest.script.empty())
      load_script(dest.script, lua::Script::destination_functions(), role, channel, settings, {}, diagnostics);
    // The runtime builds `channel` destinations too; load_channels checked the target's name.
    if (dest.connector.type == "channel") continue;
    StoreConnectorContext context(channel.name, dest.name, base, settings.data_dir, nullptr);
    std::string error;
    if (!plugins.create_destination(dest.connector.type, dest.connector.options, context, error))
      diagnostics.push_back(connector_problem(error, dest.location));
  }

  StoreConnectorContext context(channel.name, "source", base, settings.data_dir, nullptr);
  std::string error;
  if (!plugins.create_source(channel.source.type, channel.source.options, context, error))
    diagnostics.push_back(connector_problem(error, channel.source.location));
}

}  // namespace artery
