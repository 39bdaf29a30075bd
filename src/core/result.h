// Result<T> and Error: the value channel for expected outcomes.
//
// An Error carries an AWS-style type name (`ValidationException`, `ThrottlingException`, ...),
// the HTTP status it maps to, a human message, and, for bad input, the name of the offending
// field. Result<T> holds either a T or an Error and must be inspected ([[nodiscard]]).
// Both are plain values: copyable, movable, safe to pass between threads.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace bakery::core {

class Error {
 public:
  Error(std::string type, int status, std::string message, std::string field = {})
      : type_(std::move(type)),
        status_(status),
        message_(std::move(message)),
        field_(std::move(field)) {}

  // 400: bad input; `field` names the offending field (a JSON path such as `owner.email`).
  static Error validation(std::string message, std::string field = {}) {
    return Error("ValidationException", 400, std::move(message), std::move(field));
  }
  static Error notFound(std::string message) {
    return Error("ResourceNotFoundException", 404, std::move(message));
  }
  static Error conflict(std::string type, std::string message) {
    return Error(std::move(type), 409, std::move(message));
  }
  static Error throttled(std::string message) {
    return Error("TooManyRequestsException", 429, std::move(message));
  }
  // 500 with a generic message: the detail belongs in the log, never in a response.
  static Error internal(std::string message = "Internal server error") {
    return Error("InternalServerException", 500, std::move(message));
  }

  const std::string& type() const { return type_; }
  int status() const { return status_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }
  // Extra members of the error document beyond type and message, as the text of one JSON
  // object (e.g. DynamoDB's `{"CancellationReasons":[...]}` or the `Item` of a failed
  // condition); empty when there are none.
  const std::string& details() const { return details_; }
  Error&& withDetails(std::string jsonObject) && {
    details_ = std::move(jsonObject);
    return std::move(*this);
  }

 private:
  std::string type_;
  int status_;
  std::string message_;
  std::string field_;
  std::string details_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{"", 0, ""};
  bool ok_ = true;
};

}  // namespace bakery::core
