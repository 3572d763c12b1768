#include "listener/search_query.hpp"

#include "listener/fhir_instant.hpp"
#include "listener/resource_types.hpp"
#include "listener/search_index.hpp"
#include "listener/search_terms.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace artery::fhir {
namespace {

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto at = text.find(by, start);
    out.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return out;
}

std::int64_t to_int(const std::string& name, const std::string& text) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0)
    throw SearchError(name + ": not a non-negative number: " + text);
  return v;
}

struct Prefixed {
  std::string prefix = "eq";
  TimeRange range;
};

Prefixed date_value(const std::string& name, const std::string& text) {
  Prefixed out;
  std::string value = text;
  if (value.size() > 2 && std::isalpha(static_cast<unsigned char>(value[0])) &&
      std::isalpha(static_cast<unsigned char>(value[1]))) {
    out.prefix = value.substr(0, 2);
    value = value.substr(2);
    if (out.prefix != "eq" && out.prefix != "gt" && out.prefix != "lt" && out.prefix != "ge" && out.prefix != "le")
      throw SearchError(name + ": unsupported prefix '" + out.prefix + "' (eq, gt, lt, ge, le are)");
  }
  auto range = parse_fhir_time(value);
  if (!range) throw SearchError(name + ": not a FHIR date/dateTime: " + value);
  out.range = *range;
  return out;
}

// [low, high) of the stored value against the searched range, per FHIR's date search rules.
std::string range_condition(const std::string& prefix, const std::string& low, const std::string& high,
                            std::vector<SqlValue>& binds, const TimeRange& r) {
  auto bind = [&](std::int64_t v) {
    binds.emplace_back(v);
    return "?" + std::to_string(binds.size());
  };
  if (prefix == "eq") return "(" + low + " >= " + bind(r.low) + " AND " + high + " <= " + bind(r.high) + ")";
  if (prefix == "gt") return "(" + high + " > " + bind(r.high) + ")";
  if (prefix == "lt") return "(" + low + " < " + bind(r.low) + ")";
  if (prefix == "ge") return "(" + high + " > " + bind(r.low) + ")";
  return "(" + low + " < " + bind(r.high) + ")";  // le
}

}  // namespace

SearchQuery parse_search(const std::string& type, const std::vector<std::pair<std::string, std::string>>& params,
                         std::int64_t page_size, std::int64_t max_page_size) {
  return parse_search(type, params, page_size, max_page_size, SearchTerms::plain());
}

SearchQuery parse_search(const std::string& type, const std::vector<std::pair<std::string, std::string>>& params,
                         std::int64_t page_size, std::int64_t max_page_size, const SearchTerms& terms) {
  SearchQuery q;
  q.type = type;
  q.count = page_size;
  const auto defs = search_params_for(type);
  auto bind = [&](SqlValue v) {
    q.binds.push_back(std::move(v));
    return "?" + std::to_string(q.binds.size());
  };
  // A condition in the index's form: keyed hashes when it is blinded, the
  // readable value when not, and both while a sealing pass still has plain
  // rows to reach (a hash is a BLOB, a plain value TEXT: never equal).
  auto either = [&](auto&& make) -> std::string {
    if (!terms.blinded()) return make(false);
    if (!terms.plain_rows_remain()) return make(true);
    return "(" + make(true) + " OR " + make(false) + ")";
  };
  auto any_of = [&](const std::vector<std::string>& hashes, const std::string& test) {
    std::string out = "(";
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      std::string cond = test;
      cond.replace(cond.find('@'), 1, bind(SqlBlob{hashes[i]}));
      out += (i ? " OR " : "") + cond;
    }
    return out + ")";
  };
  auto equals = [&](const std::string& column, const std::string& param, SearchTerms::Part part,
                    const std::string& text, bool blinded) {
    if (!blinded) return column + " = " + bind(text);
    return any_of(terms.token(param, part, text), column + " = @");
  };
  using Part = SearchTerms::Part;
  std::vector<std::string> conditions;
  for (const auto& [raw_name, value] : params) {
    std::string name = raw_name, modifier;
    if (auto colon = name.find(':'); colon != std::string::npos) {
      modifier = name.substr(colon + 1);
      name.resize(colon);
    }
    if (name == "_format" || name == "_pretty") continue;
    if (name == "_offset") {
      q.offset = to_int(name, value);
      continue;
    }
    q.canonical.emplace_back(raw_name, value);
    if (name == "_count") {
      q.count = std::min(to_int(name, value), max_page_size);
      continue;
    }
    if (name == "_summary") {
      if (value != "count") throw SearchError("_summary: only _summary=count is supported");
      q.summary_count = true;
      continue;
    }
    if (name == "_sort") {
      std::vector<std::string> keys;
      for (const auto& key : split(value, ',')) {
        bool desc = !key.empty() && key[0] == '-';
        std::string k = desc ? key.substr(1) : key;
        std::string expr;
        if (k == "_id") {
          expr = "r.id";
        } else if (k == "_lastUpdated") {
          expr = std::string("r.last_updated_ms") + (desc ? " DESC" : " ASC") + ", r.rowid";
        } else {
          auto def = std::find_if(defs.begin(), defs.end(), [&](const SearchParamDef& d) { return d.name == k; });
          if (def == defs.end() || def->type == SearchParamType::reference)
            throw SearchError("_sort: cannot sort " + type + " by '" + k + "'");
          if (terms.blinded() && def->type != SearchParamType::date)
            throw SearchError("_sort: cannot sort by '" + k +
                              "' in an encrypted repository (its index holds keyed hashes, not the values)");
          std::string column = def->type == SearchParamType::date ? "low" : "value";
          expr = "(SELECT " + std::string(desc ? "MAX" : "MIN") + "(s." + column +
                 ") FROM search_index s WHERE s.type = r.type AND s.id = r.id AND s.param = " + bind(def->index) + ")";
        }
        keys.push_back(expr + (desc ? " DESC" : " ASC"));
      }
      q.order = "ORDER BY ";
      for (std::size_t i = 0; i < keys.size(); ++i) q.order += (i ? ", " : "") + keys[i];
      q.order += ", r.id ASC";
      continue;
    }
    if (name == "_include") {
      // Observation:subject, Observation:patient (or *:subject)
      auto parts = split(value, ':');
      if (parts.size() < 2 || (parts[0] != type && parts[0] != "*"))
        throw SearchError("_include: expected " + type + ":subject or " + type + ":patient, got " + value);
      auto def = std::find_if(defs.begin(), defs.end(), [&](const SearchParamDef& d) {
        return d.name == parts[1] && d.type == SearchParamType::reference;
      });
      if (def == defs.end()) throw SearchError("_include: " + type + " has no reference parameter " + parts[1]);
      q.includes.push_back(def->index);
      continue;
    }
    if (!modifier.empty() && !(modifier == "exact" || modifier == "missing"))
      throw SearchError(raw_name + ": modifier :" + modifier + " is not supported");
    std::vector<std::string> alternatives;
    if (name == "_id") {
      for (const auto& id : split(value, ',')) alternatives.push_back("r.id = " + bind(id));
    } else if (name == "_lastUpdated") {
      auto d = date_value(name, value);
      alternatives.push_back(range_condition(d.prefix, "r.last_updated_ms", "(r.last_updated_ms + 1)", q.binds, d.range));
    } else {
      auto def = std::find_if(defs.begin(), defs.end(), [&](const SearchParamDef& d) { return d.name == name; });
      if (def == defs.end())
        throw SearchError("unknown search parameter '" + name + "' for " + type + " (see /metadata)");
      const std::string exists = "EXISTS (SELECT 1 FROM search_index s WHERE s.type = r.type AND s.id = r.id AND "
                                 "s.param = " + bind(def->index) + " AND ";
      if (modifier == "missing") {
        conditions.push_back(std::string(value == "true" ? "NOT " : "") + exists + "1)");
        continue;
      }
      for (const auto& item : split(value, ',')) {
        switch (def->type) {
          case SearchParamType::token: {
            auto bar = item.find('|');
            const std::string& param = def->index;
            if (bar == std::string::npos) {
              alternatives.push_back(exists + either([&](bool b) { return equals("s.value", param, Part::value, item, b); }) +
                                     ")");
            } else {
              std::string system = item.substr(0, bar), code = item.substr(bar + 1);
              alternatives.push_back(exists + either([&](bool b) {
                                       std::string cond = "(" + equals("s.system", param, Part::system, system, b);
                                       if (!code.empty()) cond += " AND " + equals("s.value", param, Part::value, code, b);
                                       return cond + ")";
                                     }) +
                                     ")");
            }
            break;
          }
          case SearchParamType::string: {
            std::string folded = fold_for_search(item);
            const std::string& param = def->index;
            if (modifier == "exact") {
              // The whole value's hash leads a hashed string row.
              alternatives.push_back(exists + either([&](bool b) {
                                       if (!b) return "s.value = " + bind(folded);
                                       return any_of(terms.exact(param, folded), "instr(s.value, @) = 1");
                                     }) +
                                     ")");
            } else {
              alternatives.push_back(exists + either([&](bool b) {
                                       if (b) {
                                         if (folded.empty()) return std::string("typeof(s.value) = 'blob'");
                                         return "(typeof(s.value) = 'blob' AND " +
                                                any_of(terms.prefix(param, folded), "instr(s.value, @) > 0") + ")";
                                       }
                                       std::string pattern;
                                       for (char c : folded) {
                                         if (c == '%' || c == '_' || c == '\\') pattern += '\\';
                                         pattern += c;
                                       }
                                       std::string like = "s.value LIKE " + bind(pattern + "%") + " ESCAPE '\\'";
                                       return terms.blinded() ? "(typeof(s.value) = 'text' AND " + like + ")" : like;
                                     }) +
                                     ")");
            }
            break;
          }
          case SearchParamType::reference: {
            std::string ref = item;
            if (auto h = ref.find("/_history/"); h != std::string::npos) ref.resize(h);
            auto slash = ref.rfind('/');
            const std::string& param = def->index;
            std::string ref_type, ref_id = ref;
            if (slash != std::string::npos) {
              auto type_start = ref.rfind('/', slash - 1);
              std::size_t from = type_start == std::string::npos ? 0 : type_start + 1;
              ref_type = ref.substr(from, slash - from);
              ref_id = ref.substr(slash + 1);
            } else if (name == "patient") {
              ref_type = "Patient";  // patient=123 means Patient/123
            }
            alternatives.push_back(exists + either([&](bool b) {
                                     std::string cond = "(" + equals("s.value", param, Part::value, ref_id, b);
                                     if (!ref_type.empty())
                                       cond += " AND " + equals("s.system", param, Part::system, ref_type, b);
                                     return cond + ")";
                                   }) +
                                   ")");
            break;
          }
          case SearchParamType::date: {
            auto d = date_value(name, item);
            alternatives.push_back(exists + range_condition(d.prefix, "s.low", "s.high", q.binds, d.range) + ")");
            break;
          }
        }
      }
    }
    if (alternatives.empty()) continue;
    std::string joined = "(";
    for (std::size_t i = 0; i < alternatives.size(); ++i) joined += (i ? " OR " : "") + alternatives[i];
    conditions.push_back(joined + ")");
  }
  for (const auto& c : conditions) q.where += " AND " + c;
  if (q.order.empty()) q.order = "ORDER BY r.last_updated_ms ASC, r.rowid ASC";
  return q;
}

}  // namespace artery::fhir
