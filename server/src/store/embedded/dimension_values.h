// A breakdown dimension's values as the embedded store reads them (store_breakdown.cc,
// store_funnel.cc): which column holds them, how a stored value becomes the answer's string
// (a referrer URL becomes its host, a country its two letters), and one source's values interned
// so that rows and sessions carry small indices and each string is built once.
// Thread-safety: DimensionValues is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/embedded/columns.h"
#include "tapistry/event_store.h"

namespace tapistry::store {

// The host of a referrer URL ("" when it has no scheme).
inline std::string ReferrerHost(std::string_view url) {
  const size_t p = url.find("://");
  if (p == std::string_view::npos) return "";
  const std::string_view rest = url.substr(p + 3);
  return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

// A stored country (two ASCII letters, low byte first; 0 = unknown) as text.
inline std::string CountryValue(uint16_t c) {
  const char cc[2] = {static_cast<char>(c & 0xff), static_cast<char>(c >> 8)};
  return cc[0] ? std::string(cc, 2) : std::string();
}

// The string column a dimension reads (kStr…), or -1 for the fixed-width ones (device, country).
inline int StringColumnOf(Dimension d) {
  switch (d) {
    case Dimension::kPage:
    case Dimension::kEntryPage:
      return kStrPath;
    case Dimension::kReferrer:
      return kStrReferrer;
    case Dimension::kUtmSource:
      return kStrUtmSource;
    case Dimension::kUtmMedium:
      return kStrUtmMedium;
    case Dimension::kUtmCampaign:
      return kStrUtmCampaign;
    case Dimension::kBrowser:
      return kStrBrowser;
    case Dimension::kOs:
      return kStrOs;
    case Dimension::kDevice:
    case Dimension::kCountry:
    case Dimension::kVisitorType:  // no column: store_funnel.cc derives it
      return -1;
  }
  return -1;
}

// The column a dimension's values are read from (none for visitor_type).
inline ColumnMask DimensionColumns(Dimension d) {
  if (d == Dimension::kVisitorType) return 0;
  const int s = StringColumnOf(d);
  if (s >= 0) return Bit(StringColumnId(s));
  return d == Dimension::kDevice ? Bit(ColumnId::kDevice) : Bit(ColumnId::kCountry);
}

// One source's values of a dimension, deduplicated (two referrer URLs may share a host).
class DimensionValues {
 public:
  explicit DimensionValues(Dimension d) : d_(d) {}
  uint32_t Intern(std::string v) {
    auto [it, fresh] = index_.try_emplace(v, static_cast<uint32_t>(values_.size()));
    if (fresh) values_.push_back(std::move(v));
    return it->second;
  }
  // Value index of every entry of a string dictionary.
  std::vector<uint32_t> FromDict(const StringColumn& dict) {
    std::vector<uint32_t> out(dict.dict.size());
    for (size_t code = 0; code < dict.dict.size(); ++code) {
      out[code] = Intern(d_ == Dimension::kReferrer ? ReferrerHost(dict.dict[code])
                                                    : std::string(dict.dict[code]));
    }
    return out;
  }
  uint32_t Device(uint8_t v) {
    if (device_[v] == UINT32_MAX) device_[v] = Intern(DeviceClassName(static_cast<DeviceClass>(v)));
    return device_[v];
  }
  uint32_t Country(uint16_t v) {
    auto [it, fresh] = country_.try_emplace(v, 0);
    if (fresh) it->second = Intern(CountryValue(v));
    return it->second;
  }
  // Row r's value index; the string dictionary is mapped on the first call.
  uint32_t OfRow(const Columns& c, size_t r) {
    if (d_ == Dimension::kDevice) return Device(c.device[r]);
    if (d_ == Dimension::kCountry) return Country(c.country[r]);
    const StringColumn& col = c.str[StringColumnOf(d_)];
    if (row_dict_ == nullptr) {
      by_code_ = FromDict(col);
      row_dict_ = &col;
    }
    return by_code_[col.codes[r]];
  }
  Dimension dimension() const { return d_; }
  const std::vector<std::string>& values() const { return values_; }
  std::vector<std::string> Take() { return std::move(values_); }

 private:
  Dimension d_;
  std::vector<std::string> values_;
  std::unordered_map<std::string, uint32_t> index_;
  std::vector<uint32_t> device_ = std::vector<uint32_t>(256, UINT32_MAX);
  std::unordered_map<uint16_t, uint32_t> country_;
  const StringColumn* row_dict_ = nullptr;  // OfRow's dictionary, mapped to by_code_
  std::vector<uint32_t> by_code_;
};

}  // namespace tapistry::store
