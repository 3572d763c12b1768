// The FHIR repository as a client reaches it: a channel YAML with
// `type: fhir, repository: true`, `artery validate`, the real `artery run`,
// and HTTP on loopback. CRUD, history, search, paging, transaction, batch,
// metadata, and every error as an OperationOutcome with its status.
#include "repository_fixture.hpp"

#include <atomic>
#include <set>
#include <thread>

using namespace artery::testing;
namespace json = boost::json;

namespace {

const std::string kPatient =
    R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.36.146.595.217.0.1","value":"MRN-1"}],)"
    R"("name":[{"family":"Chalmers","given":["Peter","James"]}],"gender":"male","birthDate":"1974-12-25"})";

std::string created_id(const HttpReply& reply) {
  INFO(reply.body);
  REQUIRE(reply.status == 201);
  return str(json_of(reply).at("id"));
}

}  // namespace

TEST_CASE("fhir repository: create, read, vread, update, history, delete then 410") {
  FhirRepository repo;
  auto created = repo.call("POST", "/Patient", kPatient);
  const std::string id = created_id(created);
  CHECK(created.header("etag") == "W/\"1\"");
  CHECK(created.header("location").find("/fhir/Patient/" + id + "/_history/1") != std::string::npos);
  auto body = json_of(created);
  CHECK(str(body.at("meta").at("versionId")) == "1");
  CHECK(!str(body.at("meta").at("lastUpdated")).empty());

  auto read = repo.call("GET", "/Patient/" + id);
  REQUIRE(read.status == 200);
  CHECK(read.header("etag") == "W/\"1\"");
  CHECK(str(json_of(read).at("name").at(0).at("family")) == "Chalmers");
  CHECK(repo.call("GET", "/Patient/" + id, "", {{"Accept", "application/json"}}).status == 200);
  CHECK(repo.call("GET", "/Patient/" + id + "?_format=json").status == 200);

  std::string changed = kPatient;
  changed.replace(changed.find("Chalmers"), 8, "Windsor");
  changed.insert(1, "\"id\":\"" + id + "\",");
  auto updated = repo.call("PUT", "/Patient/" + id, changed);
  REQUIRE(updated.status == 200);
  CHECK(updated.header("etag") == "W/\"2\"");

  auto v1 = repo.call("GET", "/Patient/" + id + "/_history/1");
  REQUIRE(v1.status == 200);
  CHECK(str(json_of(v1).at("name").at(0).at("family")) == "Chalmers");
  auto history = json_of(repo.call("GET", "/Patient/" + id + "/_history"));
  CHECK(str(history.at("type")) == "history");
  CHECK(history.at("total").as_int64() == 2);
  CHECK(str(history.at("entry").at(0).at("resource").at("meta").at("versionId")) == "2");

  // Update of an id that does not exist creates it.
  std::string fresh = kPatient;
  fresh.insert(1, "\"id\":\"fixed-id-1\",");
  auto created_by_put = repo.call("PUT", "/Patient/fixed-id-1", fresh);
  CHECK(created_by_put.status == 201);

  auto deleted = repo.call("DELETE", "/Patient/" + id);
  CHECK(deleted.status == 200);
  require_outcome(repo.call("GET", "/Patient/" + id), 410);
  CHECK(json_of(repo.call("GET", "/Patient/" + id + "/_history")).at("total").as_int64() == 3);

  // Still there after a restart: the repository is the channel's SQLite file.
  repo.restart();
  CHECK(repo.call("GET", "/Patient/fixed-id-1").status == 200);
  require_outcome(repo.call("GET", "/Patient/" + id), 410);
  CHECK(std::filesystem::exists(repo.dir / "data/fhir/ehr.sqlite"));
}

TEST_CASE("fhir repository: search parameters, _include, _sort and paging with Bundle.link") {
  FhirRepository repo;
  std::vector<std::string> patients;
  for (int i = 0; i < 7; ++i) {
    std::string p = R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"P)" + std::to_string(i) +
                    R"("}],"name":[{"family":")" + std::string(i % 2 ? "Smith" : "Jones") + R"(","given":["G)" +
                    std::to_string(i) + R"("]}],"gender":")" + (i % 2 ? "female" : "male") +
                    R"(","birthDate":"19)" + std::to_string(70 + i) + R"(-01-15"})";
    patients.push_back(created_id(repo.call("POST", "/Patient", p)));
  }
  for (int i = 0; i < 3; ++i) {
    std::string o = R"({"resourceType":"Observation","status":")" + std::string(i ? "final" : "preliminary") +
                    R"(","code":{"coding":[{"system":"http://loinc.org","code":"718-7"}]},"subject":{"reference":"Patient/)" +
                    patients[0] + R"("},"effectiveDateTime":"2024-03-0)" + std::to_string(i + 1) + R"(T10:00:00Z"})";
    created_id(repo.call("POST", "/Observation", o));
  }
  auto total = [&](const std::string& query) {
    auto reply = repo.call("GET", query);
    INFO(query << " -> " << reply.body);
    REQUIRE(reply.status == 200);
    auto b = json_of(reply);
    REQUIRE(str(b.at("type")) == "searchset");
    return b.at("total").as_int64();
  };
  CHECK(total("/Patient?family=smi") == 3);
  CHECK(total("/Patient?family=SMITH") == 3);
  CHECK(total("/Patient?name=jon") == 4);
  CHECK(total("/Patient?given=G3") == 1);
  CHECK(total("/Patient?gender=female") == 3);
  CHECK(total("/Patient?identifier=urn:mrn|P4") == 1);
  CHECK(total("/Patient?identifier=P4") == 1);
  CHECK(total("/Patient?identifier=other|P4") == 0);
  CHECK(total("/Patient?birthdate=1972-01-15") == 1);
  CHECK(total("/Patient?birthdate=gt1974") == 2);
  CHECK(total("/Patient?birthdate=lt1972") == 2);
  CHECK(total("/Patient?birthdate=ge1974-01-15") == 3);
  CHECK(total("/Patient?birthdate=le1971") == 2);
  CHECK(total("/Patient?_id=" + patients[2] + "," + patients[3]) == 2);
  CHECK(total("/Patient?_lastUpdated=gt2000-01-01") == 7);
  CHECK(total("/Patient?_lastUpdated=lt2000-01-01") == 0);
  CHECK(total("/Observation?patient=" + patients[0]) == 3);
  CHECK(total("/Observation?subject=Patient/" + patients[0]) == 3);
  CHECK(total("/Observation?code=http://loinc.org|718-7&status=final") == 2);
  CHECK(total("/Observation?date=ge2024-03-02") == 2);
  CHECK(total("/Observation?date=eq2024-03-01") == 1);

  auto included = json_of(repo.call("GET", "/Observation?_include=Observation:subject"));
  int includes = 0;
  for (const auto& e : included.at("entry").as_array())
    if (str(e.at("search").at("mode")) == "include") {
      ++includes;
      CHECK(str(e.at("resource").at("id")) == patients[0]);
    }
  CHECK(includes == 1);

  auto newest = json_of(repo.call("GET", "/Patient?_sort=-_lastUpdated&_count=1"));
  CHECK(str(newest.at("entry").at(0).at("resource").at("id")) == patients.back());
  auto by_birth = json_of(repo.call("GET", "/Patient?_sort=birthdate&_count=1"));
  CHECK(str(by_birth.at("entry").at(0).at("resource").at("id")) == patients.front());

  // Paging: 7 patients, 3 a page, every one seen once through the next links.
  std::set<std::string> seen;
  std::string next = "/fhir/Patient?_count=3";
  int pages = 0;
  while (!next.empty()) {
    auto reply = http_get(repo.port, next);
    REQUIRE(reply.status == 200);
    auto page = json_of(reply);
    CHECK(page.at("total").as_int64() == 7);
    for (const auto& e : page.at("entry").as_array()) CHECK(seen.insert(str(e.at("resource").at("id"))).second);
    next.clear();
    for (const auto& link : page.at("link").as_array())
      if (str(link.at("relation")) == "next") {
        std::string url = str(link.at("url"));
        next = url.substr(url.find("/fhir/"));
      }
    ++pages;
  }
  CHECK(pages == 3);
  CHECK(seen.size() == 7);
  CHECK(total("/Patient?_summary=count") == 7);
  // POST [type]/_search with a form body.
  auto form = repo.call("POST", "/Patient/_search", "family=Jones", {{"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(form.status == 200);
  CHECK(json_of(form).at("total").as_int64() == 4);
}

TEST_CASE("fhir repository: a transaction with urn:uuid references, ifNoneExist and conditional PUT") {
  FhirRepository repo;
  const std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
     "resource":{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"T-1"}],"name":[{"family":"Doe"}]},
     "request":{"method":"PUT","url":"Patient?identifier=urn:mrn|T-1"}},
    {"fullUrl":"urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059",
     "resource":{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
                 "subject":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}},
     "request":{"method":"POST","url":"Encounter"}},
    {"fullUrl":"urn:uuid:0d9ea9a6-6c3b-4a2b-9f49-3f0e0c1f7b11",
     "resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
                 "subject":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"},
                 "encounter":{"reference":"urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059"},
                 "hasMember":[{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}]},
     "request":{"method":"POST","url":"Observation","ifNoneExist":"code=http://loinc.org|8867-4"}}]})";
  auto first = repo.call("POST", "", bundle);
  INFO(first.body);
  REQUIRE(first.status == 200);
  auto response = json_of(first);
  CHECK(str(response.at("type")) == "transaction-response");
  auto& entries = response.at("entry").as_array();
  REQUIRE(entries.size() == 3);
  CHECK(str(entries[0].at("response").at("status")).rfind("201", 0) == 0);
  const std::string patient_id = str(entries[0].at("resource").at("id"));
  const std::string encounter_id = str(entries[1].at("resource").at("id"));
  auto obs = entries[2].at("resource").as_object();
  CHECK(str(obs.at("subject").at("reference")) == "Patient/" + patient_id);
  CHECK(str(obs.at("encounter").at("reference")) == "Encounter/" + encounter_id);
  CHECK(str(obs.at("hasMember").at(0).at("reference")) == "Patient/" + patient_id);
  CHECK(str(json_of(repo.call("GET", "/Encounter/" + encounter_id)).at("subject").at("reference")) == "Patient/" + patient_id);

  // The same Bundle again: the conditional PUT updates the one Patient, ifNoneExist creates no Observation.
  auto second = json_of(repo.call("POST", "", bundle));
  auto& again = second.at("entry").as_array();
  CHECK(str(again[0].at("resource").at("id")) == patient_id);
  CHECK(str(again[0].at("resource").at("meta").at("versionId")) == "2");
  CHECK(str(again[2].at("response").at("status")).rfind("200", 0) == 0);
  CHECK(json_of(repo.call("GET", "/Patient?identifier=urn:mrn|T-1")).at("total").as_int64() == 1);
  CHECK(json_of(repo.call("GET", "/Observation")).at("total").as_int64() == 1);
  CHECK(json_of(repo.call("GET", "/Encounter")).at("total").as_int64() == 2);

  // All or nothing: one bad entry and nothing of the Bundle is kept.
  const std::string broken = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","name":[{"family":"Kept"}]},"request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"DELETE","url":"Patient/does-not-exist"}}]})";
  require_outcome(repo.call("POST", "", broken), 404);
  CHECK(json_of(repo.call("GET", "/Patient?family=Kept")).at("total").as_int64() == 0);

  // A batch: each entry on its own.
  const std::string batch = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Patient","name":[{"family":"Batched"}]},"request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"GET","url":"Patient/does-not-exist"}},
    {"request":{"method":"GET","url":"Patient/)" + patient_id + R"("}}]})";
  auto batched = repo.call("POST", "", batch);
  REQUIRE(batched.status == 200);
  auto b = json_of(batched);
  CHECK(str(b.at("type")) == "batch-response");
  CHECK(str(b.at("entry").at(0).at("response").at("status")).rfind("201", 0) == 0);
  CHECK(str(b.at("entry").at(1).at("response").at("status")).rfind("404", 0) == 0);
  CHECK(str(b.at("entry").at(1).at("response").at("outcome").at("resourceType")) == "OperationOutcome");
  CHECK(str(b.at("entry").at(2).at("response").at("status")).rfind("200", 0) == 0);
  CHECK(json_of(repo.call("GET", "/Patient?family=Batched")).at("total").as_int64() == 1);
}

TEST_CASE("fhir repository: every error is an OperationOutcome with its status") {
  FhirRepository repo("  max_body: 4KiB\n");
  require_outcome(repo.call("POST", "/Patient", "{\"resourceType\":\"Patient\","), 400);        // malformed JSON
  require_outcome(repo.call("POST", "/Patient", "[1,2]"), 400);                                 // not an object
  require_outcome(repo.call("POST", "/Frobnicator", "{\"resourceType\":\"Frobnicator\"}"), 404);  // unknown type
  require_outcome(repo.call("GET", "/Frobnicator/1"), 404);
  require_outcome(repo.call("POST", "/Patient", "{\"resourceType\":\"Observation\"}"), 400);    // type mismatch
  require_outcome(repo.call("PUT", "/Patient/a", "{\"resourceType\":\"Patient\",\"id\":\"b\"}"), 400);  // id mismatch
  require_outcome(repo.call("GET", "/Patient/nope"), 404);
  require_outcome(repo.call("PATCH", "/Patient/nope", "{}"), 405);
  require_outcome(repo.call("POST", "/Patient", "{\"resourceType\":\"Patient\",\"text\":\"" + std::string(8000, 'x') + "\"}"), 413);
  require_outcome(repo.call("POST", "/Patient", "<Patient/>", {{"Content-Type", "application/fhir+xml"}}), 415);
  require_outcome(repo.call("GET", "/Patient", "", {{"Accept", "application/fhir+xml"}}), 406);
  require_outcome(repo.call("GET", "/metadata?_format=xml"), 406);
  require_outcome(repo.call("GET", "/Patient?unknownparam=1"), 400);
  require_outcome(repo.call("GET", "/Patient?birthdate=xx2020"), 400);
  require_outcome(http_get(repo.port, "/elsewhere"), 404);
  auto id = created_id(repo.call("POST", "/Patient", kPatient));
  require_outcome(repo.call("DELETE", "/Patient/" + id), 200);
  require_outcome(repo.call("GET", "/Patient/" + id), 410);
  require_outcome(repo.call("GET", "/Patient/" + id + "/_history/2"), 410);
  require_outcome(repo.call("GET", "/Patient/" + id + "/_history/9"), 404);
}

TEST_CASE("fhir repository: If-Match on a stale version is 412") {
  FhirRepository repo;
  auto id = created_id(repo.call("POST", "/Patient", kPatient));
  std::string body = kPatient;
  body.insert(1, "\"id\":\"" + id + "\",");
  CHECK(repo.call("PUT", "/Patient/" + id, body, {{"If-Match", "W/\"1\""}}).status == 200);
  require_outcome(repo.call("PUT", "/Patient/" + id, body, {{"If-Match", "W/\"1\""}}), 412);
  CHECK(repo.call("PUT", "/Patient/" + id, body, {{"If-Match", "W/\"2\""}}).status == 200);
  CHECK(json_of(repo.call("GET", "/Patient/" + id)).at("meta").at("versionId").as_string() == "3");
}

TEST_CASE("fhir repository: 20 concurrent identical conditional creates make exactly one resource") {
  FhirRepository repo;
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, found{0}, other{0};
  for (int i = 0; i < 20; ++i)
    threads.emplace_back([&] {
      auto reply = repo.call("POST", "/Patient", kPatient,
                             {{"If-None-Exist", "identifier=urn:oid:1.2.36.146.595.217.0.1|MRN-1"}});
      if (reply.status == 201) ++created;
      else if (reply.status == 200) ++found;
      else ++other;
    });
  for (auto& t : threads) t.join();
  CHECK(created == 1);
  CHECK(found == 19);
  CHECK(other == 0);
  CHECK(json_of(repo.call("GET", "/Patient")).at("total").as_int64() == 1);

  // And 20 concurrent conditional PUTs (what the mappers send) update one Patient.
  threads.clear();
  std::string body = R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"C-9"}]})";
  for (int i = 0; i < 20; ++i)
    threads.emplace_back([&] { repo.call("PUT", "/Patient?identifier=urn:mrn|C-9", body); });
  for (auto& t : threads) t.join();
  auto matches = json_of(repo.call("GET", "/Patient?identifier=urn:mrn|C-9"));
  REQUIRE(matches.at("total").as_int64() == 1);
  CHECK(str(matches.at("entry").at(0).at("resource").at("meta").at("versionId")) == "20");
}

TEST_CASE("fhir repository: GET /metadata lists exactly what is served") {
  FhirRepository repo("  resource_types: [Patient, Observation]\n");
  auto cs = json_of(repo.call("GET", "/metadata"));
  CHECK(str(cs.at("resourceType")) == "CapabilityStatement");
  CHECK(str(cs.at("fhirVersion")) == "4.0.1");
  auto& resources = cs.at("rest").at(0).at("resource").as_array();
  REQUIRE(resources.size() == 2);
  std::set<std::string> params;
  for (const auto& p : resources[1].at("searchParam").as_array()) params.insert(str(p.at("name")));
  CHECK(params == std::set<std::string>{"_id", "_lastUpdated", "identifier", "status", "code", "patient", "subject", "date"});
  require_outcome(repo.call("POST", "/Encounter", "{\"resourceType\":\"Encounter\"}"), 404);
}
