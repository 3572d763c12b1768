#include "deid/hl7_field_classes.hpp"

#include <initializer_list>
#include <string>
#include <unordered_map>

namespace artery::deid {
namespace {

using C = FieldClass;
struct Rule {
  int field;
  C cls;
};

const std::unordered_map<std::string, std::unordered_map<int, C>>& table() {
  static const auto rules = [] {
    std::unordered_map<std::string, std::unordered_map<int, C>> t;
    auto add = [&](const char* seg, std::initializer_list<Rule> list) {
      for (const auto& r : list) t[seg][r.field] = r.cls;
    };
    add("MSH", {{10, C::identifier}});
    add("EVN", {{5, C::provider}});
    add("PID", {{2, C::identifier}, {3, C::identifier}, {4, C::identifier}, {5, C::name}, {6, C::name},
                {7, C::birth_date}, {8, C::sex}, {9, C::name}, {11, C::address}, {12, C::remove},
                {13, C::telecom}, {14, C::telecom}, {18, C::identifier}, {19, C::identifier},
                {20, C::identifier}, {21, C::identifier}, {23, C::remove}, {40, C::telecom}});
    add("PD1", {{4, C::provider}});
    add("NK1", {{2, C::name}, {4, C::address}, {5, C::telecom}, {6, C::telecom}, {12, C::identifier},
                {13, C::remove}, {15, C::sex}, {16, C::birth_date}, {30, C::name}, {31, C::telecom},
                {32, C::address}, {33, C::identifier}, {37, C::identifier}});
    add("PV1", {{5, C::identifier}, {7, C::provider}, {8, C::provider}, {9, C::provider}, {17, C::provider}, {19, C::identifier},
                {50, C::identifier}, {52, C::provider}});
    add("PV2", {{13, C::provider}});
    add("GT1", {{2, C::identifier}, {3, C::name}, {4, C::name}, {5, C::address}, {6, C::telecom}, {7, C::telecom},
                {8, C::birth_date}, {9, C::sex}, {12, C::identifier}, {16, C::remove}, {17, C::address},
                {18, C::telecom}, {19, C::identifier}});
    add("IN1", {{6, C::name}, {7, C::telecom}, {8, C::identifier}, {10, C::identifier}, {11, C::remove},
                {14, C::identifier}, {16, C::name}, {18, C::birth_date}, {19, C::address}, {36, C::identifier}, {43, C::sex},
                {44, C::address}, {49, C::identifier}});
    add("IN2", {{1, C::identifier}, {2, C::identifier}, {3, C::remove}, {4, C::remove}, {6, C::identifier}, {8, C::identifier},
                {25, C::identifier}, {61, C::identifier}, {63, C::telecom}});
    add("ORC", {{2, C::identifier}, {3, C::identifier}, {4, C::identifier}, {10, C::provider}, {11, C::provider},
                {12, C::provider}, {14, C::telecom}, {19, C::provider}, {22, C::address}, {23, C::telecom},
                {24, C::address}});
    add("OBR", {{2, C::identifier}, {3, C::identifier}, {10, C::provider}, {16, C::provider}, {17, C::telecom},
                {18, C::identifier}, {19, C::identifier}, {20, C::identifier}, {21, C::identifier},
                {28, C::provider}, {32, C::provider}, {33, C::provider}, {34, C::provider}, {35, C::provider},
                {53, C::identifier}});
    add("OBX", {{5, C::obx_value}, {16, C::provider}, {18, C::identifier}, {21, C::identifier}, {24, C::address},
                {25, C::provider}});
    add("NTE", {{3, C::free_text}, {5, C::provider}});
    add("TXA", {{5, C::provider}, {9, C::provider}, {10, C::provider}, {11, C::provider}, {12, C::identifier},
                {13, C::identifier}, {14, C::identifier}, {15, C::identifier}, {16, C::remove}, {22, C::provider},
                {23, C::provider}});
    add("SPM", {{2, C::identifier}, {3, C::identifier}});
    add("PRT", {{5, C::provider}, {10, C::identifier}, {14, C::address}, {15, C::telecom}, {16, C::identifier},
                {19, C::identifier}, {20, C::identifier}, {21, C::identifier}});
    add("CTD", {{2, C::name}, {3, C::address}, {5, C::telecom}});
    add("FT1", {{2, C::identifier}, {3, C::identifier}, {20, C::provider}, {21, C::provider}, {24, C::provider}});
    add("SCH", {{1, C::identifier}, {2, C::identifier}, {12, C::provider}, {13, C::telecom}, {14, C::address},
                {16, C::provider}, {17, C::telecom}, {18, C::address}, {20, C::provider}, {21, C::telecom}, {26, C::identifier},
                {27, C::identifier}});
    add("AIP", {{3, C::provider}});
    add("AIG", {{3, C::provider}});  // a staff resource is a person
    add("DG1", {{16, C::provider}});
    add("PR1", {{11, C::provider}, {12, C::provider}});
    add("RXA", {{10, C::provider}});
    add("MRG", {{1, C::identifier}, {2, C::identifier}, {3, C::identifier}, {4, C::identifier}, {5, C::identifier},
                {6, C::identifier}, {7, C::name}});
    add("ROL", {{4, C::provider}, {11, C::address}, {12, C::telecom}});
    add("PRD", {{2, C::name}, {3, C::address}, {5, C::telecom}, {7, C::identifier}});
    // Queries name the patient they look for.
    add("QPD", {{3, C::remove}, {4, C::remove}, {5, C::remove}, {6, C::remove}, {7, C::remove}, {8, C::remove}});
    add("ERQ", {{3, C::remove}});
    add("QRD", {{8, C::remove}});
    add("QAK", {{1, C::identifier}});
    add("MSA", {{2, C::identifier}});
    return t;
  }();
  return rules;
}

}  // namespace

FieldClass field_class(std::string_view segment, int field) {
  const auto& t = table();
  auto s = t.find(std::string(segment));
  if (s == t.end()) return C::generic;
  auto f = s->second.find(field);
  return f == s->second.end() ? C::generic : f->second;
}

}  // namespace artery::deid
