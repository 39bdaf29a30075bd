#include "platform/table/expression/parser_base.h"

#include <algorithm>
#include <climits>
#include <string>

namespace bakery::table::expression::detail {
namespace {

constexpr std::string_view kConditionKeywords[] = {"AND", "OR", "NOT", "BETWEEN", "IN"};
constexpr std::string_view kUpdateKeywords[] = {"SET", "REMOVE", "ADD", "DELETE"};

bool equalsUpper(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

}  // namespace

ParserBase::ParserBase(std::string_view text, std::string_view kind, Placeholders& ph)
    : text_(text), kind_(kind), ph_(ph), tokens_(tokenize(text)) {}

std::optional<core::Error> checkExpressionText(std::string_view text, std::string_view kind) {
  if (text.size() > kMaxExpressionBytes) {
    return core::Error::validation(
        "Invalid " + std::string(kind) +
        ": Expression size has exceeded the maximum allowed size; expression size: " +
        std::to_string(text.size()));
  }
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return core::Error::validation("Invalid " + std::string(kind) +
                                   ": The expression can not be empty;");
  }
  return std::nullopt;
}

bool ParserBase::isWord(const Token& t, std::string_view upper) const {
  return t.kind == TokenKind::kWord && equalsUpper(textOf(t), upper);
}

bool ParserBase::isKeyword(const Token& t) const {
  if (t.kind != TokenKind::kWord) return false;
  switch (keywords_) {
    case Keywords::kNone:
      return false;
    case Keywords::kCondition:
      for (std::string_view k : kConditionKeywords) {
        if (isWord(t, k)) return true;
      }
      return false;
    case Keywords::kUpdate:
      for (std::string_view k : kUpdateKeywords) {
        if (isWord(t, k)) return true;
      }
      return false;
  }
  return false;
}

void ParserBase::fail(std::string message) {
  if (!fatal_) {
    fatal_ = core::Error::validation("Invalid " + std::string(kind_) + ": " + std::move(message));
  }
}

void ParserBase::syntaxError() {
  // DynamoDB quotes the offending token and the text from the token before it to the token
  // after it ("a-b" for the `-` in `a-b`); at the end of input, the text from the last token.
  const Token& t = tokens_[pos_];
  std::size_t nearBegin = pos_ > 0 ? tokens_[pos_ - 1].begin : t.begin;
  std::size_t nearEnd = t.end;
  std::string token;
  if (t.kind == TokenKind::kEnd) {
    token = "<EOF>";
    nearEnd = text_.size();
  } else {
    token = std::string(textOf(t));
    if (pos_ + 1 < tokens_.size() && tokens_[pos_ + 1].kind != TokenKind::kEnd) {
      nearEnd = tokens_[pos_ + 1].end;
    }
  }
  fail("Syntax error; token: \"" + token + "\", near: \"" +
       std::string(text_.substr(nearBegin, nearEnd - nearBegin)) + "\"");
}

bool ParserBase::expect(TokenKind kind) {
  if (peekKind() != kind) {
    syntaxError();
    return false;
  }
  advance();
  return true;
}

std::optional<core::Error> ParserBase::firstError(std::initializer_list<Slot> order) const {
  if (fatal_) return fatal_;
  for (Slot s : order) {
    if (has(s)) return core::Error::validation("Invalid " + std::string(kind_) + ": " + slot(s));
  }
  return std::nullopt;
}

bool ParserBase::enter() {
  if (++depth_ <= kMaxNesting) return true;
  // Only redundant parentheses nest this deep without also exceeding the operator limit.
  bool redundant = pos_ > 0 && tokens_[pos_ - 1].kind == TokenKind::kLParen &&
                   tokens_[pos_].kind == TokenKind::kLParen;
  fail(redundant ? "The expression has redundant parentheses;"
                 : "The expression contains too many operators; operator count: " +
                       std::to_string(kMaxOperators + 1));
  return false;
}

bool ParserBase::countOperator() {
  if (++operators_ <= kMaxOperators) return true;
  fail("The expression contains too many operators; operator count: " + std::to_string(operators_));
  return false;
}

bool ParserBase::parsePath(Path& out, Slot slotForName) {
  auto element = [&]() -> bool {
    const Token& t = peek();
    if (t.kind == TokenKind::kWord && !isKeyword(t)) {
      std::string_view name = textOf(t);
      if (isReservedWord(name)) {
        record(Slot::kReserved,
               "Attribute name is a reserved keyword; reserved keyword: " + std::string(name));
      }
      out.push_back(PathElement{std::string(name)});
    } else if (t.kind == TokenKind::kName) {
      std::string_view key = textOf(t);
      const std::string* name = ph_.useName(key);
      if (name == nullptr) {
        record(slotForName,
               "An expression attribute name used in the document path is not defined; "
               "attribute name: " +
                   std::string(key));
        out.push_back(PathElement{});
      } else {
        out.push_back(PathElement{*name});
      }
    } else {
      syntaxError();
      return false;
    }
    advance();
    return true;
  };
  if (!element()) return false;
  for (;;) {
    if (peekKind() == TokenKind::kDot) {
      advance();
      if (!element()) return false;
    } else if (peekKind() == TokenKind::kLBracket) {
      advance();
      if (peekKind() != TokenKind::kNumber) {
        syntaxError();
        return false;
      }
      // Indexes past INT_MAX are clamped: no list is that long, so they mean "past the end".
      long long index = 0;
      for (char c : textOf(peek())) {
        index = index * 10 + (c - '0');
        if (index > INT_MAX) index = INT_MAX;
      }
      advance();
      if (!expect(TokenKind::kRBracket)) return false;
      out.push_back(PathElement{std::string(), static_cast<int>(index)});
    } else {
      return true;
    }
  }
}

const AttributeValue* ParserBase::useValue(Slot slotForValue) {
  std::string_view key = textOf(peek());
  const AttributeValue* value = ph_.useValue(key);
  if (value == nullptr) {
    record(slotForValue,
           "An expression attribute value used in expression is not defined; attribute value: " +
               std::string(key));
  }
  return value;
}

bool ParserBase::checkOverlap(const Path& earlier, const Path& path) {
  std::size_t n = std::min(earlier.size(), path.size());
  for (std::size_t i = 0; i < n; ++i) {
    const PathElement& a = earlier[i];
    const PathElement& b = path[i];
    if ((a.index >= 0) != (b.index >= 0)) {
      record(Slot::kPathConflict,
             "Two document paths conflict with each other; must remove or rewrite one of these "
             "paths; path one: " +
                 bracketPath(earlier) + ", path two: " + bracketPath(path));
      return false;
    }
    if (a != b) return false;
  }
  record(Slot::kPathOverlap,
         "Two document paths overlap with each other; must remove or rewrite one of these "
         "paths; path one: " +
             bracketPath(earlier) + ", path two: " + bracketPath(path));
  return true;
}

}  // namespace bakery::table::expression::detail
