#include "platform/queue/engine/storage_format.h"

namespace bakery::queue::detail {
namespace {

constexpr char kVersion = 1;

void appendUint32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void appendString(std::string& out, std::string_view s) {
  appendUint32(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

void appendInt64(std::string& out, std::int64_t v) {
  appendUint64(out, static_cast<std::uint64_t>(v));
}

// Reads what the append functions wrote; any overrun turns the reader bad.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && rest_.empty(); }

  std::uint64_t u64() {
    if (!take(8)) return 0;
    std::uint64_t v = readUint64(rest_);
    rest_.remove_prefix(8);
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  std::uint32_t u32() {
    if (!take(4)) return 0;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(rest_[i]);
    rest_.remove_prefix(4);
    return v;
  }
  char byte() {
    if (!take(1)) return 0;
    char c = rest_[0];
    rest_.remove_prefix(1);
    return c;
  }
  std::string str() {
    std::uint32_t n = u32();
    if (!take(n)) return {};
    std::string s(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return s;
  }

 private:
  bool take(std::size_t n) {
    if (!ok_ || rest_.size() < n) ok_ = false;
    return ok_;
  }
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace

void appendUint64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::uint64_t readUint64(std::string_view bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return v;
}

std::string queueKey(std::string_view owner, std::string_view name) {
  std::string key;
  key.reserve(owner.size() + name.size() + 2);
  for (char c : owner) {
    key.push_back(c);
    if (c == '\0') key.push_back('\xff');
  }
  key.push_back('\0');
  key.push_back('\1');
  key += name;
  return key;
}

std::string queueRecordKey(std::string_view owner, std::string_view name) {
  return std::string(kQueueRecordPrefix) + queueKey(owner, name);
}

std::string messagePrefix(char tag, std::uint64_t queueId) {
  std::string key(1, tag);
  appendUint64(key, queueId);
  return key;
}

std::string messageKey(char tag, std::uint64_t queueId, std::uint64_t seq) {
  std::string key = messagePrefix(tag, queueId);
  appendUint64(key, seq);
  return key;
}

std::string dedupKey(std::uint64_t queueId, std::int64_t sentAtMs, std::string_view key) {
  std::string out = messagePrefix(kDedupTag, queueId);
  appendUint64(out, static_cast<std::uint64_t>(sentAtMs));
  out += key;
  return out;
}

std::string encodeBody(const MessageBody& m) {
  std::string out(1, kVersion);
  appendString(out, m.messageId);
  appendString(out, m.body);
  appendString(out, m.md5OfBody);
  appendString(out, m.md5OfMessageAttributes);
  appendInt64(out, m.sentAtMs);
  appendString(out, m.senderId);
  appendString(out, m.deduplicationId);
  appendString(out, m.sequenceNumber);
  appendString(out, m.deadLetterQueueSourceArn);
  appendUint32(out, static_cast<std::uint32_t>(m.attributes.size()));
  for (const auto& [name, v] : m.attributes) {
    appendString(out, name);
    appendString(out, v.dataType);
    appendString(out, v.stringValue);
    appendString(out, v.binaryValue);
  }
  return out;
}

std::optional<MessageBody> decodeBody(std::string_view bytes) {
  Reader r(bytes);
  if (r.byte() != kVersion) return std::nullopt;
  MessageBody m;
  m.messageId = r.str();
  m.body = r.str();
  m.md5OfBody = r.str();
  m.md5OfMessageAttributes = r.str();
  m.sentAtMs = r.i64();
  m.senderId = r.str();
  m.deduplicationId = r.str();
  m.sequenceNumber = r.str();
  m.deadLetterQueueSourceArn = r.str();
  std::uint32_t n = r.u32();
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    std::string name = r.str();
    MessageAttributeValue v;
    v.dataType = r.str();
    v.stringValue = r.str();
    v.binaryValue = r.str();
    m.attributes.emplace(std::move(name), std::move(v));
  }
  if (!r.done()) return std::nullopt;
  return m;
}

std::string encodeState(const MessageState& s) {
  std::string out(1, kVersion);
  appendInt64(out, s.visibleAtMs);
  appendInt64(out, s.enqueuedAtMs);
  appendInt64(out, s.firstReceiveAtMs);
  appendInt64(out, s.lastReceiveAtMs);
  appendUint32(out, s.receiveCount);
  appendString(out, s.groupId);
  return out;
}

std::optional<MessageState> decodeState(std::string_view bytes) {
  Reader r(bytes);
  if (r.byte() != kVersion) return std::nullopt;
  MessageState s;
  s.visibleAtMs = r.i64();
  s.enqueuedAtMs = r.i64();
  s.firstReceiveAtMs = r.i64();
  s.lastReceiveAtMs = r.i64();
  s.receiveCount = r.u32();
  s.groupId = r.str();
  if (!r.done()) return std::nullopt;
  return s;
}

std::string encodeDedup(const DedupRecord& d) {
  std::string out(1, kVersion);
  appendString(out, d.messageId);
  appendString(out, d.sequenceNumber);
  appendInt64(out, d.sentAtMs);
  return out;
}

std::optional<DedupRecord> decodeDedup(std::string_view bytes) {
  Reader r(bytes);
  if (r.byte() != kVersion) return std::nullopt;
  DedupRecord d;
  d.messageId = r.str();
  d.sequenceNumber = r.str();
  d.sentAtMs = r.i64();
  if (!r.done()) return std::nullopt;
  return d;
}

}  // namespace bakery::queue::detail
