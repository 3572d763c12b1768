// The globals a sandboxed script sees, and the hooks script.cpp needs into them.
// Each open_* expects a state whose extra space points at its SandboxState.
#pragma once
#include "lua/lua_glue.hpp"

#include <artery/hl7.hpp>

#include <string>
#include <string_view>

namespace artery::lua {

void open_sandbox(lua_State* L);  // base subset, string, table, math, utf8, coroutine, os subset, require
void open_hl7_module(lua_State* L);
void open_json_module(lua_State* L);
void open_xml_module(lua_State* L);
void open_crypto_module(lua_State* L);
void open_uuid_module(lua_State* L);
void open_fhir_module(lua_State* L);  // after json and uuid, which it uses
void open_deid_module(lua_State* L);
void open_consent_module(lua_State* L);  // consent.permits{...}: FHIR Consent lookup and evaluation
void open_log_module(lua_State* L);
void open_router_module(lua_State* L);  // router.route(): records into SandboxState::routes
void open_fs_module(lua_State* L);     // only when SandboxState::fs_roots is non-empty
void push_store_table(lua_State* L);  // the ctx.store table (get/set/delete/keys)

// Pushes a message object (msg) owning `message`.
void push_hl7_message(lua_State* L, hl7::Message&& message);
// Parses XML into a document object and pushes it; false with `error` set otherwise.
bool push_xml_document(lua_State* L, std::string_view text, std::string& error);
// Decodes JSON and pushes the value; false with `error` set otherwise.
bool push_json_value(lua_State* L, std::string_view text, std::string& error);
// Appends the JSON encoding of the value at `index`; raises a Lua error for
// values JSON cannot hold (functions, cycles, NaN).
void json_encode(lua_State* L, int index, std::string& out, bool pretty);

// If the value at `index` is a message object (hl7 or xml), writes its encoding
// to `out`, reports whether the script changed it, and returns true.
bool encode_message_object(lua_State* L, int index, std::string& out, bool* modified);
bool encode_hl7_object(lua_State* L, int index, std::string& out, bool* modified);
bool encode_xml_object(lua_State* L, int index, std::string& out, bool* modified);

}  // namespace artery::lua
