#include "store/message_search.hpp"

#include "store/keyed_terms.hpp"
#include "store/sealed_values.hpp"
#include "store/text_search_terms.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <type_traits>

namespace artery {
namespace {

// Parameters, numbered by what they hold so that one SQL text serves every
// query with the same filters set (each variant is prepared once per connection).
enum Param : int {
  p_channel = 1,
  p_state = 2,
  p_since = 3,
  p_until = 4,
  p_upper_id = 5,  // exclusive
  p_lower_id = 6,  // inclusive
  p_origin = 7,
  p_control = 8,
  p_patient = 9,
  p_type = 10,
  p_text = 11,
  p_key = 12,
  p_watermark = 13,
  p_limit = 14,
  p_states = 20,  // ?20, ?21...: several states
  p_patients = 40,  // ?40, ?41...: the patient id's keyed hashes (encrypted store)
};

constexpr std::int64_t no_upper = std::numeric_limits<std::int64_t>::max();

// A query with its values resolved for binding.
struct Search {
  const MessageQuery& query;
  std::vector<std::string> states;  // "" = any
  std::string fts;                  // the MATCH expression ("" = no text filter)
  const char* fts_table = "messages_fts";  // message_terms_fts in an encrypted store
  std::vector<std::string> patient_hashes{};  // encrypted store: patient_id matches one of these or the plain id
  std::string patient_key{};  // encrypted store: message_keys MATCH for the patient id
  std::int64_t upper_id = no_upper;
  std::int64_t lower_id = 0;
  std::int64_t watermark = 0;
  int fetch = 0;  // limit + 1: the extra row says has_more
};

// The conditions on `m` every driver applies. `one_state`: the state is bound
// as ?2 (the driver walks one state); `text`: the full-text filter applies
// here rather than as the driver.
std::string conditions(const Search& s, bool one_state, bool text) {
  const MessageQuery& q = s.query;
  std::string sql = " AND m.id < ?5 AND m.id >= ?6";
  if (!q.channel.empty()) sql += " AND m.channel = ?1";
  if (one_state) {
    sql += " AND m.state = ?2";
  } else if (!s.states.empty()) {
    sql += " AND m.state IN (";
    for (std::size_t i = 0; i < s.states.size(); ++i)
      sql += (i ? ", ?" : "?") + std::to_string(p_states + static_cast<int>(i));
    sql += ")";
  }
  if (q.since_ms > 0) sql += " AND m.received_at >= ?3";
  if (q.until_ms > 0) sql += " AND m.received_at < ?4";
  if (q.origin_message_id > 0) sql += " AND m.origin_message_id = ?7";
  if (!q.control_id.empty()) sql += " AND m.control_id = ?8";
  if (!q.patient_id.empty()) {
    sql += " AND m.patient_id IN (?9";
    for (std::size_t i = 0; i < s.patient_hashes.size(); ++i) sql += ", ?" + std::to_string(p_patients + static_cast<int>(i));
    sql += ")";
  }
  if (!q.message_type.empty()) sql += " AND m.message_type = ?10";
  if (text && !s.fts.empty())
    sql += std::string(" AND EXISTS (SELECT 1 FROM ") + s.fts_table + " WHERE " + s.fts_table + " MATCH ?11 AND " +
           s.fts_table + ".rowid = m.id)";
  return sql;
}

void bind_all(sqlite::Statement& st, const Search& s, const std::string& one_state, const std::string& key) {
  const MessageQuery& q = s.query;
  // Each SQL variant uses only some parameters; binding one past the highest
  // it uses is an error, a gap below it is not.
  const int used = st.parameter_count();
  auto bind = [&](int index, auto&& value) {
    if (index > used) return;
    if constexpr (std::is_integral_v<std::decay_t<decltype(value)>>) {
      st.bind(index, static_cast<std::int64_t>(value));
    } else {
      st.bind_text(index, value);
    }
  };
  bind(p_upper_id, s.upper_id);
  bind(p_lower_id, s.lower_id);
  if (!q.channel.empty()) bind(p_channel, q.channel);
  if (!one_state.empty()) bind(p_state, one_state);
  if (q.since_ms > 0) bind(p_since, q.since_ms);
  if (q.until_ms > 0) bind(p_until, q.until_ms);
  if (q.origin_message_id > 0) bind(p_origin, q.origin_message_id);
  if (!q.control_id.empty()) bind(p_control, q.control_id);
  if (!q.patient_id.empty()) bind(p_patient, q.patient_id);
  if (!q.message_type.empty()) bind(p_type, q.message_type);
  if (!s.fts.empty()) bind(p_text, s.fts);
  if (!key.empty()) bind(p_key, key);
  bind(p_watermark, s.watermark);
  bind(p_limit, s.fetch);
  if (one_state.empty())
    for (std::size_t i = 0; i < s.states.size(); ++i) bind(p_states + static_cast<int>(i), s.states[i]);
  if (!q.patient_id.empty())
    for (std::size_t i = 0; i < s.patient_hashes.size(); ++i) bind(p_patients + static_cast<int>(i), s.patient_hashes[i]);
}

// Runs an id query; appends its ids (newest first) to `out`.
void collect(sqlite::Connection& c, const std::string& sql, const Search& s, const std::string& one_state,
             const std::string& key, std::vector<std::int64_t>& out) {
  sqlite::StatementUse q(c.statement(sql));
  bind_all(*q, s, one_state, key);
  while (q->step()) out.push_back(q->int64_at(0));
}

// The first column of the first row, `none` without a row; ?1 = `bound` if the SQL has it.
std::int64_t single_int(sqlite::Connection& c, const std::string& sql, std::int64_t bound, std::int64_t none) {
  sqlite::StatementUse q(c.statement(sql));
  if (q->parameter_count() >= 1) q->bind(1, bound);
  return q->step() ? q->int64_at(0) : none;
}

// The ids of the page (up to s.fetch), newest first.
std::vector<std::int64_t> find_ids(sqlite::Connection& c, const Search& s) {
  const MessageQuery& q = s.query;
  std::vector<std::int64_t> ids;
  const std::string order = " ORDER BY m.id DESC LIMIT ?14";

  // 1. A search key: the exact metadata filters, the most selective first.
  // message_keys finds the messages holding the key's words; the condition
  // on the column itself (in conditions()) keeps the match exact.
  const std::string& key_value = !q.control_id.empty() ? q.control_id : !q.patient_id.empty() ? q.patient_id : q.message_type;
  if (!key_value.empty()) {
    std::string key;
    try {
      key = fts_match_expression(key_value);
    } catch (const std::invalid_argument&) {
      // A key of more than max_search_words words: found by the scan below.
    }
    // An encrypted store indexes the patient id's keyed hash (or, until the
    // key pass reaches an older message, its plain words).
    if (q.control_id.empty() && !q.patient_id.empty() && !s.patient_key.empty())
      key = s.patient_key + (key.empty() ? "" : " OR (" + key + ")");
    // The newest messages, not indexed yet, by their columns; the text filter
    // cannot see them, so with one they are left out. A key without any word
    // character is not in the index at all: then everything is scanned.
    if (s.fts.empty()) {
      const std::int64_t newest = single_int(c, "SELECT max(id) FROM messages", 0, 0);
      Search tail = s;
      if (!key.empty()) tail.lower_id = std::max({s.lower_id, s.watermark + 1, newest - unindexed_scan_limit + 1});
      // NOT INDEXED: the primary key's id range bounds the scan, whatever else is set.
      if (tail.lower_id <= newest)
        collect(c, "SELECT m.id FROM messages m NOT INDEXED WHERE 1" + conditions(tail, false, false) + order, tail,
                {}, {}, ids);
    }
    if (!key.empty() && static_cast<int>(ids.size()) < s.fetch) {
      Search indexed = s;
      indexed.fetch = s.fetch - static_cast<int>(ids.size());
      // CROSS JOIN: the key's doclist drives, newest first, so LIMIT stops the walk.
      collect(c,
              "SELECT m.id FROM message_keys CROSS JOIN messages m ON m.id = message_keys.rowid "
              "WHERE message_keys MATCH ?12 AND message_keys.rowid < ?5 AND message_keys.rowid >= ?6 "
              "AND message_keys.rowid <= ?13" +
                  conditions(indexed, false, true) + " ORDER BY message_keys.rowid DESC LIMIT ?14",
              indexed, {}, key, ids);
    }
    return ids;
  }
  // 2. Free text: FTS5 walks its doclists in rowid order, newest first.
  if (!s.fts.empty()) {
    const std::string t = s.fts_table;
    collect(c,
            "SELECT m.id FROM " + t + " CROSS JOIN messages m ON m.id = " + t + ".rowid WHERE " + t +
                " MATCH ?11 AND " + t + ".rowid < ?5 AND " + t + ".rowid >= ?6" + conditions(s, false, false) +
                " ORDER BY " + t + ".rowid DESC LIMIT ?14",
            s, {}, {}, ids);
    return ids;
  }
  // 3. States: one walk of (state, id) per state, merged. (One IN walk would
  // have to sort every matching row to give them newest first.)
  if (!s.states.empty()) {
    const std::string sql =
        "SELECT m.id FROM messages m INDEXED BY messages_by_state WHERE 1" + conditions(s, true, false) + order;
    for (const std::string& state : s.states) collect(c, sql, s, state, {}, ids);
    std::sort(ids.begin(), ids.end(), std::greater<>());
    if (static_cast<int>(ids.size()) > s.fetch) ids.resize(static_cast<std::size_t>(s.fetch));
    return ids;
  }
  // 4. A channel's (channel, id), else the primary key itself (NOT INDEXED:
  // never messages_by_time, which would sort the whole time range).
  const std::string from = q.channel.empty() ? "messages m NOT INDEXED" : "messages m INDEXED BY messages_by_channel";
  collect(c, "SELECT m.id FROM " + from + " WHERE 1" + conditions(s, false, false) + order, s, {}, {}, ids);
  return ids;
}

constexpr const char* full_columns =
    "SELECT id, channel, received_at, state, data_type, message_type, control_id, patient_id, transformed_type, "
    "origin_channel, origin_message_id, length(raw), key_id, patient_sealed, raw, transformed, error, vars_json, "
    "attributes_json FROM messages WHERE id = ?1";
// length(raw) of a BLOB is read from the record header: the content is not loaded.
constexpr const char* summary_columns =
    "SELECT id, channel, received_at, state, data_type, message_type, control_id, patient_id, transformed_type, "
    "origin_channel, origin_message_id, length(raw), key_id, patient_sealed FROM messages WHERE id = ?1";

}  // namespace

MessagePage search_messages(sqlite::Connection& c, const MessageQuery& query, const ValueCipher& cipher) {
  MessagePage page;
  const auto keys = cipher.keys();
  Search s{query, {}, keys ? keyed_terms::match_expression(*keys, query.text) : fts_match_expression(query.text)};
  if (keys) {
    s.fts_table = "message_terms_fts";
    if (!query.patient_id.empty()) {
      s.patient_hashes = cipher.keyed_hashes(query.patient_id);
      for (const std::string& hash : s.patient_hashes)
        s.patient_key += (s.patient_key.empty() ? "\"" : " OR \"") + hash + "\"";
    }
  }
  if (query.limit <= 0) return page;
  if (query.state) s.states.emplace_back(to_string(*query.state));
  for (MessageState state : query.states) {
    const std::string name(to_string(state));
    if (std::find(s.states.begin(), s.states.end(), name) == s.states.end()) s.states.push_back(name);
  }
  s.fetch = query.limit + 1;
  if (query.before_id > 0) s.upper_id = query.before_id;

  // One read transaction: the watermark, the ids and their rows are one snapshot.
  c.exec("BEGIN");
  struct EndRead {
    sqlite::Connection& c;
    ~EndRead() { sqlite3_exec(c.handle(), "COMMIT", nullptr, nullptr, nullptr); }
  } end_read{c};

  s.watermark = single_int(c, "SELECT value FROM store_meta WHERE key = 'indexed_through'", 0, 0);
  page.indexed_through = s.watermark;
  if (!query.text.empty() && s.fts.empty()) return page;  // no word to look for: nothing matches

  // Received-time bounds as id bounds (ids follow arrival), from the time index.
  constexpr const char* first_id_at =
      "SELECT id FROM messages INDEXED BY messages_by_time WHERE received_at >= ?1 ORDER BY received_at LIMIT 1";
  if (query.since_ms > 0) s.lower_id = single_int(c, first_id_at, query.since_ms - received_time_skew_ms, no_upper);
  if (query.until_ms > 0)
    s.upper_id = std::min(s.upper_id, single_int(c, first_id_at, query.until_ms + received_time_skew_ms, no_upper));
  if (s.lower_id >= s.upper_id) return page;

  const std::vector<std::int64_t> ids = find_ids(c, s);
  page.has_more = static_cast<int>(ids.size()) > query.limit;
  const std::size_t count = std::min(ids.size(), static_cast<std::size_t>(query.limit));
  sqlite::Statement& row = c.statement(query.with_content ? full_columns : summary_columns);
  for (std::size_t i = 0; i < count; ++i) {
    sqlite::StatementUse r(row);
    r->bind(1, ids[i]);
    if (!r->step()) continue;  // not possible within the snapshot; skipped rather than trusted
    MessageRecord m;
    m.id = r->int64_at(0);
    m.channel = r->string_at(1);
    m.received_at_ms = r->int64_at(2);
    m.state = message_state_from(r->string_at(3)).value_or(MessageState::error);
    m.data_type = r->string_at(4);
    m.message_type = r->string_at(5);
    m.control_id = r->string_at(6);
    m.patient_id = r->string_at(7);
    m.transformed_type = r->string_at(8);
    m.origin_channel = r->string_at(9);
    m.origin_message_id = r->int64_at(10);
    m.raw_bytes = r->int64_at(11);
    constexpr std::int64_t seal_overhead = 36;  // value_cipher.hpp: magic, key id, nonce, tag
    if (r->int64_at(12) != 0 && m.raw_bytes >= seal_overhead) m.raw_bytes -= seal_overhead;
    if (query.with_content) {
      m.raw = r->string_at(14);
      m.transformed = r->string_at(15);
      m.error = r->string_at(16);
      m.vars_json = r->string_at(17);
      m.attributes_json = r->string_at(18);
    }
    try {
      sealed::open_message(cipher, m, r->string_at(13), query.with_content);
    } catch (const ValueTampered& e) {
      // One altered message does not hide the rest of the page: it is listed
      // with the error and without content.
      m.raw.clear(), m.transformed.clear(), m.vars_json.clear(), m.attributes_json.clear(), m.patient_id.clear();
      m.error = e.what();
    }
    page.messages.push_back(std::move(m));
  }
  return page;
}

}  // namespace artery
