// The durable message store: SQLite in WAL mode, one writer thread that
// batches concurrent writes into one transaction (group commit), and a pool of
// read connections for queries.
#pragma once
#include <artery/states.hpp>
#include <artery/value_cipher.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace artery {

enum class Durability {
  normal,  // synchronous=NORMAL: survives a process crash (the default)
  fsync,   // synchronous=FULL: survives power loss
};

// artery.yaml's `storage:` block (docs/security.md, "Encryption at rest").
struct StoreEncryption {
  bool encrypt = false;
  // Used when ARTERY_KEY is not set; created (mode 0600) on first start.
  std::filesystem::path key_file;
};

// Progress of the background pass that seals what is not sealed with the
// current key: a store written before encryption was on, or a key rotation
// (`artery key rotate`, GET /api/keys/rotation).
struct KeyPassStatus {
  std::string state = "idle";  // idle | running | done | failed
  std::string reason;          // "encrypt" (plain values found) or "rotate"
  std::string current_key;     // 8 hex digits; "" when encryption is off
  std::vector<std::string> old_keys;  // still readable until the pass is done
  std::vector<std::string> waiting_for;  // stores outside ours not yet re-sealed ("fhir/<channel>")
  std::int64_t messages_done = 0, messages_total = 0;
  std::int64_t started_ms = 0, finished_ms = 0;
  std::string error;
};

// A new message and its destination queue rows, committed together.
struct NewMessage {
  std::int64_t id = 0;  // assigned by the store; set only on messages read back from its intake log
  std::string channel;
  std::int64_t received_at_ms = 0;  // unix epoch milliseconds
  MessageState state = MessageState::received;  // FILTERED, QUEUED (with deliveries), SENT, ERROR
  std::string data_type;
  std::string raw;
  std::string transformed;  // payload after the channel script ("" = unchanged)
  std::string transformed_type;  // its data type when not data_type ("json" from a table)
  std::string message_type;  // searchable metadata: "ORU^R01"
  std::string control_id;
  std::string patient_id;
  std::string error;        // reason and Lua traceback for ERROR
  std::string vars_json;    // ctx.vars as a JSON object, restored for delivery
  std::string attributes_json;
  std::vector<std::string> destinations;  // one QUEUED delivery row each, in this order
  // Parallel to `destinations` when not empty: a delivery's own content, stored
  // in its row (the routed messages of a `router` delivery); "" = the message's
  // payload, which is not copied.
  std::vector<std::string> delivery_contents;
  // Set on a message another channel routed here (a `channel` destination or
  // router.route): the link back to the message it came from.
  std::string origin_channel;
  std::int64_t origin_message_id = 0;
  // Set by the store when it seals (store/sealed_values.hpp): patient_id is
  // then the keyed hash, and this the sealed patient id.
  std::string patient_sealed;
};

// A change to one delivery (one message x one destination).
struct DeliveryUpdate {
  std::int64_t message_id = 0;
  std::string destination;
  MessageState state = MessageState::queued;  // SENT, ERROR, FILTERED, or QUEUED (retry pending)
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;  // for QUEUED: when to try again
  std::optional<std::string> sent_content;
  std::optional<std::string> response;
  std::optional<std::string> error;
};

// A delivery waiting to be sent, with what its destination needs.
struct PendingDelivery {
  std::int64_t message_id = 0;
  std::string destination;
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::string data_type;  // of the payload
  std::string payload;  // transformed if the channel changed it, else raw
  std::string vars_json;
  std::string attributes_json;  // the source's facts (file name, remote address): ctx.source, ${source.x}
  bool read_back = false;  // read from the store (recovery, or beyond the in-memory window)
  // Set when a sealed value of the row failed authentication (altered on
  // disk, or sealed with a key the engine no longer has): the delivery is
  // recorded as ERROR with this reason instead of sent, and the queue
  // behind it goes on. The content fields are then empty.
  std::string unreadable;
};

// Counters for a channel (destination "") or one of its destinations.
struct Counters {
  std::int64_t received = 0;
  std::int64_t filtered = 0;
  std::int64_t queued = 0;  // gauge
  std::int64_t sent = 0;
  std::int64_t errored = 0;
};
struct CounterDelta {
  std::string channel;
  std::string destination;  // "" for the channel itself
  Counters delta;
};

// What MessageStore::search finds: messages matching every filter set, newest
// (highest id) first. See docs/operations.md, "Message search".
struct MessageQuery {
  std::string channel;        // "" = all
  std::optional<MessageState> state;  // one state (kept for older callers)...
  std::vector<MessageState> states;   // ...or any of these; both empty = any state
  // Exact, case-sensitive matches on the message's metadata ("" = any).
  std::string control_id;     // MSH-10
  std::string patient_id;
  std::string message_type;   // "ORU^R01"
  // Free text: every word in it must occur in the raw content, or in the
  // transformed content when that is of another data type (JSON from HL7).
  // A word is a run of ASCII letters and digits (and non-ASCII bytes);
  // everything else separates words, so "ORU^R01" means ORU and R01, anywhere.
  // Case-insensitive for ASCII, whole words (no prefixes). Text without any
  // word matches nothing. Uses the full-text index: finds messages up to the
  // page's indexed_through only.
  std::string text;
  std::int64_t since_ms = 0;  // received at or after (0 = no bound)
  std::int64_t until_ms = 0;  // received before (0 = no bound)
  std::int64_t before_id = 0;  // paging: ids below this (0 = newest)
  std::int64_t origin_message_id = 0;  // only messages routed from this one (0 = any)
  // Page size. The store sets no maximum (older callers read whole channels);
  // an API facing users should cap it.
  int limit = 100;
  // false: summaries only. raw, transformed, error, vars_json and
  // attributes_json stay empty and are not read, so a listing never loads content.
  bool with_content = true;
};
struct DeliveryRecord {
  std::string destination;
  MessageState state = MessageState::queued;
  int attempts = 0;
  std::string sent_content;  // empty: the message's payload was sent unchanged (transformed, else raw)
  std::string response, error;
  std::int64_t updated_ms = 0;
};

struct MessageRecord {
  std::int64_t id = 0;
  std::string channel;
  std::int64_t received_at_ms = 0;
  MessageState state = MessageState::received;
  std::string data_type, raw, transformed, transformed_type, message_type, control_id, patient_id, error, vars_json,
      attributes_json;
  std::string origin_channel;  // routed here from this channel's message origin_message_id ("" / 0: not routed)
  std::int64_t origin_message_id = 0;
  std::vector<DeliveryRecord> deliveries;  // filled by get(), empty in search results
  std::int64_t raw_bytes = 0;  // size of raw, also in summaries
};

// One page of search results.
struct MessagePage {
  std::vector<MessageRecord> messages;  // newest first, at most query.limit
  // More messages match: the next page is the same query with
  // before_id = messages.back().id.
  bool has_more = false;
  // The search indexes are complete up to this message id. Control id,
  // patient id and message type filters also find newer messages (they scan
  // the few not indexed yet); a text filter finds only messages up to it.
  std::int64_t indexed_through = 0;
};

class MessageStore {
 public:
  using Done = std::function<void(bool ok, const std::string& error)>;

  // Creates the file and schema when needed. nullptr with `error` on failure.
  // With `encryption.encrypt`, content is sealed (see store/sealed_values.hpp)
  // and a key that cannot open what the store holds refuses the open before
  // anything is written. A store holding sealed values needs the key even
  // with encrypt off.
  static std::unique_ptr<MessageStore> open(const std::filesystem::path& file, Durability durability,
                                            std::string& error, const StoreEncryption& encryption = {});
  ~MessageStore();  // flushes pending writes, stops the writer

  // ---- writes: queued to the writer, committed in the next batch ----
  // insert: `done(id, error)` runs once the message is durable (id 0 on
  // failure), in id order: with durability `normal` on the caller's thread
  // before insert() returns (the message is in the intake log), with `fsync`
  // on the writer thread after its COMMIT. Keep it short and non-blocking,
  // and do not insert from it.
  void insert(NewMessage message, std::function<void(std::int64_t id, const std::string& error)> done);
  void update_delivery(DeliveryUpdate update, Done done = {});
  void add_counters(CounterDelta delta);  // coalesced, committed with the next batch
  void put_value(const std::string& channel, const std::string& key, const std::string& value,
                 Done done = {});
  void erase_value(const std::string& channel, const std::string& key, Done done = {});
  // Blocks until everything queued before the call is committed.
  void flush();

  // ---- reads ----
  // QUEUED deliveries of one destination with message id > after_id, oldest first.
  std::vector<PendingDelivery> pending(const std::string& channel, const std::string& destination,
                                       std::int64_t after_id, int limit);
  std::int64_t pending_count(const std::string& channel, const std::string& destination);
  std::optional<std::string> get_value(const std::string& channel, const std::string& key);
  std::map<std::string, std::string> values(const std::string& channel);  // whole k/v space
  // Persisted counters: channel -> destination ("" = channel) -> counters.
  std::map<std::string, std::map<std::string, Counters>> counters();
  // Throws std::invalid_argument for a text of more than max_search_words
  // words (store/text_search_terms.hpp), sqlite::Error when SQLite fails.
  MessagePage search_page(const MessageQuery& query);
  std::vector<MessageRecord> search(const MessageQuery& query);  // search_page(query).messages
  // The search indexes' watermark: complete up to this message id.
  std::int64_t indexed_through();
  // Waits until every message inserted before the call is in the search
  // indexes; false on timeout.
  bool wait_until_indexed(std::chrono::milliseconds timeout);
  std::optional<MessageRecord> get(std::int64_t id);
  // channel -> received_at (ms) of its oldest QUEUED delivery, for channels
  // that have one (alerts on queue age, the health check). One query that
  // seeks the partial index of QUEUED rows once per queue: under a millisecond
  // whatever the backlog (measured with 200,000 queued deliveries).
  std::map<std::string, std::int64_t> oldest_queued_ms();

  // Deletes messages (and their deliveries) older than max_age, or beyond the
  // newest max_count, for one channel; never deletes a message with a QUEUED
  // delivery. Returns how many were deleted.
  std::int64_t prune(const std::string& channel, std::optional<std::chrono::milliseconds> max_age,
                     std::optional<std::int64_t> max_count);

  // Queue purge (an operator's `artery queue purge`): every QUEUED delivery of
  // the channel's `destination` ("" = all of its destinations) becomes ERROR
  // with `reason`, so nothing vanishes silently; the messages' states follow.
  // Blocks until committed; returns how many deliveries it ended. Counters
  // are the caller's (the live ones belong to the runtime), and so is making
  // sure no worker is delivering from that queue meanwhile
  // (DestinationWorker::purge does both).
  std::int64_t purge_queued(const std::string& channel, const std::string& destination, const std::string& reason);

  // What content is sealed with (docs/security.md, "Encryption at rest");
  // disabled unless the store was opened with keys.
  const ValueCipher& value_cipher() const;
  // Rotation: a new key becomes current (written to the key file beside the
  // old one), a background pass re-seals every value and re-hashes the keyed
  // columns, then the old key leaves the key file. false with `error` when
  // encryption is off, the keys come from ARTERY_KEY, or a pass is running.
  bool rotate_keys(std::string& error);
  KeyPassStatus key_pass_status() const;
  // Blocks until the background pass (if any) has finished; false on timeout.
  bool wait_for_key_pass(std::chrono::milliseconds timeout);

  struct Impl;

 private:
  explicit MessageStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace artery
