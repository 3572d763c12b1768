#include "store/sealed_values.hpp"

#include <cstring>

namespace artery::sealed {
namespace {

void seal_in_place(const ValueCipher& cipher, std::string& value, const std::string& row) {
  if (!value.empty()) value = cipher.seal(value, row);
}

void open_in_place(const ValueCipher& cipher, std::string& value, const std::string& row) {
  if (!value.empty()) value = cipher.open(value, row);
}

}  // namespace

std::string message_row(std::int64_t id, std::string_view field) {
  std::string out = "messages/" + std::to_string(id) + "/";
  out += field;
  return out;
}

std::string delivery_row(std::int64_t id, std::string_view destination, std::string_view field) {
  std::string out = "deliveries/" + std::to_string(id) + "/";
  out += destination;
  out += '/';
  out += field;
  return out;
}

std::string value_row(std::string_view space, std::string_view key) {
  std::string out = "kv/";
  out += space;
  out += '/';
  out += key;
  return out;
}

std::string key_check_row(std::uint32_t key_id) { return "store/key-check/" + std::to_string(key_id); }

std::uint32_t key_id_of(std::string_view stored) {
  if (!ValueCipher::disabled().is_sealed(stored)) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(stored.data()) + 4;
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

void seal_message(const ValueCipher& cipher, NewMessage& m) {
  std::string& patient_sealed = m.patient_sealed;
  patient_sealed.clear();
  if (!cipher.enabled()) return;
  // raw is sealed even when empty: its header names the row's key.
  m.raw = cipher.seal(m.raw, message_row(m.id, "raw"));
  seal_in_place(cipher, m.transformed, message_row(m.id, "transformed"));
  seal_in_place(cipher, m.error, message_row(m.id, "error"));
  seal_in_place(cipher, m.vars_json, message_row(m.id, "vars"));
  seal_in_place(cipher, m.attributes_json, message_row(m.id, "attributes"));
  if (!m.patient_id.empty()) {
    patient_sealed = cipher.seal(m.patient_id, message_row(m.id, "patient"));
    m.patient_id = cipher.keyed_hash(m.patient_id);
  }
  for (std::size_t i = 0; i < m.delivery_contents.size() && i < m.destinations.size(); ++i)
    seal_in_place(cipher, m.delivery_contents[i], delivery_row(m.id, m.destinations[i], "content"));
}

void seal_update(const ValueCipher& cipher, DeliveryUpdate& u) {
  if (!cipher.enabled()) return;
  if (u.sent_content) seal_in_place(cipher, *u.sent_content, delivery_row(u.message_id, u.destination, "content"));
  if (u.response) seal_in_place(cipher, *u.response, delivery_row(u.message_id, u.destination, "response"));
  if (u.error) seal_in_place(cipher, *u.error, delivery_row(u.message_id, u.destination, "error"));
}

void open_message(const ValueCipher& cipher, MessageRecord& r, std::string_view patient_sealed, bool with_content) {
  if (!patient_sealed.empty()) r.patient_id = cipher.open(patient_sealed, message_row(r.id, "patient"));
  if (!with_content) return;
  open_in_place(cipher, r.raw, message_row(r.id, "raw"));
  open_in_place(cipher, r.transformed, message_row(r.id, "transformed"));
  open_in_place(cipher, r.error, message_row(r.id, "error"));
  open_in_place(cipher, r.vars_json, message_row(r.id, "vars"));
  open_in_place(cipher, r.attributes_json, message_row(r.id, "attributes"));
}

void open_delivery(const ValueCipher& cipher, std::int64_t message_id, DeliveryRecord& d) {
  open_in_place(cipher, d.sent_content, delivery_row(message_id, d.destination, "content"));
  open_in_place(cipher, d.response, delivery_row(message_id, d.destination, "response"));
  open_in_place(cipher, d.error, delivery_row(message_id, d.destination, "error"));
}

}  // namespace artery::sealed
