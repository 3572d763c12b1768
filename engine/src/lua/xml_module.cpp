// The `xml` module (pugixml): xml.parse, xml.encode, xml.escape, and node
// objects (doc:root(), node:child(), node:path("A/B"), node:set_text()...).
//
// A document is a box owning the pugi::xml_document; a node is a small
// userdata holding a pugi::xml_node handle whose user value keeps the document
// alive. Documents with a DOCTYPE are refused: no DTDs, no entity tricks.
#include "lua/modules.hpp"
#include "lua/sandbox_state.hpp"

#include <pugixml.hpp>

#include <cstring>

namespace artery::lua {
namespace {

struct XmlDocument {
  pugi::xml_document document;
  bool modified = false;
};

struct XmlNode {
  pugi::xml_node node;
  XmlDocument* owner;
};
static_assert(std::is_trivially_destructible_v<XmlNode>);

XmlNode& check_node(lua_State* L, int index) { return check_box<XmlNode>(L, index, "xml node"); }

// Pushes a node object for `node`, owned by the document of the node at `owner_index`
// (or by the document box itself).
void push_node(lua_State* L, int owner_index, pugi::xml_node node, XmlDocument* owner) {
  if (!node) {
    lua_pushnil(L);
    return;
  }
  owner_index = lua_absindex(L, owner_index);
  new_box<XmlNode>(L, 1, XmlNode{node, owner});
  if (test_box<XmlNode>(L, owner_index)) {
    lua_getiuservalue(L, owner_index, 1);  // the document box
  } else {
    lua_pushvalue(L, owner_index);
  }
  lua_setiuservalue(L, -2, 1);
}

void push_child(lua_State* L, pugi::xml_node child) {
  XmlNode& self = check_node(L, 1);
  push_node(L, 1, child, self.owner);
}

struct StringWriter : pugi::xml_writer {
  std::string* out;
  void write(const void* data, size_t size) override { out->append(static_cast<const char*>(data), size); }
};

void serialize(pugi::xml_node node, std::string& out, bool raw) {
  StringWriter writer;
  writer.out = &out;
  const unsigned flags = raw ? pugi::format_raw : pugi::format_indent;
  node.print(writer, "  ", flags);
  if (!raw && !out.empty() && out.back() == '\n') out.pop_back();
}

struct SerializedText {
  std::string text;
};

int push_serialized(lua_State* L, int index, bool raw) {
  XmlNode& self = check_node(L, index);
  std::string& out = new_box<SerializedText>(L, 0).text;
  serialize(self.node, out, raw);
  push_string(L, out);
  return 1;
}

int node_name(lua_State* L) {
  lua_pushstring(L, check_node(L, 1).node.name());
  return 1;
}

int node_text(lua_State* L) {
  lua_pushstring(L, check_node(L, 1).node.text().get());
  return 1;
}

int node_attr(lua_State* L) {
  XmlNode& self = check_node(L, 1);
  pugi::xml_attribute attribute = self.node.attribute(luaL_checkstring(L, 2));
  if (attribute) {
    lua_pushstring(L, attribute.value());
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int node_attrs(lua_State* L) {
  XmlNode& self = check_node(L, 1);
  lua_newtable(L);
  for (pugi::xml_attribute a : self.node.attributes()) {
    lua_pushstring(L, a.value());
    lua_setfield(L, -2, a.name());
  }
  return 1;
}

int node_child(lua_State* L) {
  XmlNode& self = check_node(L, 1);
  push_child(L, self.node.child(luaL_checkstring(L, 2)));
  return 1;
}

// node:children(name?) -> array of element children (all, or those named `name`).
int node_children(lua_State* L) {
  XmlNode& self = check_node(L, 1);
  const char* name = luaL_optstring(L, 2, nullptr);
  lua_newtable(L);
  lua_Integer i = 0;
  for (pugi::xml_node child : self.node.children()) {
    if (child.type() != pugi::node_element) continue;
    if (name && std::strcmp(child.name(), name) != 0) continue;
    push_node(L, 1, child, self.owner);
    lua_rawseti(L, -2, ++i);
  }
  return 1;
}

int node_path(lua_State* L) {
  XmlNode& self = check_node(L, 1);
  push_child(L, self.node.first_element_by_path(luaL_checkstring(L, 2), '/'));
  return 1;
}

int node_parent(lua_State* L) {
  XmlNode& self = check_node(L, 1);
  push_child(L, self.node.parent());
  return 1;
}

int node_root(lua_State* L) {
  XmlNode& self = check_node(L, 1);
  pugi::xml_node element;
  for (pugi::xml_node child : self.node.root().children())
    if (child.type() == pugi::node_element) {
      element = child;
      break;
    }
  push_child(L, element);
  return 1;
}

int node_append(lua_State* L) {
  XmlNode& self = check_node(L, 1);
  const char* name = luaL_checkstring(L, 2);
  pugi::xml_node child = self.node.append_child(name);
  if (!child) return luaL_error(L, "cannot append an element to this node");
  if (!lua_isnoneornil(L, 3)) child.text().set(luaL_checkstring(L, 3));
  self.owner->modified = true;
  push_node(L, 1, child, self.owner);
  return 1;
}

int node_set_text(lua_State* L) {
  XmlNode& self = check_node(L, 1);
  if (!self.node.text().set(luaL_checkstring(L, 2))) return luaL_error(L, "this node cannot hold text");
  self.owner->modified = true;
  return 0;
}

int node_set_attr(lua_State* L) {
  XmlNode& self = check_node(L, 1);
  const char* name = luaL_checkstring(L, 2);
  if (lua_isnil(L, 3)) {
    self.node.remove_attribute(name);
  } else {
    const char* value = luaL_checkstring(L, 3);
    pugi::xml_attribute attribute = self.node.attribute(name);
    if (!attribute) attribute = self.node.append_attribute(name);
    if (!attribute || !attribute.set_value(value)) return luaL_error(L, "cannot set attribute '%s' here", name);
  }
  self.owner->modified = true;
  return 0;
}

int node_remove(lua_State* L) {
  XmlNode& self = check_node(L, 1);
  pugi::xml_node parent = self.node.parent();
  const bool removed = parent && parent.remove_child(self.node);
  if (removed) {
    self.owner->modified = true;
    self.node = pugi::xml_node();
  }
  lua_pushboolean(L, removed);
  return 1;
}

int node_tostring(lua_State* L) { return push_serialized(L, 1, false); }

int node_eq(lua_State* L) {
  XmlNode* a = test_box<XmlNode>(L, 1);
  XmlNode* b = test_box<XmlNode>(L, 2);
  lua_pushboolean(L, a && b && a->node == b->node);
  return 1;
}

// ---- module ----

int xml_parse(lua_State* L) {
  const std::string_view text = check_string_view(L, 1);
  // The DOM lives in the C++ heap, unseen by Lua's collector: advance the
  // collector in proportion, so a loop parsing documents frees them as it goes.
  if (text.size() >= 256) lua_gc(L, LUA_GCSTEP, static_cast<int>(text.size() / 256));
  std::string error;
  if (push_xml_document(L, text, error)) return 1;
  lua_pushnil(L);
  push_string(L, error);
  return 2;
}

int xml_encode(lua_State* L) {
  bool raw = false;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "raw");
    raw = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  return push_serialized(L, 1, raw);
}

int xml_escape(lua_State* L) {
  const std::string_view text = check_string_view(L, 1);
  luaL_Buffer buffer;
  luaL_buffinit(L, &buffer);
  for (char c : text) {
    switch (c) {
      case '<': luaL_addstring(&buffer, "&lt;"); break;
      case '>': luaL_addstring(&buffer, "&gt;"); break;
      case '&': luaL_addstring(&buffer, "&amp;"); break;
      case '"': luaL_addstring(&buffer, "&quot;"); break;
      case '\'': luaL_addstring(&buffer, "&apos;"); break;
      default: luaL_addchar(&buffer, c);
    }
  }
  luaL_pushresult(&buffer);
  return 1;
}

}  // namespace

bool push_xml_document(lua_State* L, std::string_view text, std::string& error) {
  XmlDocument& document = new_box<XmlDocument>(L, 0);
  const int box = lua_gettop(L);
  // parse_doctype only so that a DOCTYPE is seen and refused; pugixml never
  // expands DTD entities or fetches anything.
  const unsigned flags = pugi::parse_default | pugi::parse_declaration | pugi::parse_doctype;
  pugi::xml_parse_result result = document.document.load_buffer(text.data(), text.size(), flags, pugi::encoding_utf8);
  if (!result) {
    error = std::string(result.description()) + " at offset " + std::to_string(result.offset);
    lua_settop(L, box - 1);
    return false;
  }
  for (pugi::xml_node child : document.document.children()) {
    if (child.type() == pugi::node_doctype) {
      error = "DOCTYPE declarations are not allowed";
      lua_settop(L, box - 1);
      return false;
    }
  }
  if (!document.document.document_element()) {
    error = "no root element";
    lua_settop(L, box - 1);
    return false;
  }
  push_node(L, box, document.document, &document);
  lua_remove(L, box);
  return true;
}

bool encode_xml_object(lua_State* L, int index, std::string& out, bool* modified) {
  const XmlNode* node = test_box<XmlNode>(L, index);
  if (!node) return false;
  out.clear();
  serialize(node->node, out, false);
  if (modified) *modified = node->owner->modified;
  return true;
}

void open_xml_module(lua_State* L) {
  push_box_metatable<XmlDocument>(L, "xml document");
  lua_pop(L, 1);
  push_box_metatable<SerializedText>(L, "xml text");
  lua_pop(L, 1);
  static const luaL_Reg node_methods[] = {
      {"name", guarded<node_name>},         {"text", guarded<node_text>},
      {"attr", guarded<node_attr>},         {"attrs", guarded<node_attrs>},
      {"child", guarded<node_child>},       {"children", guarded<node_children>},
      {"path", guarded<node_path>},         {"parent", guarded<node_parent>},
      {"root", guarded<node_root>},         {"append", guarded<node_append>},
      {"set_text", guarded<node_set_text>}, {"set_attr", guarded<node_set_attr>},
      {"remove", guarded<node_remove>},     {nullptr, nullptr},
  };
  push_box_metatable<XmlNode>(L, "xml node");
  luaL_newlib(L, node_methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, guarded<node_tostring>);
  lua_setfield(L, -2, "__tostring");
  lua_pushcfunction(L, guarded<node_eq>);
  lua_setfield(L, -2, "__eq");
  lua_pop(L, 1);

  static const luaL_Reg functions[] = {
      {"parse", guarded<xml_parse>},
      {"encode", guarded<xml_encode>},
      {"escape", guarded<xml_escape>},
      {nullptr, nullptr},
  };
  luaL_newlib(L, functions);
  set_global_module(L, "xml");
}

}  // namespace artery::lua
