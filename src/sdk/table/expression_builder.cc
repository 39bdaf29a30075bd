#include <fmt/format.h>

#include <bakery/table/expression_builder.h>
#include <bakery/table/table.h>

namespace bakery::table {

std::string ExpressionWriter::name(std::string_view attributeName) {
  auto it = byName_.find(attributeName);
  if (it != byName_.end()) return it->second;
  std::string placeholder = fmt::format("#n{}", names_.size());
  names_.emplace(placeholder, std::string(attributeName));
  byName_.emplace(std::string(attributeName), placeholder);
  return placeholder;
}

std::string ExpressionWriter::value(AttributeValue v) {
  std::string placeholder = fmt::format(":v{}", values_.size());
  values_.emplace(placeholder, std::move(v));
  return placeholder;
}

Path Path::member(std::string name) const {
  Path p = *this;
  p.parts_.push_back({std::move(name), -1});
  return p;
}

Path Path::at(int index) const {
  Path p = *this;
  p.parts_.push_back({{}, index});
  return p;
}

std::string Path::render(ExpressionWriter& w) const {
  std::string out;
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    const Part& part = parts_[i];
    if (part.index >= 0) {
      out += fmt::format("[{}]", part.index);
    } else {
      if (i) out.push_back('.');
      out += w.name(part.name);
    }
  }
  return out;
}

Condition Condition::exists(Path p) {
  return Condition([p](ExpressionWriter& w) { return "attribute_exists(" + p.render(w) + ")"; });
}

Condition Condition::notExists(Path p) {
  return Condition(
      [p](ExpressionWriter& w) { return "attribute_not_exists(" + p.render(w) + ")"; });
}

Condition Condition::hasType(Path p, AttributeType type) {
  return Condition([p, type](ExpressionWriter& w) {
    std::string path = p.render(w);
    return fmt::format("attribute_type({}, {})", path,
                       w.value(AttributeValue::string(std::string(typeName(type)))));
  });
}

Condition Condition::beginsWith(Path p, std::string prefix) {
  return Condition([p, prefix](ExpressionWriter& w) {
    std::string path = p.render(w);
    return fmt::format("begins_with({}, {})", path, w.value(AttributeValue::string(prefix)));
  });
}

Condition Condition::contains(Path p, AttributeValue v) {
  return Condition([p, v](ExpressionWriter& w) {
    std::string path = p.render(w);
    return fmt::format("contains({}, {})", path, w.value(v));
  });
}

Condition Condition::between(Path p, AttributeValue low, AttributeValue high) {
  return Condition([p, low, high](ExpressionWriter& w) {
    std::string path = p.render(w);
    std::string lowText = w.value(low);
    return fmt::format("{} BETWEEN {} AND {}", path, lowText, w.value(high));
  });
}

Condition Condition::in(Path p, std::vector<AttributeValue> values) {
  return Condition([p, values](ExpressionWriter& w) {
    std::string path = p.render(w);
    std::string list;
    for (const AttributeValue& v : values) {
      if (!list.empty()) list += ", ";
      list += w.value(v);
    }
    return fmt::format("{} IN ({})", path, list);
  });
}

Condition Condition::sizeOf(Path p, std::string_view comparator, AttributeValue v) {
  return Condition([p, op = std::string(comparator), v](ExpressionWriter& w) {
    std::string path = p.render(w);
    return fmt::format("size({}) {} {}", path, op, w.value(v));
  });
}

Condition Condition::compare(Path p, std::string_view comparator, AttributeValue v) {
  return Condition([p, op = std::string(comparator), v](ExpressionWriter& w) {
    std::string path = p.render(w);
    return fmt::format("{} {} {}", path, op, w.value(v));
  });
}

Condition operator==(const Path& p, AttributeValue v) {
  return Condition::compare(p, "=", std::move(v));
}
Condition operator!=(const Path& p, AttributeValue v) {
  return Condition::compare(p, "<>", std::move(v));
}
Condition operator<(const Path& p, AttributeValue v) {
  return Condition::compare(p, "<", std::move(v));
}
Condition operator<=(const Path& p, AttributeValue v) {
  return Condition::compare(p, "<=", std::move(v));
}
Condition operator>(const Path& p, AttributeValue v) {
  return Condition::compare(p, ">", std::move(v));
}
Condition operator>=(const Path& p, AttributeValue v) {
  return Condition::compare(p, ">=", std::move(v));
}

// Operands are parenthesized so the rendered text keeps the builder's grouping whatever
// DynamoDB's precedence (NOT > AND > OR) would otherwise do.
Condition operator&&(const Condition& a, const Condition& b) {
  return Condition([a, b](ExpressionWriter& w) {
    std::string left = a.render(w);
    return "(" + left + ") AND (" + b.render(w) + ")";
  });
}

Condition operator||(const Condition& a, const Condition& b) {
  return Condition([a, b](ExpressionWriter& w) {
    std::string left = a.render(w);
    return "(" + left + ") OR (" + b.render(w) + ")";
  });
}

Condition operator!(const Condition& c) {
  return Condition([c](ExpressionWriter& w) { return "NOT (" + c.render(w) + ")"; });
}

Update& Update::set(Path p, AttributeValue v) {
  set_.push_back([p, v](ExpressionWriter& w) {
    std::string path = p.render(w);
    return path + " = " + w.value(v);
  });
  return *this;
}

Update& Update::setIfNotExists(Path p, AttributeValue v) {
  set_.push_back([p, v](ExpressionWriter& w) {
    std::string path = p.render(w);
    return fmt::format("{} = if_not_exists({}, {})", path, path, w.value(v));
  });
  return *this;
}

Update& Update::increment(Path p, AttributeValue delta) {
  set_.push_back([p, delta](ExpressionWriter& w) {
    std::string path = p.render(w);
    return fmt::format("{} = {} + {}", path, path, w.value(delta));
  });
  return *this;
}

Update& Update::append(Path p, AttributeList list) {
  set_.push_back([p, list](ExpressionWriter& w) {
    std::string path = p.render(w);
    std::string empty = w.value(AttributeValue::list({}));
    return fmt::format("{} = list_append(if_not_exists({}, {}), {})", path, path, empty,
                       w.value(AttributeValue::list(list)));
  });
  return *this;
}

Update& Update::remove(Path p) {
  remove_.push_back([p](ExpressionWriter& w) { return p.render(w); });
  return *this;
}

Update& Update::add(Path p, AttributeValue v) {
  add_.push_back([p, v](ExpressionWriter& w) {
    std::string path = p.render(w);
    return path + " " + w.value(v);
  });
  return *this;
}

Update& Update::removeFromSet(Path p, AttributeValue set) {
  delete_.push_back([p, set](ExpressionWriter& w) {
    std::string path = p.render(w);
    return path + " " + w.value(set);
  });
  return *this;
}

bool Update::empty() const {
  return set_.empty() && remove_.empty() && add_.empty() && delete_.empty();
}

std::string Update::render(ExpressionWriter& w) const {
  std::string out;
  auto clause = [&](std::string_view keyword, const std::vector<Action>& actions) {
    if (actions.empty()) return;
    if (!out.empty()) out.push_back(' ');
    out += keyword;
    for (std::size_t i = 0; i < actions.size(); ++i) {
      out += i ? ", " : " ";
      out += actions[i](w);
    }
  };
  clause("SET", set_);
  clause("REMOVE", remove_);
  clause("ADD", add_);
  clause("DELETE", delete_);
  return out;
}

KeyCondition::KeyCondition(std::string partitionKey, AttributeValue value)
    : partitionKey_(std::move(partitionKey)), partitionValue_(std::move(value)) {}

KeyCondition& KeyCondition::sort(std::string sortKey, std::string op,
                                 std::vector<AttributeValue> values) {
  sortKey_ = std::move(sortKey);
  sortOp_ = std::move(op);
  sortValues_ = std::move(values);
  return *this;
}

KeyCondition& KeyCondition::sortEquals(std::string k, AttributeValue v) {
  return sort(std::move(k), "=", {std::move(v)});
}
KeyCondition& KeyCondition::sortLessThan(std::string k, AttributeValue v) {
  return sort(std::move(k), "<", {std::move(v)});
}
KeyCondition& KeyCondition::sortAtMost(std::string k, AttributeValue v) {
  return sort(std::move(k), "<=", {std::move(v)});
}
KeyCondition& KeyCondition::sortGreaterThan(std::string k, AttributeValue v) {
  return sort(std::move(k), ">", {std::move(v)});
}
KeyCondition& KeyCondition::sortAtLeast(std::string k, AttributeValue v) {
  return sort(std::move(k), ">=", {std::move(v)});
}
KeyCondition& KeyCondition::sortBetween(std::string k, AttributeValue low, AttributeValue high) {
  return sort(std::move(k), "BETWEEN", {std::move(low), std::move(high)});
}
KeyCondition& KeyCondition::sortBeginsWith(std::string k, std::string prefix) {
  return sort(std::move(k), "begins_with", {AttributeValue::string(std::move(prefix))});
}

std::string KeyCondition::render(ExpressionWriter& w) const {
  // Every placeholder is allocated in a statement of its own: the rendered text must not
  // depend on the compiler's order of evaluating arguments (a ClientRequestToken compares
  // requests by their text).
  std::string out = w.name(partitionKey_);
  out += " = " + w.value(partitionValue_);
  if (sortKey_.empty()) return out;
  std::string key = w.name(sortKey_);
  if (sortOp_ == "BETWEEN") {
    std::string low = w.value(sortValues_[0]);
    return out + fmt::format(" AND {} BETWEEN {} AND {}", key, low, w.value(sortValues_[1]));
  }
  if (sortOp_ == "begins_with") {
    return out + fmt::format(" AND begins_with({}, {})", key, w.value(sortValues_[0]));
  }
  return out + fmt::format(" AND {} {} {}", key, sortOp_, w.value(sortValues_[0]));
}

std::string renderProjection(const std::vector<Path>& paths, ExpressionWriter& w) {
  std::string out;
  for (const Path& p : paths) {
    if (!out.empty()) out += ", ";
    out += p.render(w);
  }
  return out;
}

TransactionAction TransactionAction::put(std::string table, AttributeMap item,
                                         std::optional<Condition> condition) {
  return {Kind::kPut, std::move(table), std::move(item), std::nullopt, std::move(condition)};
}

TransactionAction TransactionAction::updateItem(std::string table, AttributeMap key, Update update,
                                                std::optional<Condition> condition) {
  return {Kind::kUpdate, std::move(table), std::move(key), std::move(update), std::move(condition)};
}

TransactionAction TransactionAction::remove(std::string table, AttributeMap key,
                                            std::optional<Condition> condition) {
  return {Kind::kDelete, std::move(table), std::move(key), std::nullopt, std::move(condition)};
}

TransactionAction TransactionAction::check(std::string table, AttributeMap key,
                                           Condition condition) {
  return {Kind::kCheck, std::move(table), std::move(key), std::nullopt, std::move(condition)};
}

}  // namespace bakery::table
