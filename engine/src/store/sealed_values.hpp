// Which stored values are sealed, under which row identity (the associated
// data that ties a sealed value to its row: a value copied into another row
// does not open there). Searchable metadata (channel, state, times, data and
// message type, control id, destination names) stays plain; the patient id
// is stored as a keyed hash for search, and sealed beside it for display.
#pragma once
#include <artery/value_cipher.hpp>

#include "store/message_store.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace artery::sealed {

// "messages/<id>/<field>": raw, transformed, error, vars, attributes, patient.
std::string message_row(std::int64_t id, std::string_view field);
// "deliveries/<id>/<destination>/<field>": content, response, error.
std::string delivery_row(std::int64_t id, std::string_view destination, std::string_view field);
// "kv/<space>/<key>".
std::string value_row(std::string_view space, std::string_view key);
// The key check value's row: "store/key-check/<key id>".
std::string key_check_row(std::uint32_t key_id);

// The id of the key a value is sealed with; 0 for a plain value.
std::uint32_t key_id_of(std::string_view stored);

// Seals a new message's content in place (its id is set) and replaces its
// patient id by the keyed hash, keeping the sealed patient id in
// patient_sealed. A disabled cipher changes nothing. Empty values stay empty
// (but raw, whose header names the row's key).
void seal_message(const ValueCipher& cipher, NewMessage& message);
// Seals what a delivery update carries.
void seal_update(const ValueCipher& cipher, DeliveryUpdate& update);

// Opens a record read back from the store (content filled when `with_content`).
// `patient_sealed` (may be empty) replaces patient_id when set. Throws
// ValueTampered.
void open_message(const ValueCipher& cipher, MessageRecord& record, std::string_view patient_sealed,
                  bool with_content);
void open_delivery(const ValueCipher& cipher, std::int64_t message_id, DeliveryRecord& delivery);

}  // namespace artery::sealed
