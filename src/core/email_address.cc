#include "core/email_address.h"

#include <memory>

#include <fmt/format.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>

#include "core/encoding.h"

namespace bakery::core {
namespace {

struct SpoofCloser {
  void operator()(USpoofChecker* checker) const { uspoof_close(checker); }
};

// Characters an address may hold after normalization: letters and digits of any script (so
// internationalized addresses work), and the punctuation of RFC 5322's dot-atom.
bool allowedInAddress(UChar32 c) {
  if (u_isalnum(c)) return true;
  if (c < 0x80)
    return std::string_view("!#$%&'*+-/=?^_`{|}~.@").find(static_cast<char>(c)) !=
           std::string_view::npos;
  return u_hasBinaryProperty(c, UCHAR_ALPHABETIC) || u_charType(c) == U_NON_SPACING_MARK ||
         u_charType(c) == U_COMBINING_SPACING_MARK;
}

Error invalid(std::string_view field, std::string_view why) {
  return Error::validation(fmt::format("{} {}", field, why), std::string(field));
}

}  // namespace

Result<EmailAddress> normalizeEmail(std::string_view text, std::string_view field) {
  if (text.empty()) return invalid(field, "is required");
  if (text.size() > kMaxEmailBytes) {
    return invalid(field, fmt::format("must be at most {} bytes", kMaxEmailBytes));
  }
  if (!isValidUtf8(text)) return invalid(field, "is not valid UTF-8");

  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkcCasefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) return Error::internal("Unicode normalization is unavailable");
  icu::UnicodeString source = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<std::int32_t>(text.size())));
  icu::UnicodeString normal = nfkcCasefold->normalize(source, status);
  if (U_FAILURE(status)) return invalid(field, "cannot be normalized");

  int ats = 0;
  std::int32_t at = -1;
  for (std::int32_t i = 0; i < normal.length();) {
    UChar32 c = normal.char32At(i);
    if (!allowedInAddress(c)) return invalid(field, "contains a character an address cannot hold");
    if (c == '@') {
      ++ats;
      at = i;
    }
    i += U16_LENGTH(c);
  }
  if (ats != 1 || at == 0) return invalid(field, "must look like name@example.com");
  icu::UnicodeString domain = normal.tempSubString(at + 1);
  std::int32_t dot = domain.indexOf(u'.');
  if (domain.isEmpty() || dot <= 0 || domain.endsWith(u".") || domain.indexOf(u"..") >= 0 ||
      normal.tempSubString(0, at).startsWith(u".") || normal.tempSubString(0, at).endsWith(u".")) {
    return invalid(field, "must look like name@example.com");
  }

  static const std::unique_ptr<USpoofChecker, SpoofCloser> checker = [] {
    UErrorCode s = U_ZERO_ERROR;
    std::unique_ptr<USpoofChecker, SpoofCloser> c(uspoof_open(&s));
    if (U_SUCCESS(s)) uspoof_setChecks(c.get(), USPOOF_CONFUSABLE, &s);
    return U_SUCCESS(s) ? std::move(c) : nullptr;
  }();
  if (!checker) return Error::internal("Confusable detection is unavailable");
  icu::UnicodeString skeleton;
  uspoof_getSkeletonUnicodeString(checker.get(), 0, normal, skeleton, &status);
  if (U_FAILURE(status)) return invalid(field, "cannot be normalized");
  // The skeleton of a skeleton is itself, but case may reappear: fold it once more.
  icu::UnicodeString key = nfkcCasefold->normalize(skeleton, status);
  if (U_FAILURE(status)) return invalid(field, "cannot be normalized");

  EmailAddress out;
  normal.toUTF8String(out.normalized);
  key.toUTF8String(out.skeleton);
  if (out.normalized.size() > kMaxEmailBytes) {
    return invalid(field, fmt::format("must be at most {} bytes", kMaxEmailBytes));
  }
  return out;
}

}  // namespace bakery::core
