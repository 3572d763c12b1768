// The durable message store: SQLite in WAL mode, one writer thread that
// batches concurrent writes into one transaction (group commit), and a pool of
// read connections for queries.
#pragma once
#include <artery/states.hpp>

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

struct MessageQuery {
  std::string channel;        // "" = all
  std::optional<MessageState> state;
  std::string text;           // matches control id, patient id, message type, or content
  std::int64_t since_ms = 0;
  std::int64_t before_id = 0;  // paging: ids below this (0 = newest)
  std::int64_t origin_message_id = 0;  // only messages routed from this one (0 = any)
  int limit = 100;
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
};

class MessageStore {
 public:
  using Done = std::function<void(bool ok, const std::string& error)>;

  // Creates the file and schema when needed. nullptr with `error` on failure.
  static std::unique_ptr<MessageStore> open(const std::filesystem::path& file, Durability durability,
                                            std::string& error);
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
  std::vector<MessageRecord> search(const MessageQuery& query);
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

  struct Impl;

 private:
  explicit MessageStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace artery
