// A loaded Lua script: one per channel worker (never shared across threads).
// Runs filter/transform/response/send under a sandbox with instruction and
// memory limits; failures come back as values with the Lua traceback.
#pragma once
#include <artery/hl7.hpp>
#include <artery/plugin.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace artery::lua {

struct Limits {
  std::uint64_t instructions = 100'000'000;  // per call; exceeded -> that message fails
  std::size_t memory_bytes = 64u << 20;      // per Lua state
};

// What a script reaches beyond its message: the channel's persistent key/value
// space (ctx.store) and the log. Implemented by the channel runtime (and by
// `artery test` in memory). Thread-safe: workers share it.
class ScriptServices {
 public:
  virtual ~ScriptServices() = default;
  virtual std::optional<std::string> store_get(std::string_view key) = 0;
  virtual void store_put(std::string_view key, std::string_view value) = 0;
  virtual void store_erase(std::string_view key) = 0;
  virtual std::vector<std::string> store_keys(std::string_view prefix) = 0;
  virtual void log(LogLevel level, std::string_view text) = 0;
};

struct ScriptInput {
  std::string_view content;
  std::string_view data_type;  // data_type::*: hl7v2 -> hl7 userdata, xml -> xml doc, json -> table, text -> string
  // The caller's parse of an hl7v2 `content`, moved into the script's `msg`,
  // so a message is parsed once per stage. Null: the script parses it.
  hl7::Message* parsed = nullptr;
};

// A message a channel script handed to another channel with router.route().
struct RoutedPayload {
  std::string channel;
  std::string content;
};

// Per message: what ctx exposes, and what the script leaves behind.
struct ScriptContext {
  std::string channel;
  std::string destination;                  // "" in channel scripts
  std::map<std::string, std::string> vars;  // ctx.vars (values converted with tostring)
  std::optional<std::string> response;      // ctx.response, set by the script
  // ctx.source: what the source connector said about the message (filename,
  // remote_address, function, ...), read-only. May be null: an empty table.
  const std::vector<std::pair<std::string, std::string>>* source = nullptr;
  // A destination with `after:`: the awaited destinations' responses and final
  // states (SENT, FILTERED, ERROR), as ctx.responses / ctx.states. Empty: not set.
  std::map<std::string, std::string> responses;
  std::map<std::string, std::string> states;
  std::vector<RoutedPayload> routes;        // router.route() calls of a channel script, in order
};

struct ScriptResult {
  enum class Status { ok, filtered, error };
  Status status = Status::ok;
  // New payload: the string the function returned, a returned table JSON-encoded,
  // or the re-encoded message when it returned nil after changing msg.
  // nullopt: unchanged.
  std::optional<std::string> payload;
  // The payload's data type when it differs from the input's: "json" when the
  // function returned a table. Empty: same as the input.
  std::string payload_type;
  std::string error;  // message and traceback when status == error
  bool input_rejected = false;  // the error is that the input did not parse (HL7, XML, JSON)
};

class Script {
 public:
  struct Options {
    std::filesystem::path file;
    Limits limits;
    ScriptServices* services = nullptr;         // may be null: ctx.store then errors
    std::vector<std::filesystem::path> fs_roots;  // non-empty: `fs` module limited to these
    std::vector<std::filesystem::path> module_paths;  // for require(): scripts/lib etc.
    // What the script may define where it is used (a channel script: filter and
    // transform). Any other name in the returned table is an error at load, so a
    // misspelt M.transfrom is reported instead of never running; names starting
    // with '_' are the script's own.
    std::vector<std::string> functions = {"filter", "transform", "response", "send"};
  };
  static const std::vector<std::string>& channel_functions();      // filter, transform
  static const std::vector<std::string>& destination_functions();  // + response
  static const std::vector<std::string>& lua_destination_functions();  // + send
  static std::unique_ptr<Script> load(const Options& options, std::string& error);
  ~Script();

  bool has(std::string_view function) const;  // "filter", "transform", "response", "send"

  // filter() (if defined) then transform() (if defined) on one parsed message.
  ScriptResult process(const ScriptInput& input, ScriptContext& context);
  // response(resp, ctx): resp is the peer's response as text; returning a string replaces it.
  ScriptResult response(const ScriptInput& response, ScriptContext& context);
  // send(msg, ctx) for `type: lua` destinations; an error means a failed send.
  ScriptResult send(const ScriptInput& input, ScriptContext& context);

 private:
  struct Impl;
  explicit Script(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Compile without running (text chunks only): "" when fine, else
// "line N: message" as Lua reports it.
std::string check_syntax(const std::filesystem::path& file);

}  // namespace artery::lua
