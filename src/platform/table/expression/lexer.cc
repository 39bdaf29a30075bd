// Splits an expression into tokens. Every byte belongs to some token, so a syntax error can
// always name the token it stopped at and the text around it, as DynamoDB's messages do.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "platform/table/expression/tree.h"

namespace bakery::table::expression::detail {
namespace {

bool isLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isWordChar(char c) { return isLetter(c) || isDigit(c) || c == '_'; }
bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The length of the UTF-8 sequence starting at text[i], so an unexpected non-ASCII character
// is reported whole rather than as a broken byte.
std::size_t sequenceLength(std::string_view text, std::size_t i) {
  auto lead = static_cast<unsigned char>(text[i]);
  std::size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  std::size_t n = 1;
  while (n < want && i + n < text.size() &&
         (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) {
    ++n;
  }
  return n;
}

}  // namespace

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  tokens.reserve(text.size() / 3 + 2);
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto push = [&](TokenKind kind, std::size_t begin, std::size_t end) {
    tokens.push_back({kind, static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end)});
  };
  while (i < n) {
    char c = text[i];
    if (isSpace(c)) {
      ++i;
      continue;
    }
    std::size_t begin = i;
    if (isLetter(c) || c == '_') {
      while (i < n && isWordChar(text[i])) ++i;
      push(TokenKind::kWord, begin, i);
      continue;
    }
    if (isDigit(c)) {
      while (i < n && isDigit(text[i])) ++i;
      push(TokenKind::kNumber, begin, i);
      continue;
    }
    if (c == '#' || c == ':') {
      ++i;
      while (i < n && isWordChar(text[i])) ++i;
      if (i == begin + 1) {
        push(TokenKind::kInvalid, begin, i);
      } else {
        push(c == '#' ? TokenKind::kName : TokenKind::kValue, begin, i);
      }
      continue;
    }
    TokenKind kind = TokenKind::kInvalid;
    std::size_t len = 1;
    switch (c) {
      case '(':
        kind = TokenKind::kLParen;
        break;
      case ')':
        kind = TokenKind::kRParen;
        break;
      case '[':
        kind = TokenKind::kLBracket;
        break;
      case ']':
        kind = TokenKind::kRBracket;
        break;
      case ',':
        kind = TokenKind::kComma;
        break;
      case '.':
        kind = TokenKind::kDot;
        break;
      case '=':
        kind = TokenKind::kEq;
        break;
      case '+':
        kind = TokenKind::kPlus;
        break;
      case '-':
        kind = TokenKind::kMinus;
        break;
      case '<':
        if (i + 1 < n && text[i + 1] == '=') {
          kind = TokenKind::kLe;
          len = 2;
        } else if (i + 1 < n && text[i + 1] == '>') {
          kind = TokenKind::kNe;
          len = 2;
        } else {
          kind = TokenKind::kLt;
        }
        break;
      case '>':
        if (i + 1 < n && text[i + 1] == '=') {
          kind = TokenKind::kGe;
          len = 2;
        } else {
          kind = TokenKind::kGt;
        }
        break;
      default:
        len = sequenceLength(text, i);
        break;
    }
    i += len;
    push(kind, begin, i);
  }
  push(TokenKind::kEnd, n, n);
  return tokens;
}

}  // namespace bakery::table::expression::detail
