#include "store/embedded/columns.h"

#include <string>

namespace tapistry::store {

FixedKind FixedKindOf(ColumnId c) {
  switch (c) {
    case ColumnId::kType:
    case ColumnId::kDevice:
    case ColumnId::kFlags:
    case ColumnId::kDepth:
    case ColumnId::kBotScore:
      return FixedKind::kU8;
    case ColumnId::kCountry:
    case ColumnId::kViewportW:
    case ColumnId::kViewportH:
      return FixedKind::kU16;
    case ColumnId::kSelectorHash:
      return FixedKind::kU64;
    case ColumnId::kX:
    case ColumnId::kY:
    case ColumnId::kEx:
    case ColumnId::kEy:
      return FixedKind::kF32;
    default:
      return FixedKind::kNone;
  }
}

Event Columns::ToEvent(size_t r, std::string_view project_id) const {
  Event e;
  e.ts_ms = ts[r];
  e.ingest_ms = ingest[r];
  e.event_id = event_id[r];
  e.session_id = session.dict[session.codes[r]];
  e.anonymous_id = anonymous.dict[anonymous.codes[r]];
  e.project_id = std::string(project_id);
  e.type = static_cast<EventType>(type[r]);
  e.device_class = static_cast<DeviceClass>(device[r]);
  e.country[0] = static_cast<char>(country[r] & 0xff);
  e.country[1] = static_cast<char>(country[r] >> 8);
  e.viewport_w = viewport_w[r];
  e.viewport_h = viewport_h[r];
  e.x = x[r];
  e.y = y[r];
  e.ex = ex[r];
  e.ey = ey[r];
  e.selector_hash = selector_hash[r];
  e.flags = flags[r];
  e.depth_pct = depth[r];
  e.bot_score = bot_score[r];
  std::string* strs[kNumStrings] = {&e.user_id,      &e.name,     &e.url,         &e.path,
                                    &e.title,        &e.referrer, &e.utm_source,  &e.utm_medium,
                                    &e.utm_campaign, &e.utm_term, &e.utm_content, &e.browser,
                                    &e.os,           &e.ua,       &e.selector,    &e.props};
  for (int s = 0; s < kNumStrings; ++s) *strs[s] = std::string(str[s].Value(r));
  return e;
}

}  // namespace tapistry::store
