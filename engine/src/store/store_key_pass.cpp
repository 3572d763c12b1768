// The writer's side of the key pass (MessageStore's background re-sealing):
// a chunk of messages at a time, inside the writer's own transaction, so that
// traffic and the pass never write the same row at once. Each message not
// sealed with the current key gets every value re-sealed, its patient id
// re-hashed, and its search entries (message_keys, message_terms) replaced;
// rows indexed already have their old entries deleted with exactly the values
// indexed, which external-content FTS5 tables require.
#include "store/store_writer.hpp"

#include "crypto/value_keys.hpp"
#include "log/logger.hpp"
#include "store/keyed_terms.hpp"
#include "store/sealed_values.hpp"

namespace artery {
namespace {

// Opens `stored` (plain or sealed with any readable key) and seals it again
// under the current key; empty stays empty.
std::string reseal(const ValueCipher& cipher, const std::string& stored, const std::string& row) {
  if (stored.empty()) return stored;
  if (cipher.sealed_with_current_key(stored)) return stored;
  return cipher.seal(cipher.open(stored, row), row);
}

}  // namespace

StoreWriter::Outcome StoreWriter::apply(ResealChunkOp& op) {
  const auto keys = cipher_->keys();
  if (!keys) return {0, {}, 0};
  const std::int64_t current = keys->current().id;
  std::vector<std::int64_t> ids;
  std::int64_t last = 0, looked = 0;
  {
    sqlite::StatementUse q(
        connection_->statement("SELECT id, key_id FROM messages WHERE id > ?1 AND id <= ?3 ORDER BY id LIMIT ?2"));
    q->bind(1, op.after_id);
    q->bind(2, op.limit);
    q->bind(3, op.through_id);
    while (q->step()) {
      last = q->int64_at(0);
      ++looked;
      if (q->int64_at(1) != current) ids.push_back(last);
    }
  }
  const std::int64_t indexed = indexer_->indexed_through();
  for (const std::int64_t id : ids) {
    sqlite::StatementUse row(connection_->statement(
        "SELECT raw, transformed, error, vars_json, attributes_json, patient_id, patient_sealed, control_id, "
        "message_type, transformed_type FROM messages WHERE id = ?1"));
    row->bind(1, id);
    if (!row->step()) continue;
    std::string raw = row->string_at(0), transformed = row->string_at(1), error = row->string_at(2),
                vars = row->string_at(3), attributes = row->string_at(4), patient_id = row->string_at(5),
                patient_sealed = row->string_at(6), control_id = row->string_at(7), message_type = row->string_at(8);
    const bool indexed_transformed = !row->string_at(9).empty();
    try {
      const std::string patient =
          patient_sealed.empty() ? patient_id : cipher_->open(patient_sealed, sealed::message_row(id, "patient"));
      const std::string plain_raw = cipher_->open(raw, sealed::message_row(id, "raw"));
      const std::string plain_transformed = cipher_->open(transformed, sealed::message_row(id, "transformed"));
      const std::string new_patient_id = patient.empty() ? std::string() : cipher_->keyed_hash(patient);
      const std::string new_patient_sealed =
          patient.empty() ? std::string() : cipher_->seal(patient, sealed::message_row(id, "patient"));
      const std::string new_raw = cipher_->seal(plain_raw, sealed::message_row(id, "raw"));
      const std::string new_transformed =
          plain_transformed.empty() ? std::string() : cipher_->seal(plain_transformed, sealed::message_row(id, "transformed"));
      const std::string new_error = reseal(*cipher_, error, sealed::message_row(id, "error"));
      const std::string new_vars = reseal(*cipher_, vars, sealed::message_row(id, "vars"));
      const std::string new_attributes = reseal(*cipher_, attributes, sealed::message_row(id, "attributes"));

      if (id <= indexed) {
        // The keys index holds the old patient id (plain, or the old hash).
        sqlite::StatementUse forget(connection_->statement(
            "INSERT INTO message_keys (message_keys, rowid, control_id, patient_id, message_type) "
            "VALUES ('delete', ?1, ?2, ?3, ?4)"));
        forget->bind(1, id);
        forget->bind_text(2, control_id);
        forget->bind_text(3, patient_id);
        forget->bind_text(4, message_type);
        forget->run();
        sqlite::StatementUse add(connection_->statement(
            "INSERT INTO message_keys (rowid, control_id, patient_id, message_type) VALUES (?1, ?2, ?3, ?4)"));
        add->bind(1, id);
        add->bind_text(2, control_id);
        add->bind_text(3, new_patient_id);
        add->bind_text(4, message_type);
        add->run();
        // Its words: the old key's hashes out (if any), the current key's in.
        sqlite::StatementUse old_terms(connection_->statement(
            "INSERT INTO message_terms_fts (message_terms_fts, rowid, terms) "
            "SELECT 'delete', id, terms FROM message_terms WHERE id = ?1"));
        old_terms->bind(1, id);
        old_terms->run();
        const std::string document =
            keyed_terms::document(keys->current(), plain_raw, indexed_transformed ? plain_transformed : std::string());
        for (const char* sql : {"INSERT OR REPLACE INTO message_terms (id, terms) VALUES (?1, ?2)",
                                "INSERT INTO message_terms_fts (rowid, terms) VALUES (?1, ?2)"}) {
          sqlite::StatementUse q(connection_->statement(sql));
          q->bind(1, id);
          q->bind_text(2, document);
          q->run();
        }
      }
      sqlite::StatementUse update(connection_->statement(
          "UPDATE messages SET raw = ?2, transformed = ?3, error = ?4, vars_json = ?5, attributes_json = ?6, "
          "patient_id = ?7, patient_sealed = ?8, key_id = ?9 WHERE id = ?1"));
      update->bind(1, id);
      update->bind_blob(2, new_raw);
      update->bind_blob(3, new_transformed);
      update->bind_blob(4, new_error);
      update->bind_blob(5, new_vars);
      update->bind_blob(6, new_attributes);
      update->bind_text(7, new_patient_id);
      update->bind_blob(8, new_patient_sealed);
      update->bind(9, current);
      update->run();

      struct Delivery {
        std::string destination, content, response, error;
      };
      std::vector<Delivery> deliveries;
      {
        sqlite::StatementUse q(connection_->statement(
            "SELECT destination, coalesce(sent_content, ''), coalesce(response, ''), coalesce(error, '') "
            "FROM deliveries WHERE message_id = ?1"));
        q->bind(1, id);
        while (q->step()) deliveries.push_back({q->string_at(0), q->string_at(1), q->string_at(2), q->string_at(3)});
      }
      for (const Delivery& d : deliveries) {
        sqlite::StatementUse q(connection_->statement(
            "UPDATE deliveries SET sent_content = ?3, response = ?4, error = ?5 WHERE message_id = ?1 AND "
            "destination = ?2"));
        // Locals: bindings are SQLITE_STATIC, they must outlive run().
        const std::string content = reseal(*cipher_, d.content, sealed::delivery_row(id, d.destination, "content"));
        const std::string response = reseal(*cipher_, d.response, sealed::delivery_row(id, d.destination, "response"));
        const std::string error_text = reseal(*cipher_, d.error, sealed::delivery_row(id, d.destination, "error"));
        q->bind(1, id);
        q->bind_text(2, d.destination);
        q->bind_blob(3, content);
        q->bind_blob(4, response);
        q->bind_blob(5, error_text);
        q->run();
      }
    } catch (const ValueTampered& e) {
      // Left as it is: it cannot be read with any key, and re-sealing
      // garbage would hide the damage. The pass goes on.
      logger::error("store", std::string("key pass: message ") + std::to_string(id) + " left as it is: " + e.what());
    }
  }
  return {last, {}, looked};
}

StoreWriter::Outcome StoreWriter::apply(KeyTablesOp& op) {
  for (const auto& [id, check] : op.put_checks) {
    sqlite::StatementUse q(
        connection_->statement("INSERT OR REPLACE INTO store_keys (key_id, check_value) VALUES (?1, ?2)"));
    q->bind(1, static_cast<std::int64_t>(id));
    q->bind_blob(2, check);
    q->run();
  }
  for (const std::uint32_t id : op.drop_checks) {
    sqlite::StatementUse q(connection_->statement("DELETE FROM store_keys WHERE key_id = ?1"));
    q->bind(1, static_cast<std::int64_t>(id));
    q->run();
  }
  if (op.reseal_values && cipher_->enabled()) {
    struct Value {
      std::string space, key, value;
    };
    std::vector<Value> values;
    {
      sqlite::StatementUse q(connection_->statement("SELECT channel, key, value FROM kv"));
      while (q->step()) values.push_back({q->string_at(0), q->string_at(1), q->string_at(2)});
    }
    for (const Value& v : values) {
      if (cipher_->sealed_with_current_key(v.value)) continue;
      try {
        const std::string value = reseal(*cipher_, v.value, sealed::value_row(v.space, v.key));
        sqlite::StatementUse q(connection_->statement("UPDATE kv SET value = ?3 WHERE channel = ?1 AND key = ?2"));
        q->bind_text(1, v.space);
        q->bind_text(2, v.key);
        q->bind_blob(3, value);
        q->run();
      } catch (const ValueTampered& e) {
        logger::error("store", std::string("key pass: a stored value left as it is: ") + e.what());
      }
    }
  }
  if (op.completed_key != 0) {
    sqlite::StatementUse q(connection_->statement(
        "INSERT INTO store_meta (key, value) VALUES ('sealed_key', ?1) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
    q->bind(1, op.completed_key);
    q->run();
  }
  if (op.optimize_indexes) {
    // Merges the index segments into one: entries deleted by the pass (plain
    // patient ids, the old key's hashes) leave the file, not only the index.
    connection_->exec("INSERT INTO message_keys (message_keys) VALUES ('optimize')");
    connection_->exec("INSERT INTO message_terms_fts (message_terms_fts) VALUES ('optimize')");
  }
  return {};
}

}  // namespace artery
