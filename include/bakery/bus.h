// Bus: what a function sees of the event bus (EventBridge's PutEvents), and the outbox.
//
// put() sends events to a bus (the default one unless an entry names another); each entry
// gets its own result, in order, as PutEvents answers. putWithWrites() is the transactional
// outbox: the table actions of a TransactWriteItems and the events commit together or not at
// all (under `bakery serve` one atomic write; on AWS, where no such transaction exists, the
// implementation writes the table first and puts the events after it). Handles are scoped to
// the invocation's tenant, like the table handles. Methods may be called from the handler's
// thread only.
#pragma once

#include <string>
#include <vector>

#include <bakery/table/table.h>

#include "core/json.h"
#include "core/result.h"

namespace bakery {

struct EventEntry {
  std::string source;                   // required, e.g. "com.example.orders"
  std::string detailType;               // required, e.g. "OrderPlaced"
  json::value detail = json::object();  // a JSON object
  std::vector<std::string> resources;
  std::string eventBusName;  // empty: the default bus
};

struct PutEventResult {
  std::string eventId;    // set when the entry was accepted
  std::string errorCode;  // set when it was not (InvalidArgument, MalformedDetail, ...)
  std::string errorMessage;
  bool ok() const { return errorCode.empty(); }
};

class Bus {
 public:
  virtual ~Bus() = default;
  // 1 to 10 entries; an error only when the request as a whole is refused.
  virtual core::Result<std::vector<PutEventResult>> put(const std::vector<EventEntry>& entries) = 0;
  // `actions` as Tables::transactWrite runs them, and `entries`, in one commit. A failed
  // condition cancels both (TransactionCanceledException).
  virtual core::Result<std::vector<PutEventResult>> putWithWrites(
      const std::vector<table::TransactionAction>& actions,
      const std::vector<EventEntry>& entries) = 0;
};

}  // namespace bakery
