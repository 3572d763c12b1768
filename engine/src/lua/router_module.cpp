// The `router` module: router.route(channel, payload) hands a message to
// another channel of this engine (Mirth's router.routeMessage). The call only
// records the route; the channel runtime stores it with the message being
// processed, as a `router` delivery, so it is as durable as the message and
// goes out after the commit, like any other delivery.
#include "lua/modules.hpp"
#include "lua/sandbox_state.hpp"

namespace artery::lua {
namespace {

int route(lua_State* L) {
  SandboxState& state = sandbox_state(L);
  if (!state.routes)
    return luaL_error(L, "router.route is only available in a channel script's filter or transform");
  const std::string_view channel = check_string_view(L, 1);
  if (channel.empty()) return luaL_error(L, "router.route: the channel name is empty");
  RoutedPayload routed;
  routed.channel.assign(channel);
  switch (lua_type(L, 2)) {
    case LUA_TSTRING:
    case LUA_TNUMBER:
      routed.content.assign(check_string_view(L, 2));
      break;
    case LUA_TTABLE:
      json_encode(L, 2, routed.content, false);
      break;
    case LUA_TUSERDATA: {
      bool modified = false;
      if (encode_message_object(L, 2, routed.content, &modified)) break;
      [[fallthrough]];
    }
    default:
      return luaL_error(L, "router.route: the payload must be a string, a table (sent as JSON) or a message, got %s",
                        luaL_typename(L, 2));
  }
  state.routes->push_back(std::move(routed));
  return 0;
}

}  // namespace

void open_router_module(lua_State* L) {
  static const luaL_Reg functions[] = {{"route", guarded<route>}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  set_global_module(L, "router");
}

}  // namespace artery::lua
