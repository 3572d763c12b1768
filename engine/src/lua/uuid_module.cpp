// The `uuid` module: uuid.v4() from OpenSSL's CSPRNG.
#include "lua/modules.hpp"

#include <openssl/rand.h>

namespace artery::lua {
namespace {

int uuid_v4(lua_State* L) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return luaL_error(L, "uuid.v4: no randomness available");
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static const char* digits = "0123456789abcdef";
  char text[36];
  int at = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[at++] = '-';
    text[at++] = digits[bytes[i] >> 4];
    text[at++] = digits[bytes[i] & 15];
  }
  lua_pushlstring(L, text, sizeof text);
  return 1;
}

}  // namespace

void open_uuid_module(lua_State* L) {
  static const luaL_Reg functions[] = {{"v4", uuid_v4}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  set_global_module(L, "uuid");
}

}  // namespace artery::lua
