// JSON document matching for the conformance scenarios: an expected document, written in a
// scenario file, against the document an implementation returned.
//
// Values compare by deep equality (numbers by value, so 1 and 1.0 are equal; DynamoDB's N
// values are strings and compare exactly), with these patterns in the expected document:
//   "$any"                     any value, as long as one is present;
//   "$absent"                  as an object member: the member must be missing;
//   {"$subset": true, ...}     an object whose unlisted members are ignored;
//   {"$unordered": [...]}      an array compared as a multiset;
// and arrays under an `SS`, `NS` or `BS` member (DynamoDB sets) compared as multisets.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "core/json.h"

namespace bakery::conformance {

// Where and why `actual` differs from `expected`: `path` is a JSON path such as
// `$.Items[2].pk.S`, `reason` says what differed.
struct Mismatch {
  std::string path;
  std::string reason;
};

// The first difference between `expected` (with patterns) and `actual`; nullopt on a match.
std::optional<Mismatch> findMismatch(const json::value& expected, const json::value& actual);

// Like findMismatch on objects, but only the top-level members `expected` lists are compared
// ("$absent" still requires a member to be missing): how a step's `expect` reads a response.
std::optional<Mismatch> findMismatchInListedMembers(const json::object& expected,
                                                    const json::object& actual);

// `v` as indented JSON, two spaces per level, for failure messages.
std::string prettyJson(const json::value& v);

}  // namespace bakery::conformance
