// Names shared by every EventStore backend and the API (event_store.h). The numbers themselves
// have no default implementation: each backend computes them, and server/test/ checks them.
#include "tapistry/event_store.h"

namespace tapistry {

const char* DimensionName(Dimension d) {
  switch (d) {
    case Dimension::kPage:
      return "page";
    case Dimension::kEntryPage:
      return "entry_page";
    case Dimension::kReferrer:
      return "referrer";
    case Dimension::kUtmSource:
      return "utm_source";
    case Dimension::kUtmMedium:
      return "utm_medium";
    case Dimension::kUtmCampaign:
      return "utm_campaign";
    case Dimension::kDevice:
      return "device";
    case Dimension::kBrowser:
      return "browser";
    case Dimension::kOs:
      return "os";
    case Dimension::kCountry:
      return "country";
    case Dimension::kVisitorType:
      return "visitor_type";
  }
  return "page";
}

bool ParseDimension(std::string_view s, Dimension* out) {
  for (int i = 0; i <= static_cast<int>(Dimension::kCountry); ++i) {
    if (s == DimensionName(static_cast<Dimension>(i))) {
      *out = static_cast<Dimension>(i);
      return true;
    }
  }
  return false;
}

std::optional<double> FindGauge(const std::vector<StoreGauge>& gauges, std::string_view name) {
  for (const StoreGauge& g : gauges) {
    if (g.name == name) return g.value;
  }
  return std::nullopt;
}

}  // namespace tapistry
