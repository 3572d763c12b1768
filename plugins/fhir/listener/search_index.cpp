#include "listener/search_index.hpp"

#include "listener/fhir_instant.hpp"
#include "listener/resource_types.hpp"

#include <boost/json.hpp>

#include <cctype>

namespace artery::fhir {
namespace json = boost::json;
namespace {

const json::value* field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

// A FHIR element that may be one object or a list of them.
template <class F>
void each_object(const json::value* v, F&& f) {
  if (!v) return;
  if (v->is_object()) f(v->get_object());
  if (v->is_array())
    for (const auto& item : v->get_array())
      if (item.is_object()) f(item.get_object());
}

std::string text_of(const json::value* v) { return v && v->is_string() ? std::string(v->get_string()) : ""; }

void add_string(std::vector<IndexRow>& rows, const std::string& param, const json::value* v) {
  if (v && v->is_string() && !v->get_string().empty()) rows.push_back({param, "", fold_for_search(v->get_string())});
}

void add_date(std::vector<IndexRow>& rows, const std::string& param, const json::value* v) {
  if (!v || !v->is_string()) return;
  if (auto r = parse_fhir_time(v->get_string())) rows.push_back({param, "", std::string(v->get_string()), r->low, r->high});
}

void add_period(std::vector<IndexRow>& rows, const std::string& param, const json::value* v) {
  if (!v || !v->is_object()) return;
  const auto& p = v->get_object();
  auto start = p.contains("start") ? parse_fhir_time(text_of(field(p, "start"))) : std::nullopt;
  auto end = p.contains("end") ? parse_fhir_time(text_of(field(p, "end"))) : std::nullopt;
  if (!start && !end) return;
  // An open end is "still going": up to the far future.
  rows.push_back({param, "", "", start ? start->low : INT64_MIN / 2, end ? end->high : INT64_MAX / 2});
}

void add_coding(std::vector<IndexRow>& rows, const std::string& param, const json::value* codeable_value) {
  each_object(codeable_value, [&](const json::object& codeable) {
    each_object(field(codeable, "coding"), [&](const json::object& coding) {
      std::string code = text_of(field(coding, "code"));
      if (!code.empty()) rows.push_back({param, text_of(field(coding, "system")), code});
    });
  });
}

void add_reference(std::vector<IndexRow>& rows, const std::string& param, const json::value* v) {
  each_object(v, [&](const json::object& ref) {
    std::string reference = text_of(field(ref, "reference"));
    // "Patient/123", or an absolute URL ending in it; "Patient/123/_history/2" counts as Patient/123.
    if (auto h = reference.find("/_history/"); h != std::string::npos) reference.resize(h);
    auto slash = reference.rfind('/');
    if (slash == std::string::npos || slash == 0) return;
    auto type_start = reference.rfind('/', slash - 1);
    std::string type = reference.substr(type_start == std::string::npos ? 0 : type_start + 1,
                                        slash - (type_start == std::string::npos ? 0 : type_start + 1));
    rows.push_back({param, type, reference.substr(slash + 1)});
  });
}

}  // namespace

std::string fold_for_search(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<IndexRow> index_rows(const json::object& r) {
  std::vector<IndexRow> rows;
  const std::string type = text_of(field(r, "resourceType"));
  for (const auto& def : search_params_for(type)) {
    const std::string& p = def.index;
    if (p == "identifier") {
      each_object(field(r, "identifier"), [&](const json::object& id) {
        std::string value = text_of(field(id, "value"));
        if (!value.empty()) rows.push_back({p, text_of(field(id, "system")), value});
      });
    } else if (p == "name") {
      const json::value* name = field(r, "name");
      if (name && name->is_string()) {
        add_string(rows, p, name);
      } else {
        each_object(name, [&](const json::object& human) {
          add_string(rows, p, field(human, "family"));
          add_string(rows, p, field(human, "text"));
          for (const char* list : {"given", "prefix", "suffix"})
            if (const auto* parts = field(human, list); parts && parts->is_array())
              for (const auto& part : parts->get_array()) add_string(rows, p, &part);
        });
      }
    } else if (p == "family" || p == "given") {
      each_object(field(r, "name"), [&](const json::object& human) {
        const json::value* part = field(human, p);
        if (part && part->is_array())
          for (const auto& item : part->get_array()) add_string(rows, p, &item);
        else
          add_string(rows, p, part);
      });
    } else if (p == "birthdate") {
      add_date(rows, p, field(r, "birthDate"));
    } else if (p == "gender" || p == "status") {
      std::string value = text_of(field(r, p));
      if (!value.empty()) rows.push_back({p, "", value});
    } else if (p == "category" || p == "scope") {
      add_coding(rows, p, field(r, p));
    } else if (p == "code") {
      add_coding(rows, p, field(r, "code"));
      add_coding(rows, p, field(r, "medicationCodeableConcept"));
      add_coding(rows, p, field(r, "vaccineCode"));
    } else if (p == "subject") {
      if (rows.empty() || rows.back().param != "subject") {  // patient and subject share these rows
        add_reference(rows, p, field(r, "subject"));
        add_reference(rows, p, field(r, "patient"));
      }
    } else if (p == "date") {
      for (const char* key : {"effectiveDateTime", "effectiveInstant", "performedDateTime", "occurrenceDateTime"})
        add_date(rows, p, field(r, key));
      for (const char* key : {"effectivePeriod", "period", "performedPeriod"}) add_period(rows, p, field(r, key));
    }
  }
  return rows;
}

void SearchIndex::create_schema(SqliteDb& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS search_index ("
      " type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL, system TEXT NOT NULL, value TEXT NOT NULL,"
      " low INTEGER, high INTEGER);"
      // One index, by resource: every search condition is an EXISTS correlated
      // on (type, id) (search_query.cpp), which is what it serves. Indexes by
      // (param, value) and (param, low) served no query (EXPLAIN QUERY PLAN:
      // the date one was even chosen for the correlated probe, a scan per row)
      // and cost most of a create's commit: their rows land on a page per
      // parameter, 20 of the ~30 pages each create wrote to the WAL.
      // Add one back together with a search that looks values up first.
      "DROP INDEX IF EXISTS search_by_value;"
      "DROP INDEX IF EXISTS search_by_time;"
      "CREATE INDEX IF NOT EXISTS search_by_resource ON search_index (type, id);");
}

void SearchIndex::replace(const std::string& type, const std::string& id, const std::vector<IndexRow>& rows,
                          bool first_version) {
  if (!first_version) {
    SqliteStatement drop(db_, "DELETE FROM search_index WHERE type = ?1 AND id = ?2", SqliteStatement::Prepared::kept);
    drop.bind(1, type).bind(2, id);
    drop.step();
  }
  if (rows.empty()) return;
  SqliteStatement insert(db_,
                         "INSERT INTO search_index (type, id, param, system, value, low, high) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", SqliteStatement::Prepared::kept);
  for (const auto& row : rows) {
    insert.reset();
    insert.bind(1, type).bind(2, id).bind(3, row.param);
    if (row.blinded)
      insert.bind_blob(4, row.system).bind_blob(5, row.value);
    else
      insert.bind(4, row.system).bind(5, row.value);
    if (row.low != 0 || row.high != 0) {
      insert.bind(6, row.low).bind(7, row.high);
    } else {
      insert.bind_null(6).bind_null(7);
    }
    insert.step();
  }
}

}  // namespace artery::fhir
